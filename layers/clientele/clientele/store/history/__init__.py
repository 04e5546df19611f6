"""History items: one per customer version, in the customer's partition (API.md §14)."""
