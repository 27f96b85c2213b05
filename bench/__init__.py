"""Benchmarks, each run as ``python -m bench.<name>`` on a PostgreSQL database of its own.

Results go to ``bench/results/<name>.json``. Modules whose name starts with ``_`` are helpers,
which is also how ``make bench`` tells them apart from benchmarks.
"""
