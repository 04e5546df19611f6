"""The stack's EventBridge bus: change events put in batches (API.md §14)."""
