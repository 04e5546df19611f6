"""Per-tenant customer counts kept by the change stream, and each customer's counted bucket."""
