"""Post-incident reviews: the rebuilt timeline, findings, approval and corrective actions."""
