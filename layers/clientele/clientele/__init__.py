"""Clientele: the shared package every function imports (deployed as a Lambda layer)."""
