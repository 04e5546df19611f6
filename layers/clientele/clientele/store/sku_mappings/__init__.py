"""SKU mapping items."""
