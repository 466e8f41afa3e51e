"""Analytics: the dashboard's figures (volume, response times, service targets, places)."""
