"""Users, roles, site scope and credentials (passwords, API tokens, web sessions)."""
