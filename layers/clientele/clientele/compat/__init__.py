"""Vendor-compatible translations (COMPAT.md): vendor requests in, canonical services, vendor answers out."""
