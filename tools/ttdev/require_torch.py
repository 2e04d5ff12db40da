"""A pytest plugin: with ``TT_REQUIRE_TORCH=1``, PyTorch oracle tests may not skip.

The oracle tests compare tinytorch with PyTorch and skip, by design, where torch is
not installed (``pytest.importorskip("torch")``), so the suite passes on any
machine. Where the session did install torch (``nox -s "test(<pkg>)"`` does so
whenever pip's local CPU wheel is there: tools/ttdev/install.py), a skip would
hide a broken install, and the oracle would silently stop judging. With
``TT_REQUIRE_TORCH=1``:

- the run stops before collecting anything when ``import torch`` fails, with its error;
- any test or test file skipped because torch could not be imported fails instead.

The root ``conftest.py`` registers this plugin for every run.
"""

from __future__ import annotations

import os

import pytest

ENV = "TT_REQUIRE_TORCH"
TORCH_SKIP = "could not import 'torch'"   # pytest.importorskip's reason


def required(environ=os.environ) -> bool:
    return environ.get(ENV, "") == "1"


def pytest_configure(config):
    if not required():
        return
    try:
        import torch  # noqa: F401
    except ImportError as error:
        raise pytest.UsageError(
            f"{ENV}=1 but torch does not import ({error}): the PyTorch oracle tests would "
            "all skip. Install the CPU wheel (pip install torch==2.13.0 from pip's local "
            f"wheels) or unset {ENV}."
        ) from error


def _skipped_for_torch(report) -> bool:
    return report.skipped and TORCH_SKIP in str(report.longrepr)


def _as_failure(report) -> None:
    report.outcome = "failed"
    report.longrepr = (f"{ENV}=1: skipped because torch could not be imported, but this "
                       f"run requires the PyTorch oracle ({report.longrepr})")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if required() and _skipped_for_torch(report):
        _as_failure(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    report = yield
    if required() and _skipped_for_torch(report):
        _as_failure(report)
    return report
