"""Per-customer SKU mappings (API.md §9)."""
