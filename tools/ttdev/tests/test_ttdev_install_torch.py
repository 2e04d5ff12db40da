"""The bench installs PyTorch only from a local CPU wheel, never from a resolver."""

import os

from ttdev.install import cpu_torch_wheel


def test_finds_the_cpu_wheel_in_pips_local_folders(tmp_path):
    (tmp_path / "torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl").write_bytes(b"")
    env = {"PIP_FIND_LINKS": f"/nowhere file://{tmp_path}", "PIP_CONFIG_FILE": os.devnull}
    assert cpu_torch_wheel(env).name.startswith("torch-2.13.0+cpu")


def test_no_local_cpu_wheel_means_no_torch(tmp_path):
    (tmp_path / "torch-2.13.0-cp311-cp311-manylinux_2_28_x86_64.whl").write_bytes(b"")  # CUDA
    no_config = {"PIP_CONFIG_FILE": os.devnull}   # pip's own way to read no config file
    assert cpu_torch_wheel({"PIP_FIND_LINKS": str(tmp_path), **no_config}) is None
    assert cpu_torch_wheel(no_config) is None
