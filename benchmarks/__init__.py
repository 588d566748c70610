"""A benchmark suite anyone can rerun: quality, speed, memory and scaling of our models beside
the tools people use today (trafilatura, jusText, boilerpy3, readability-lxml, resiliparse and
the CheckThat! claim baseline).

``python -m benchmarks [--quick]`` writes ``docs/benchmarks.md`` and ``docs/benchmarks.json``.
Quality is measured on held-out data only; every timing runs in its own process
(:mod:`benchmarks.worker`), so each tool's peak memory is its own.
"""
