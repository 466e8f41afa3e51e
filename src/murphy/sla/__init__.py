"""Priority (impact x urgency) and service targets: clocks that count down and breach."""
