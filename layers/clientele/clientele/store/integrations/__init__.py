"""Integration instance items and their credentials (one Secrets Manager secret per instance)."""
