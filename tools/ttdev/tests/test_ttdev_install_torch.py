"""The bench installs PyTorch only from a local CPU wheel, never from a resolver."""

from ttdev.install import cpu_torch_wheel


def test_finds_the_cpu_wheel_in_pips_local_folders(tmp_path):
    (tmp_path / "torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl").write_bytes(b"")
    env = {"PIP_FIND_LINKS": f"/nowhere file://{tmp_path}"}
    assert cpu_torch_wheel(env).name.startswith("torch-2.13.0+cpu")


def test_no_local_cpu_wheel_means_no_torch(tmp_path):
    (tmp_path / "torch-2.13.0-cp311-cp311-manylinux_2_28_x86_64.whl").write_bytes(b"")  # CUDA
    assert cpu_torch_wheel({"PIP_FIND_LINKS": str(tmp_path)}) is None
    assert cpu_torch_wheel({}) is None
