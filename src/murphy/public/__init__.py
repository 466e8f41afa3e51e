"""Public reporting: anyone reports without an account, and follows up with a code."""
