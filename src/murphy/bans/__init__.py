"""Bans and trespass notices: a person kept off one or more sites for a period."""
