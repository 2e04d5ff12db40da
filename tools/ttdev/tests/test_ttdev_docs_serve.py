"""`nox -s serve`: the built site on the loopback address, on the port asked for."""

import pytest

from ttdev import docs


class Session:
    def __init__(self, posargs):
        self.posargs, self.runs, self.logs = posargs, [], []

    def install(self, *args):
        pass

    def run(self, *args, **kwargs):
        self.runs.append(args)

    def log(self, text):
        self.logs.append(text)

    def error(self, text):
        raise RuntimeError(text)


def test_serve_builds_then_serves_the_site_on_loopback_only(tmp_path):
    session = Session([])
    docs.build_and_serve(session, tmp_path)
    build, serve = session.runs
    assert build[:3] == ("mkdocs", "build", "--strict")
    assert serve == ("python", "-m", "http.server", "8000", "--bind", "127.0.0.1",
                     "--directory", str(tmp_path / "site"))
    assert "http://127.0.0.1:8000/" in session.logs[0]


def test_serve_takes_a_port_and_refuses_anything_else(tmp_path):
    session = Session(["8123"])
    docs.build_and_serve(session, tmp_path)
    assert session.runs[-1][3] == "8123"
    with pytest.raises(RuntimeError, match=r"usage: nox -s serve -- \[PORT\]"):
        docs.build_and_serve(Session(["--open"]), tmp_path)
