"""Benchmarks: `python -m aitrail.bench` measures the product against its anchors (make bench)."""
