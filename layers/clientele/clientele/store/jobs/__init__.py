"""Job items and job messages."""
