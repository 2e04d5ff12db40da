"""The ``e2e`` marker and a builder of fake package trees (``ttdev`` itself is installed:
``pip install -e tools``, as every nox session that runs these tests does)."""

import pytest

from .ttdev_fakes import write_package


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
