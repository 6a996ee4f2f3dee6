"""`make bench`: the job pipeline measured end to end (issue 4, "Measured, not assumed").

Run with `python -m tests.bench`. It prints figures; it is not a test (pytest collects only
test_*.py). Parameters come from BENCH_* variables, listed in __main__.py.
"""
