"""CSV imports through S3 (API.md §6): starting them, columns, rows, checkpointed runs."""
