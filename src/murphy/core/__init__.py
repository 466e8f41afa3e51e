"""Domain-free kernel: database, errors, events, clock, security, hash chains."""
