"""Device and system signals: sources, mapping, de-duplication and correlation."""
