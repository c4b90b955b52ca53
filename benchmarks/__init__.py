"""Benchmarks of orderflow against hand-written baselines (design brief §11); see README.md."""
