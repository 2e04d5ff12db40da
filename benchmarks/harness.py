"""The benchmark files' view of tt-systems' harness (``tinytorch.systems.benchmark``).

Each ``bench_*.py`` beside this file defines ``cases() -> list[Case]``.
"""

from tinytorch.systems.benchmark import Case, format_table, run, single_thread_warning, write_json

__all__ = ["Case", "format_table", "run", "single_thread_warning", "write_json"]
