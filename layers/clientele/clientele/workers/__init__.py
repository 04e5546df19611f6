"""Entry points for the SQS-driven workers (the queue-side counterpart of clientele.http)."""
