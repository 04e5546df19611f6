"""Fake vendor servers for local use and tests: loopback only, seeded with demo data, with fault switches."""
