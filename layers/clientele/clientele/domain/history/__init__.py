"""Customer history (API.md §14): one entry per customer version, written from the change stream."""
