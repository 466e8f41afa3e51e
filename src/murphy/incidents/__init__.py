"""Incidents: reporting, the lifecycle, and the hash-chained timeline."""
