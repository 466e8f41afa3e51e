"""Playbooks at work: an incident's checklist of tasks with owners and due times."""
