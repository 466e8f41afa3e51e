"""Responders and units, their live status and position, and dispatching them to incidents."""
