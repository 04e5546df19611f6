"""CSV files: reading and writing records (RFC 4180, formula-injection escaping) and CSV downloads."""
