"""BLAS threads: one unless the user chose, and every script says what it used."""

import sys

import pytest

from ttdev.milestone import Milestone, threads

VARIABLES = threads.THREAD_VARIABLES


@pytest.fixture
def no_thread_variables(monkeypatch):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def without_threadpoolctl(monkeypatch):
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)  # import raises ImportError


def test_the_users_variable_is_respected(no_thread_variables, without_threadpoolctl,
                                         monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert threads.choose_blas_threads() == (3, "OMP_NUM_THREADS=3")
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")  # OpenBLAS's own variable comes first
    assert threads.choose_blas_threads() == (1, "OPENBLAS_NUM_THREADS=1")


def test_without_a_variable_or_threadpoolctl_it_says_how_to_get_one_thread(
        no_thread_variables, without_threadpoolctl, monkeypatch):
    monkeypatch.setattr(threads.os, "cpu_count", lambda: 2)
    number, why = threads.choose_blas_threads()
    assert number == 2 and "default" in why and "OPENBLAS_NUM_THREADS=1" in why


def test_with_threadpoolctl_and_no_variable_one_thread_is_applied(no_thread_variables,
                                                                  monkeypatch):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    pytest.importorskip("numpy")
    monkeypatch.setattr(threads, "_limits", [])
    try:
        number, why = threads.choose_blas_threads()
        blas = [p for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]
        assert number == 1 and "one thread" in why
        assert blas and all(pool["num_threads"] == 1 for pool in blas)
    finally:
        for limit in threads._limits:
            limit.restore_original_limits()


def test_a_milestone_prints_and_records_its_threads(milestone_dir, without_threadpoolctl,
                                                    monkeypatch, capsys):
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    ms = Milestone.from_script(str(milestone_dir / "train.py"), argv=[])
    assert "BLAS threads: 1 (OPENBLAS_NUM_THREADS=1)" in capsys.readouterr().out
    assert ms.system_facts["blas_threads"] == 1
