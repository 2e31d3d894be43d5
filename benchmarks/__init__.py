"""Benchmarks: ``python -m benchmarks --lb-records N`` (see RESULTS.md)."""
