"""Major incidents under NIMS/ICS: the command roster and operational periods."""
