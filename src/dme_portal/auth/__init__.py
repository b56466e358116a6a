"""Authentication (JWT), principals, roles and access policies."""
