"""Benchmarks behind the README's figures: `python -m benchmarks.run` (make bench)."""
