"""DME prior-authorization hub."""

__version__ = "0.1.0"
