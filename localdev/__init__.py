"""Docker-free local runner for Clientele: serves template.yaml's HTTP API on loopback.

Not deployed. Entry points: ``python -m localdev serve`` / ``python -m localdev token``
and :class:`localdev.runner.LocalRunner` for tests and benchmarks.
"""
