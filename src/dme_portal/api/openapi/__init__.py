"""The OpenAPI document the hub publishes: FastAPI's output, finished for integrators."""
