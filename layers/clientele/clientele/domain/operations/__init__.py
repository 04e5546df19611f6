"""Operational checks (health)."""
