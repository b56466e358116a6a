"""Health plans and the health networks that decide authorizations."""
