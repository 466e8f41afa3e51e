"""People and vehicles involved in incidents: records, their links, search, duplicates."""
