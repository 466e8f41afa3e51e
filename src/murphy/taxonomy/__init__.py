"""The organization's incident types: categories, types, subtypes, and their playbooks."""
