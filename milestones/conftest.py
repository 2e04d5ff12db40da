"""What every milestone's tests share: the ``quick_run`` fixture.

A milestone's test module names the script it verifies and takes ``quick_run``::

    SCRIPT = MILESTONE / "perceptron_trained.py"

    def test_quick_run_passes_every_bar(quick_run):
        assert_every_bar_passed(quick_run)

``quick_run`` is that script's ``--quick`` run, once per test module, as nox
and students run it (``ttdev.milestone.testing.run_milestone_script``: a subprocess, or
the report a nox session wrote moments ago).
"""

from __future__ import annotations

import pytest
from ttdev.milestone.testing import run_milestone_script


@pytest.fixture(scope="module")
def quick_run(request, tmp_path_factory):
    """``run_milestone_script(SCRIPT, <tmp>, "--quick")`` for the test module's ``SCRIPT``."""
    script = getattr(request.module, "SCRIPT", None)
    if script is None:
        pytest.fail(f"{request.module.__name__} uses quick_run but defines no module-level SCRIPT")
    return run_milestone_script(script, tmp_path_factory.mktemp("results"), "--quick")
