"""Reports: daily activity, shift handover, monthly management, ICS-201 and ICS-214."""
