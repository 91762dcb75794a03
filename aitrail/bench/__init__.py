"""Benchmarks: commands that print figures next to an anchor measured in the same run."""
