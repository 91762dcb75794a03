"""Benchmarks: `python -m bench` measures the product against its anchors (make bench)."""
