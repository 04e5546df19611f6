"""The sales ledger (API.md §10): orders with lines, credits, allocations."""
