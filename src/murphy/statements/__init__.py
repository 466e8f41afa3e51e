"""Statements: what witnesses and involved people said, taken down, signed off, never edited."""
