"""Search items: word-prefix and identifier items the change stream keeps (API.md §14)."""
