"""Builders that generate bundled scenario files from source data (run by hand, tested for sync)."""
