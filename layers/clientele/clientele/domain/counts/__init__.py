"""Counted totals (API.md §5 `include_total`): per-tenant customer counts the change stream keeps."""
