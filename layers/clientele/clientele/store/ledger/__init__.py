"""Sales ledger items: orders, credits, allocations (API.md §10)."""
