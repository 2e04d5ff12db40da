"""Make ``ttdev`` importable and offer a builder of fake package trees."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ttdev_fakes import write_package  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tools/, for ttdev


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "e2e: end-to-end test that builds wheels and venvs (run by `nox -s e2e`)")


@pytest.fixture
def fake_tree(tmp_path):
    """tt-tensor <- tt-autograd <- tt-nn, plus an unrelated tt-extra, under tmp_path."""
    write_package(tmp_path, "tt-nn", ["tt-tensor>=0.1,<0.2", "tt-autograd>=0.1,<0.2"])
    write_package(tmp_path, "tt-autograd", ["tt-tensor>=0.1,<0.2"])
    write_package(tmp_path, "tt-tensor")
    write_package(tmp_path, "tt-extra", version="1.2.0")
    return tmp_path
