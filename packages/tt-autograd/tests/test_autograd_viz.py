"""draw_graph / to_dot: the picture holds every op and leaf, the edges between them, the marks."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from tinytorch.autograd import Function, draw_graph, to_dot
from tinytorch.autograd.viz import build_graph, graphviz_available
from tinytorch.tensor import Tensor

SVG = "{http://www.w3.org/2000/svg}"


def perceptron_loss():
    """loss = mean(sigmoid(x @ w + b)): x a constant, w and b leaves that require grad."""
    x = Tensor(np.ones((4, 2), dtype=np.float32))
    w = Tensor(np.ones((2, 1), dtype=np.float32), requires_grad=True)
    b = Tensor(np.zeros(1, dtype=np.float32), requires_grad=True)
    return (x @ w + b).sigmoid().mean(), x, w, b


def groups(svg: str) -> list[tuple[str, str, str]]:
    """(class, title, all text) of every <g> of class node or edge in an SVG document."""
    found = []
    for group in ET.fromstring(svg.encode()).iter(f"{SVG}g"):
        kind = group.get("class", "")
        if kind.split()[:1] in (["node"], ["edge"]):
            title = group.find(f"{SVG}title").text
            text = " ".join(t.text or "" for t in group.iter(f"{SVG}text"))
            found.append((kind, title, text))
    return found


def nodes_by_class(svg: str) -> dict[str, list[str]]:
    """class -> the text of each node box of that class."""
    out: dict[str, list[str]] = {}
    for kind, _, text in groups(svg):
        if kind.startswith("node"):
            out.setdefault(kind.removeprefix("node ").strip(), []).append(text)
    return out


def edges(svg: str) -> set[str]:
    return {title.replace("&#45;", "-") for kind, title, _ in groups(svg) if kind == "edge"}


def test_build_graph_holds_ops_leaves_edges_and_depths():
    loss, x, w, b = perceptron_loss()
    graph = build_graph(loss, {"w": w, "b": b})
    ops = [n.title for n in graph.nodes if n.kind == "op"]
    leaves = {n.title or "constant": n for n in graph.nodes if n.kind == "leaf"}
    assert sorted(ops) == ["add", "matmul", "mean", "sigmoid"]
    assert set(leaves) == {"w", "b", "constant"}
    assert leaves["w"].requires_grad and leaves["b"].requires_grad
    assert not leaves["constant"].requires_grad
    assert leaves["w"].detail == "(2, 1) float32"
    by_id = {n.id: n for n in graph.nodes}
    named_edges = {(by_id[s].title or "x", by_id[t].title) for s, t in graph.edges}
    assert named_edges == {("x", "matmul"), ("w", "matmul"), ("matmul", "add"), ("b", "add"),
                           ("add", "sigmoid"), ("sigmoid", "mean")}
    mean = next(n for n in graph.nodes if n.title == "mean")
    assert graph.depth[mean.id] == 0 and mean.detail == "scalar float32"
    assert graph.depth[leaves["w"].id] == 4 and graph.depth[leaves["b"].id] == 3
    assert graph.nodes[-1] is mean  # inputs come before the ops that use them


def test_a_leaf_used_twice_is_one_node_with_two_edges():
    w = Tensor([1.0, 2.0], requires_grad=True)
    loss = (w * 3 + w).sum()
    graph = build_graph(loss, {"w": w})
    named = [n for n in graph.nodes if n.title == "w"]
    assert len(named) == 1
    assert sum(1 for s, _ in graph.edges if s == named[0].id) == 2


def test_parameter_names_come_from_a_module_like_object_or_pairs():
    loss, _, w, b = perceptron_loss()

    class Model:
        def named_parameters(self):
            return iter([("layer.weight", w), ("layer.bias", b)])

    titles = {n.title for n in build_graph(loss, Model()).nodes}
    assert {"layer.weight", "layer.bias"} <= titles
    titles = {n.title for n in build_graph(loss, [("weight", w)]).nodes}
    assert "weight" in titles and "b" not in titles


def test_a_function_node_is_drawn_by_its_class_name():
    class Square(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 2 * x * grad

    x = Tensor([1.0, 2.0], requires_grad=True)
    graph = build_graph(Square.apply(x).sum())
    assert [n.title for n in graph.nodes if n.kind == "op"] == ["Square", "sum"]


def test_plain_svg_marks_leaves_and_has_every_edge(tmp_path):
    loss, _, w, b = perceptron_loss()
    path = tmp_path / "graph.svg"
    svg = draw_graph(loss, path, params={"w": w, "b": b}, renderer="plain")
    assert path.read_text() == svg
    classes = nodes_by_class(svg)
    assert sorted(classes) == ["leaf constant", "leaf requires-grad", "op"]
    assert sorted(t.split()[0] for t in classes["op"]) == ["add", "matmul", "mean", "sigmoid"]
    assert sorted(t.split()[0] for t in classes["leaf requires-grad"]) == ["b", "w"]
    assert all("requires grad" in t for t in classes["leaf requires-grad"])
    assert len(edges(svg)) == 6


def test_plain_svg_escapes_names_as_xml():
    w = Tensor([1.0], requires_grad=True)
    svg = draw_graph((w * 2).sum(), params={"a<b & c": w}, renderer="plain")
    assert "a<b & c" in nodes_by_class(svg)["leaf requires-grad"][0]


def test_dot_source_names_every_node_and_edge():
    loss, _, w, b = perceptron_loss()
    dot = to_dot(loss, {"w": w, "b": b})
    assert dot.startswith("digraph") and "rankdir=LR" in dot
    assert len(re.findall(r"^\s+\w+ -> \w+;$", dot, flags=re.M)) == 6
    assert dot.count('class="leaf requires-grad"') == 2 and dot.count('class="op"') == 4


@pytest.mark.skipif(not graphviz_available(), reason="needs the graphviz package and dot")
def test_graphviz_svg_has_the_same_structure():
    loss, _, w, b = perceptron_loss()
    svg = draw_graph(loss, params={"w": w, "b": b}, renderer="graphviz")
    classes = nodes_by_class(svg)
    assert sorted(classes) == ["leaf constant", "leaf requires-grad", "op"]
    assert len(classes["op"]) == 4 and len(classes["leaf requires-grad"]) == 2
    assert len(edges(svg)) == 6


def test_a_freed_graph_is_a_clear_error():
    loss, *_ = perceptron_loss()
    loss.backward()
    with pytest.raises(RuntimeError, match=r"freed by backward\(\).*retain_graph=True"):
        draw_graph(loss, renderer="plain")


def test_a_tensor_without_a_graph_or_an_unknown_renderer_is_an_error():
    with pytest.raises(ValueError, match="no grad_fn"):
        draw_graph(Tensor([1.0]))
    loss, *_ = perceptron_loss()
    with pytest.raises(ValueError, match="renderer must be one of"):
        draw_graph(loss, renderer="png")
