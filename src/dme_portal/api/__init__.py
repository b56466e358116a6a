"""HTTP adapters: routers, problem details, dependencies."""
