"""Draw the graph behind a tensor: the ops that made it and the leaves they started from.

```python
loss = ((x @ w + b).sigmoid() - y).pow(2).mean()
draw_graph(loss, "graph.svg", params={"w": w, "b": b})
```

Each recorded op is a box (its name, the shape and dtype of what it
produced); each leaf is a rounded box (its parameter name when ``params``
names it, its shape and dtype), filled blue when it requires grad (backward
gives it a ``.grad``) and grey when it is a constant. Arrows run from inputs
to the op that used them, so the loss sits at the right-hand end.

With the ``graphviz`` Python package and Graphviz's ``dot`` program
installed, Graphviz lays the picture out; otherwise a plain SVG is written
with no dependency at all: nodes in columns by their distance from the
output. Both pictures carry the same classes (``node op``, ``node leaf
requires-grad``, ``node leaf constant``, ``edge``), so a browser's CSS or a
test reads them alike.

Draw before ``backward()``: backward frees the graph (unless
``retain_graph=True``). Only public attributes are read: ``tensor.grad_fn``,
``requires_grad``, ``shape`` and ``dtype``; a node's ``name`` and ``inputs``.
"""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .engine import topological_order

RENDERERS = ("auto", "graphviz", "plain")


@dataclass(frozen=True)
class GraphNode:
    """One box of the picture: an op (``kind="op"``) or a leaf tensor (``kind="leaf"``)."""

    id: str
    kind: str
    title: str          # the op's name, or the leaf's parameter name ("" when unnamed)
    detail: str         # shape and dtype, e.g. "(300, 1) float32"
    requires_grad: bool

    @property
    def css_class(self) -> str:
        """``op``, ``leaf requires-grad`` or ``leaf constant``."""
        if self.kind == "op":
            return "op"
        return "leaf requires-grad" if self.requires_grad else "leaf constant"

    @property
    def lines(self) -> list[str]:
        """The text in the box, one entry per line."""
        if self.kind == "op":
            return [self.title, self.detail]
        first = self.title or ("leaf" if self.requires_grad else "constant")
        return [first, self.detail + (", requires grad" if self.requires_grad else "")]


@dataclass(frozen=True)
class Graph:
    """The nodes (inputs before the ops that use them) and edges (source id, target id)."""

    nodes: tuple[GraphNode, ...]
    edges: tuple[tuple[str, str], ...]
    depth: dict[str, int]   # steps from the output: 0 for the op that made the tensor


def _describe(tensor) -> str:
    """``(300, 1) float32`` (``scalar float32`` for shape ()): a tensor's shape and dtype."""
    shape = tuple(tensor.shape)
    return f"{shape if shape else 'scalar'} {tensor.dtype}"


def _parameter_names(params) -> dict[int, str]:
    """id(tensor) -> name from a mapping, ``named_parameters()`` pairs, or a Module."""
    if params is None:
        return {}
    if hasattr(params, "named_parameters"):
        params = params.named_parameters()
    pairs = params.items() if isinstance(params, Mapping) else params
    return {id(tensor): name for name, tensor in pairs}


def _inputs(node) -> tuple:
    """A node's forward inputs; an error when backward has already freed them."""
    inputs = node.inputs
    if inputs is None:
        raise RuntimeError(
            f"draw_graph: the graph behind this tensor was freed by backward() (node "
            f"{node.name!r} has no inputs any more); draw it before backward(), or call "
            "backward(retain_graph=True)"
        )
    return inputs


def build_graph(tensor, params: Mapping[str, Any] | Iterable | None = None) -> Graph:
    """The graph behind ``tensor`` as plain data: what both renderers draw.

    ``params`` names leaves: a mapping ``{"w": w}``, ``module.named_parameters()``
    or a Module itself.
    """
    if tensor.grad_fn is None:
        raise ValueError(
            "draw_graph: this tensor has no grad_fn, so no graph was recorded behind it; "
            "did an input require grad (requires_grad=True), outside no_grad()?"
        )
    names = _parameter_names(params)
    _inputs(tensor.grad_fn)                          # a freed graph: say so, before walking it
    ops = topological_order(tensor.grad_fn)          # the output's op first
    op_ids = {id(node): f"op{i}" for i, node in enumerate(ops)}
    produced = {id(tensor.grad_fn): tensor}          # op -> a tensor it produced
    leaves: dict[int, GraphNode] = {}
    depth = {op_ids[id(tensor.grad_fn)]: 0}
    edges: dict[tuple[str, str], None] = {}
    for node in ops:
        target = op_ids[id(node)]
        for inp in _inputs(node):
            if inp is None:
                continue
            if inp.grad_fn is None:
                source = f"leaf{len(leaves)}" if id(inp) not in leaves else leaves[id(inp)].id
                leaves.setdefault(id(inp), GraphNode(source, "leaf", names.get(id(inp), ""),
                                                     _describe(inp), bool(inp.requires_grad)))
            else:
                source = op_ids[id(inp.grad_fn)]
                produced.setdefault(id(inp.grad_fn), inp)
            depth[source] = max(depth.get(source, 0), depth[target] + 1)
            edges[(source, target)] = None
    op_nodes = [GraphNode(op_ids[id(n)], "op", n.name, _describe(produced[id(n)]), True)
                for n in ops]
    nodes = sorted([*leaves.values(), *op_nodes], key=lambda n: -depth[n.id])
    return Graph(tuple(nodes), tuple(edges), depth)


# -- DOT and Graphviz --------------------------------------------------------------------

FILL = {"op": "#ffffff", "leaf requires-grad": "#cfe3ff", "leaf constant": "#e6e6e6"}


def _dot_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(tensor, params: Mapping[str, Any] | Iterable | None = None) -> str:
    """The graph behind ``tensor`` in Graphviz's DOT language (left to right, output last)."""
    graph = build_graph(tensor, params)
    lines = ["digraph tinytorch {", "  rankdir=LR;",
             '  node [fontname="Helvetica", fontsize=11, style=filled];']
    for node in graph.nodes:
        shape = "box" if node.kind == "op" else "box, style=\"rounded,filled\""
        label = "\\n".join(text.replace("\\", "\\\\").replace('"', '\\"') for text in node.lines)
        lines.append(f'  {node.id} [label="{label}", shape={shape}, '
                     f'fillcolor="{FILL[node.css_class]}", class={_dot_string(node.css_class)}];')
    lines += [f"  {source} -> {target};" for source, target in graph.edges]
    lines.append("}")
    return "\n".join(lines) + "\n"


def graphviz_available() -> bool:
    """True when the ``graphviz`` package imports and Graphviz's ``dot`` program is on PATH."""
    try:
        import graphviz  # noqa: F401
    except ImportError:
        return False
    return shutil.which("dot") is not None


def _graphviz_svg(dot_source: str) -> str:
    import graphviz

    return graphviz.Source(dot_source).pipe(format="svg", encoding="utf-8")


# -- the plain SVG: columns by distance from the output ---------------------------------

CHAR_WIDTH, LINE_HEIGHT, PAD = 7.6, 15.0, 8.0
COLUMN_GAP, ROW_GAP = 50.0, 16.0
SVG_NS = "http://www.w3.org/2000/svg"


def _box_size(node: GraphNode) -> tuple[float, float]:
    width = max(len(line) for line in node.lines) * CHAR_WIDTH + 2 * PAD
    return width, len(node.lines) * LINE_HEIGHT + PAD


def _layout(graph: Graph) -> dict[str, tuple[float, float, float, float]]:
    """node id -> (x, y, width, height): one column per depth, the output's column last."""
    deepest = max(graph.depth.values())
    columns: dict[int, list[GraphNode]] = {}
    for node in graph.nodes:
        columns.setdefault(deepest - graph.depth[node.id], []).append(node)
    boxes, x = {}, PAD
    for column in range(deepest + 1):
        members = columns.get(column, [])
        width = max((_box_size(n)[0] for n in members), default=0.0)
        y = PAD
        for node in members:
            w, h = _box_size(node)
            boxes[node.id] = (x, y, w, h)
            y += h + ROW_GAP
        x += width + COLUMN_GAP
    return boxes


def _plain_svg(graph: Graph) -> str:
    """A dependency-free SVG of ``graph``, built with ElementTree."""
    boxes = _layout(graph)
    width = max(x + w for x, _, w, _ in boxes.values()) + PAD
    height = max(y + h for _, y, _, h in boxes.values()) + PAD
    ET.register_namespace("", SVG_NS)
    svg = ET.Element(f"{{{SVG_NS}}}svg", width=f"{width:.0f}", height=f"{height:.0f}",
                     viewBox=f"0 0 {width:.0f} {height:.0f}", attrib={"font-family": "monospace",
                                                                     "font-size": "12"})
    defs = ET.SubElement(svg, "defs")
    marker = ET.SubElement(defs, "marker", id="arrow", viewBox="0 0 10 10", refX="10", refY="5",
                           markerWidth="7", markerHeight="7", orient="auto")
    ET.SubElement(marker, "path", d="M0,0 L10,5 L0,10 z", fill="#555")
    for source, target in graph.edges:
        x0, y0, w0, h0 = boxes[source]
        x1, y1, _, h1 = boxes[target]
        group = ET.SubElement(svg, "g", attrib={"class": "edge"})
        ET.SubElement(group, "title").text = f"{source}->{target}"
        ET.SubElement(group, "line", x1=f"{x0 + w0:.1f}", y1=f"{y0 + h0 / 2:.1f}",
                      x2=f"{x1:.1f}", y2=f"{y1 + h1 / 2:.1f}", stroke="#555",
                      attrib={"marker-end": "url(#arrow)"})
    for node in graph.nodes:
        x, y, w, h = boxes[node.id]
        group = ET.SubElement(svg, "g", id=node.id, attrib={"class": f"node {node.css_class}"})
        ET.SubElement(group, "title").text = node.id
        ET.SubElement(group, "rect", x=f"{x:.1f}", y=f"{y:.1f}", width=f"{w:.1f}",
                      height=f"{h:.1f}", rx="0" if node.kind == "op" else "8",
                      fill=FILL[node.css_class], stroke="#333")
        for i, line in enumerate(node.lines):
            text = ET.SubElement(group, "text", x=f"{x + PAD:.1f}",
                                 y=f"{y + PAD / 2 + (i + 0.8) * LINE_HEIGHT:.1f}")
            text.text = line
            if i == 0:
                text.set("font-weight", "bold")
    return ET.tostring(svg, encoding="unicode", xml_declaration=True) + "\n"


def draw_graph(tensor, path: str | Path | None = None,
               params: Mapping[str, Any] | Iterable | None = None,
               renderer: str = "auto") -> str:
    """Draw the graph behind ``tensor`` as SVG; write it to ``path`` if given; return the SVG.

    Args:
        tensor: a result of recorded ops (a loss, say), before its ``backward()``.
        path: where to write the SVG (``graph.svg``); None writes nothing.
        params: names for leaves: ``{"w": w}``, ``model.named_parameters()`` or the model.
        renderer: ``"auto"`` (Graphviz when installed, else plain), ``"graphviz"`` or
            ``"plain"``.
    """
    if renderer not in RENDERERS:
        raise ValueError(f"draw_graph: renderer must be one of {RENDERERS}, got {renderer!r}")
    if renderer == "graphviz" and not graphviz_available():
        raise RuntimeError("draw_graph(renderer='graphviz') needs the graphviz package "
                           "(pip install graphviz) and Graphviz's dot program on PATH")
    use_graphviz = renderer == "graphviz" or (renderer == "auto" and graphviz_available())
    svg = _graphviz_svg(to_dot(tensor, params)) if use_graphviz \
        else _plain_svg(build_graph(tensor, params))
    if path is not None:
        Path(path).write_text(svg, encoding="utf-8")
    return svg
