"""Change events (API.md §14): one per customer version, and `job.finished`, on the stack's bus."""
