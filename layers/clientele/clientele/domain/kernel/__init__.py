"""Shared by every capability: errors, field types, validation, ids, clock, cursors, merge patch, ETags, principal."""
