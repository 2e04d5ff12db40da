"""atomic_write: a killed or failing write never loses the previous file."""

import os
import signal
import stat
import subprocess
import sys
import textwrap

import pytest
from tinytorch.tensor.io import atomic_write, atomic_write_text


def test_writes_the_contents_and_returns_the_path(tmp_path):
    target = tmp_path / "report.json"
    assert atomic_write_text(target, '{"a": 1}') == target
    assert target.read_text() == '{"a": 1}'


def test_a_failing_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "ckpt.npz"
    target.write_bytes(b"old")

    def broken(file):
        file.write(b"half of the new")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        atomic_write(target, broken)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.npz"]


def test_an_existing_file_keeps_its_permissions(tmp_path):
    target = tmp_path / "shared.json"
    target.write_text("old")
    os.chmod(target, 0o644)
    atomic_write_text(target, "new")
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    os.chmod(target, 0o640)
    atomic_write_text(target, "newer")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_a_new_file_gets_the_umask_mode_not_0600(tmp_path):
    old_umask = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "new.txt", "x")
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o644


def test_a_missing_folder_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        atomic_write_text(tmp_path / "nowhere" / "x.txt", "x")


KILLED_WRITER = textwrap.dedent(
    """
    import os, sys, time
    from tinytorch.tensor.io import atomic_write

    def slow(file):
        file.write(b"x" * 1000)
        file.flush()
        print("writing", flush=True)
        time.sleep(60)

    atomic_write(sys.argv[1], slow)
    """
)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_kill_9_mid_write_keeps_the_old_file_and_the_next_write_cleans_up(tmp_path):
    target = tmp_path / "ckpt.npz"
    target.write_bytes(b"previous checkpoint")
    writer = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(target)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout.readline().strip() == "writing"
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
    finally:
        writer.kill()
    assert target.read_bytes() == b"previous checkpoint"
    leftovers = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert len(leftovers) == 1, "the killed writer's temporary file should be there"

    atomic_write_text(target, "next checkpoint")
    assert target.read_text() == "next checkpoint"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.npz"]


def test_temporaries_of_a_live_process_are_left_alone(tmp_path):
    target = tmp_path / "ckpt.npz"
    live = tmp_path / f".ckpt.npz.{os.getppid()}.abc.tmp"  # our parent is alive
    live.write_bytes(b"someone is writing")
    atomic_write_text(target, "mine")
    assert live.exists()
