"""Retention: how long personal data is kept, per record type, and the runs that apply it."""
