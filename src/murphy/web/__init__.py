"""The HTTP edge: dependencies, error mapping, middleware, templates and static files."""
