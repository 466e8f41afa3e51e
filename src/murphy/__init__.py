"""Murphy: incident management for security operations."""

__version__ = "0.1.0"
