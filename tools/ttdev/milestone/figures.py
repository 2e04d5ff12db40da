"""Figures a milestone script declares: one PNG each beside the results, listed in the JSON.

A script says what each picture shows; nothing is laid out by a fixed rule::

    fig = ms.figure("loss", "Digits: the CNN learns faster than the MLP",
                    xlabel="epoch", ylabel="training loss (nats)")
    fig.line("MLP", epochs, mlp_losses)       # both on one axis: a comparison
    fig.line("CNN", epochs, cnn_losses)

A figure of several panels side by side::

    fig = ms.figure("crisis", "XOR, 1969 and 1986")
    fig.panel("one layer", xlabel="x1", ylabel="x2").decision_boundary(predict, x, y)
    fig.panel("a hidden layer", xlabel="x1", ylabel="x2").decision_boundary(predict2, x, y)

``Milestone.finish`` draws every declared figure with matplotlib (150 dpi,
fonts sized to stay readable when the PNG is shown small) as
``<results>/<milestone>/<script>_<name>.png`` and lists it under ``figures``
in the results JSON. The helpers :func:`decision_grid`,
:func:`confusion_matrix` and :func:`misclassified` compute what the pictures
show, with NumPy alone.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

DPI = 150
PANEL_SIZE = (4.6, 3.6)  # inches per panel: 690 x 540 pixels at 150 dpi
CHARACTERS_PER_INCH = {"figure": 7.0, "panel": 8.5}  # how much title fits, for wrapping
MARKER_BELOW = 30  # series with fewer points than this get a marker on every point
TEXT_PANEL_WIDTH, TEXT_COLUMNS = 8.0, 96  # inches, and characters per line of a text panel
FLAT_SCORES = 0.02  # a decision map whose scores span less than this gets no contour
STYLE = {
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "legend.fontsize": 10,
    "figure.titlesize": 14,
    "lines.linewidth": 2.0,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9_]*")

# -------------------------------------------------------------------- what pictures show


def decision_grid(predict: Callable[[np.ndarray], np.ndarray], bounds, resolution: int = 150):
    """``predict`` evaluated on a ``resolution`` x ``resolution`` grid over ``bounds``.

    ``bounds = (x_min, x_max, y_min, y_max)``; ``predict`` maps points of shape
    ``(N, 2)`` to one score per point, shape ``(N,)`` or ``(N, 1)`` (a
    probability of class 1). Returns ``(xs, ys, scores)`` with ``xs`` and
    ``ys`` the grid's coordinates (``resolution`` each) and
    ``scores[i, j] = predict([xs[j], ys[i]])``: rows follow y, as ``contourf`` expects.
    """
    x_min, x_max, y_min, y_max = bounds
    xs = np.linspace(x_min, x_max, resolution)
    ys = np.linspace(y_min, y_max, resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)
    points = np.stack([grid_x.ravel(), grid_y.ravel()], axis=1).astype(np.float32)
    scores = np.asarray(predict(points), dtype=np.float64).reshape(-1)
    if scores.size != points.shape[0]:
        raise ValueError(
            f"decision_grid: predict returned {scores.size} scores for {points.shape[0]} "
            "points; expected one score per point (shape (N,) or (N, 1))"
        )
    return xs, ys, scores.reshape(resolution, resolution)


def padded_bounds(points: np.ndarray, pad: float = 0.25) -> tuple[float, float, float, float]:
    """(x_min, x_max, y_min, y_max) around 2-D ``points``, widened by ``pad`` of their span."""
    low, high = points.min(axis=0), points.max(axis=0)
    margin = pad * np.maximum(high - low, 1e-6)
    return (low[0] - margin[0], high[0] + margin[0], low[1] - margin[1], high[1] + margin[1])


def confusion_matrix(targets, predictions, num_classes: int) -> np.ndarray:
    """Counts ``C[i, j]`` of examples of true class ``i`` predicted as class ``j``.

    The diagonal holds the correct answers; row ``i`` sums to the number of
    examples of class ``i``.
    """
    targets = np.asarray(targets).reshape(-1).astype(np.int64)
    predictions = np.asarray(predictions).reshape(-1).astype(np.int64)
    if targets.shape != predictions.shape:
        raise ValueError(
            f"confusion_matrix: {targets.size} targets but {predictions.size} predictions"
        )
    for name, values in (("targets", targets), ("predictions", predictions)):
        if values.size and (values.min() < 0 or values.max() >= num_classes):
            raise ValueError(
                f"confusion_matrix: {name} must be class indices in [0, {num_classes}), "
                f"got values from {values.min()} to {values.max()}"
            )
    flat = np.bincount(targets * num_classes + predictions, minlength=num_classes**2)
    return flat.reshape(num_classes, num_classes)


def misclassified(targets, predictions, limit: int) -> np.ndarray:
    """Indices of the first ``limit`` examples whose prediction differs from the target."""
    wrong = np.flatnonzero(np.asarray(targets).reshape(-1) != np.asarray(predictions).reshape(-1))
    return wrong[:limit]


# -------------------------------------------------------------------- what scripts declare


@dataclass
class Panel:
    """One set of axes in a figure: a title, axis labels with units, and what is drawn on it."""

    title: str = ""
    xlabel: str = ""
    ylabel: str = ""
    draws: list[Callable] = field(default_factory=list)
    limits: dict = field(default_factory=dict)
    grid_of_images: tuple | None = None  # (images, titles, columns) for an image grid
    log_x: bool = False
    integer_x: bool = True  # every line's x values are whole numbers (epochs): integer ticks
    log_y: bool = False
    width: float = PANEL_SIZE[0]  # inches
    height: float = PANEL_SIZE[1]

    def line(self, label: str, x, y, marker: str | None = None, **style) -> Panel:
        """A series; several on one panel share its axes (the point of a comparison).

        Short series (fewer than 30 points) get a marker on every point, so
        even a single measurement is visible.
        """
        x, y = np.asarray(x, dtype=float).reshape(-1), np.asarray(y, dtype=float).reshape(-1)
        if x.shape != y.shape:
            raise ValueError(
                f"line {label!r}: {x.size} x values but {y.size} y values; expected as many"
            )
        if marker is None and x.size < MARKER_BELOW:
            marker = "o"
        self.integer_x = self.integer_x and bool(np.all(x == np.round(x)))
        self.draws.append(lambda ax: ax.plot(x, y, label=label, marker=marker, **style))
        return self

    def hline(self, y: float, label: str, **style) -> Panel:
        """A horizontal reference: a baseline, chance level, a bar to reach (dashed)."""
        style = {"linestyle": "--", "color": "0.35", "linewidth": 1.5, **style}
        self.draws.append(lambda ax: ax.axhline(float(y), label=label, **style))
        return self

    def bars(self, labels: Sequence[str], values, value_format: str = "{:.3g}",
             log: bool = False, **style) -> Panel:
        """Horizontal bars, one per label (long labels stay readable), each with its value."""
        values = np.asarray(values, dtype=float).reshape(-1)
        if len(labels) != values.size:
            raise ValueError(f"bars: {len(labels)} labels but {values.size} values")
        self.log_x = log

        def draw(ax):
            positions = np.arange(values.size)
            ax.barh(positions, values, **style)
            ax.set_yticks(positions, list(labels))
            ax.invert_yaxis()  # the first label on top, as it is read
            ax.grid(axis="y", visible=False)
            for position, value in zip(positions, values, strict=True):
                ax.annotate(value_format.format(value), (value, position), xytext=(4, 0),
                            textcoords="offset points", va="center", fontsize=9)
            ax.margins(x=0.18)

        self.draws.append(draw)
        return self

    def ylim(self, bottom: float | None = None, top: float | None = None) -> Panel:
        """Fix the y range, e.g. ``ylim(0)`` so a change of 0.001 does not fill the panel."""
        self.limits["y"] = (bottom, top)
        return self

    def logy(self) -> Panel:
        """A logarithmic y axis, for losses that fall by orders of magnitude."""
        self.log_y = True
        return self

    def xlim(self, left: float | None = None, right: float | None = None) -> Panel:
        self.limits["x"] = (left, right)
        return self

    def decision_boundary(self, predict, points, labels, resolution: int = 150,
                          bounds=None) -> Panel:
        """The model's probability of class 1 over the plane, its 0.5 contour, and the points.

        Points are coloured by their true class; a point on the wrong side of
        the boundary is circled in red. A model that answers (nearly) the same
        everywhere gets a note instead of a contour that would trace rounding noise.
        """
        points = np.asarray(points, dtype=float)
        labels = np.asarray(labels).reshape(-1) > 0.5
        if points.ndim != 2 or points.shape[1] != 2 or len(points) != len(labels):
            raise ValueError(
                f"decision_boundary: expected points of shape (N, 2) and N labels, got "
                f"{points.shape} and {labels.shape}"
            )
        xs, ys, scores = decision_grid(predict, bounds or padded_bounds(points), resolution)
        wrong = (np.asarray(predict(points.astype(np.float32))).reshape(-1) > 0.5) != labels

        def draw(ax):
            filled = ax.contourf(xs, ys, scores, levels=np.linspace(0, 1, 11), cmap="RdBu_r",
                                 alpha=0.55, vmin=0, vmax=1)
            if scores.max() - scores.min() < FLAT_SCORES:  # the 0.5 contour would trace noise
                ax.text(0.5, 0.03, f"P(class 1) = {scores.mean():.2f} everywhere",
                        transform=ax.transAxes, ha="center", va="bottom",
                        bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "0.6"})
            elif scores.min() < 0.5 < scores.max():
                ax.contour(xs, ys, scores, levels=[0.5], colors="k", linewidths=2)
            for cls, colour, name in ((False, "tab:blue", "class 0"),
                                      (True, "tab:red", "class 1")):
                chosen = labels == cls
                ax.scatter(points[chosen, 0], points[chosen, 1], c=colour, edgecolors="white",
                           s=60 if len(points) < 20 else 18, label=name, zorder=3)
            if wrong.any():
                ax.scatter(points[wrong, 0], points[wrong, 1], facecolors="none",
                           edgecolors="red", s=240 if len(points) < 20 else 70, linewidths=2,
                           label=f"wrong ({int(wrong.sum())})", zorder=4)
            ax.figure.colorbar(filled, ax=ax, label="P(class 1)", ticks=[0, 0.5, 1])
            ax.set_aspect("equal", adjustable="box")
            ax.grid(False)

        self.draws.append(draw)
        return self

    def heatmap(self, matrix, x_labels=None, y_labels=None, colorbar: str = "",
                annotate: bool = False, value_format: str = "{:.0f}", cmap: str = "viridis",
                vmin: float | None = None, vmax: float | None = None,
                annotate_zeros: bool = True) -> Panel:
        """A matrix as colours: rows run down (``y_labels``), columns across (``x_labels``).

        ``annotate`` writes each value in its cell (dark text on light cells, and
        the reverse); ``annotate_zeros=False`` leaves the zeros blank.
        """
        matrix = np.asarray(matrix, dtype=float)
        if matrix.ndim != 2:
            raise ValueError(f"heatmap: expected a 2-D matrix, got shape {matrix.shape}")

        def draw(ax):
            image = ax.imshow(matrix, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
            rows, cols = matrix.shape
            if x_labels is not None:
                long = max(len(str(label)) for label in x_labels) > 3
                ax.set_xticks(np.arange(cols), list(x_labels), rotation=45 if long else 0,
                              ha="right" if long else "center")
            if y_labels is not None:
                ax.set_yticks(np.arange(rows), list(y_labels))
            if annotate:
                for (i, j), value in np.ndenumerate(matrix):
                    if value == 0 and not annotate_zeros:
                        continue
                    red, green, blue, _ = image.cmap(image.norm(value))
                    dark = 0.299 * red + 0.587 * green + 0.114 * blue < 0.5
                    ax.text(j, i, value_format.format(value), ha="center", va="center",
                            fontsize=8, color="white" if dark else "black")
            ax.figure.colorbar(image, ax=ax, label=colorbar)
            ax.grid(False)

        self.draws.append(draw)
        return self

    def confusion_matrix(self, matrix, class_names: Sequence[str]) -> Panel:
        """A confusion matrix (true class down, predicted across), non-zero counts written in."""
        matrix = np.asarray(matrix)
        if matrix.shape != (len(class_names), len(class_names)):
            raise ValueError(
                f"confusion_matrix: matrix of shape {matrix.shape} for {len(class_names)} "
                "class names; expected a square matrix, one row per class"
            )
        if not self.xlabel:
            self.xlabel = "predicted class"
        if not self.ylabel:
            self.ylabel = "true class"
        return self.heatmap(matrix, class_names, class_names, colorbar="test examples",
                            annotate=True, cmap="Blues", annotate_zeros=False)

    def text(self, text: str, max_lines: int = 16) -> Panel:
        """A block of monospace text (a generated sample) in a wide panel, cut to ``max_lines``.

        Long lines are wrapped at ``TEXT_COLUMNS`` characters.
        """
        lines = [wrapped for line in text.strip("\n").splitlines()
                 for wrapped in textwrap.wrap(line, TEXT_COLUMNS) or [""]][:max_lines]
        self.width, self.height = TEXT_PANEL_WIDTH, 1.0 + 0.17 * len(lines)

        def draw(ax):
            ax.axis("off")
            ax.text(0.0, 1.0, "\n".join(lines), family="monospace", fontsize=9.5, va="top",
                    ha="left", transform=ax.transAxes)

        self.draws.append(draw)
        return self

    def images(self, images, titles: Sequence[str], columns: int = 6) -> Panel:
        """A grid of small greyscale images (``(N, H, W)`` or ``(N, 1, H, W)``), each titled."""
        images = np.asarray(images, dtype=float)
        if images.ndim == 4 and images.shape[1] == 1:
            images = images[:, 0]
        if images.ndim != 3 or len(images) != len(titles):
            raise ValueError(
                f"images: expected N images of shape (H, W) and N titles, got images of shape "
                f"{images.shape} and {len(titles)} titles"
            )
        self.grid_of_images = (images, list(titles), columns)
        return self


@dataclass
class Figure:
    """A named figure of one or more panels; :meth:`Milestone.figure` makes one."""

    name: str
    title: str
    caption: str = ""
    panels: list[Panel] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not NAME_PATTERN.fullmatch(self.name):
            raise ValueError(
                f"figure name {self.name!r}: use lower-case letters, digits and '_' "
                "(it becomes part of the PNG's file name)"
            )

    def panel(self, title: str = "", xlabel: str = "", ylabel: str = "") -> Panel:
        """Add a panel to the right of the others; draw on what it returns."""
        self.panels.append(Panel(title, xlabel, ylabel))
        return self.panels[-1]

    def _only_panel(self) -> Panel:
        if len(self.panels) != 1:
            raise ValueError(
                f"figure {self.name!r} has {len(self.panels)} panels: draw on one of them "
                "(fig.panel(...).line(...)), or give xlabel/ylabel to ms.figure for one panel"
            )
        return self.panels[0]

    def line(self, label: str, x, y, **style) -> Panel:
        """:meth:`Panel.line` on the figure's single panel."""
        return self._only_panel().line(label, x, y, **style)

    def hline(self, y: float, label: str, **style) -> Panel:
        """:meth:`Panel.hline` on the figure's single panel."""
        return self._only_panel().hline(y, label, **style)

    def ylim(self, bottom: float | None = None, top: float | None = None) -> Panel:
        """:meth:`Panel.ylim` on the figure's single panel."""
        return self._only_panel().ylim(bottom, top)

    def classification_errors(self, images, targets, predictions,
                              class_names: Sequence[str], limit: int = 12) -> Figure:
        """Two panels: the confusion matrix, and the first ``limit`` misclassified images.

        Each image is titled ``true -> predicted`` with the class names.
        """
        targets, predictions = np.asarray(targets), np.asarray(predictions)
        matrix = confusion_matrix(targets, predictions, len(class_names))
        accuracy = np.trace(matrix) / max(matrix.sum(), 1)
        self.panel(f"test set: {accuracy:.1%} on the diagonal").confusion_matrix(
            matrix, class_names)
        wrong = misclassified(targets, predictions, limit)
        joint = "\n\u2192 " if max(len(name) for name in class_names) > 5 else " \u2192 "
        titles = [f"{class_names[targets[i]]}{joint}{class_names[predictions[i]]}" for i in wrong]
        self.panel(f"misclassified (true \u2192 predicted), {len(wrong)} of "
                   f"{int(matrix.sum() - np.trace(matrix))}").images(
            np.asarray(images)[wrong], titles, columns=4)
        return self

    def file_name(self, stem: str) -> str:
        return f"{stem}_{self.name}.png"


# -------------------------------------------------------------------- drawing


def render(figure: Figure):
    """The matplotlib Figure for ``figure`` (not saved; tests inspect it)."""
    from matplotlib import rc_context
    from matplotlib.figure import Figure as MatplotlibFigure

    if not figure.panels:
        raise ValueError(f"figure {figure.name!r} declares no panel: nothing to draw")
    with rc_context(STYLE):
        widths = [_panel_width(panel) for panel in figure.panels]
        height = max(_panel_height(panel) for panel in figure.panels)
        canvas = MatplotlibFigure(figsize=(sum(widths), height), layout="constrained")
        canvas.suptitle(_wrap(figure.title, sum(widths), "figure"), fontweight="bold")
        parts = canvas.subfigures(1, len(figure.panels), width_ratios=widths, squeeze=False)[0]
        for part, panel in zip(parts, figure.panels, strict=True):
            if panel.grid_of_images is not None:
                _draw_image_grid(part, panel)
            else:
                _draw_panel(part.subplots(), panel)
    return canvas


def _wrap(title: str, inches: float, kind: str) -> str:
    """``title`` broken into lines that fit ``inches`` of width."""
    return textwrap.fill(title, width=max(20, int(inches * CHARACTERS_PER_INCH[kind])))


def _panel_width(panel: Panel) -> float:
    if panel.grid_of_images is not None:
        columns = min(panel.grid_of_images[2], len(panel.grid_of_images[0]))
        return max(1.3 * columns, 3.0)
    return panel.width


def _panel_height(panel: Panel) -> float:
    if panel.grid_of_images is not None:
        images, _, columns = panel.grid_of_images
        return max(1.45 * -(-len(images) // columns) + 0.8, PANEL_SIZE[1])
    return panel.height


def _draw_panel(ax, panel: Panel) -> None:
    from matplotlib.ticker import MaxNLocator

    for draw in panel.draws:
        draw(ax)
    ax.set_title(_wrap(panel.title, panel.width, "panel"))
    ax.set_xlabel(panel.xlabel)
    ax.set_ylabel(panel.ylabel)
    if panel.log_x:
        ax.set_xscale("log")
    elif panel.integer_x and ax.get_lines():
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))
    if panel.log_y:
        ax.set_yscale("log")
    if "y" in panel.limits:
        ax.set_ylim(*panel.limits["y"])
    if "x" in panel.limits:
        ax.set_xlim(*panel.limits["x"])
    if ax.get_legend_handles_labels()[1]:
        ax.legend(loc="best", framealpha=0.85)


def _draw_image_grid(part, panel: Panel) -> None:
    images, titles, columns = panel.grid_of_images
    columns = max(1, min(columns, len(images)))
    rows = max(1, -(-len(images) // columns))
    axes = part.subplots(rows, columns, squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, image, title in zip(axes.ravel(), images, titles, strict=False):
        ax.imshow(image, cmap="gray_r", interpolation="nearest")
        ax.set_title(title, fontsize=9)
    if not len(images):
        axes[0, 0].text(0.5, 0.5, "none", ha="center", va="center")
    part.suptitle(panel.title, fontsize=12)


def save(figure: Figure, folder: Path, stem: str) -> dict:
    """Draw ``figure`` into ``folder/<stem>_<name>.png``; return its entry for the results JSON."""
    from tinytorch.tensor.io import atomic_write

    path = Path(folder) / figure.file_name(stem)
    canvas = render(figure)
    atomic_write(path, lambda stream: canvas.savefig(stream, dpi=DPI, format="png"))
    return {"name": figure.name, "file": path.name, "title": figure.title,
            "caption": figure.caption}


def matplotlib_missing() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return True
    return False
