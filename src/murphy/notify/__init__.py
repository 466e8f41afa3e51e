"""Who must be told: escalation rules, and the transactional outbox they write into."""
