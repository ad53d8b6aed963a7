"""A local Eden-compatible server for demo mode and tests (Qt-free)."""
