"""The table itself: client, keys, tagged transactions, paginated queries, idempotency records, S3 reports."""
