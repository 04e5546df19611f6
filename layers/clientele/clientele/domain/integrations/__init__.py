"""Integration instances and the vendors they call (API.md §13)."""
