"""Declared figures: what the helpers compute, what the drawn axes hold, what finish() writes."""

import json

import numpy as np
import pytest

from ttdev.milestone import Milestone
from ttdev.milestone.figures import (
    DPI,
    Figure,
    confusion_matrix,
    decision_grid,
    misclassified,
    padded_bounds,
    render,
)

matplotlib = pytest.importorskip("matplotlib")


def _milestone(milestone_dir, tmp_path, *argv):
    return Milestone.from_script(
        str(milestone_dir / "train.py"), argv=["--results-dir", str(tmp_path / "out"), *argv]
    )


def _axes(canvas):
    """The data axes of a drawn figure (colour bars left out)."""
    return [ax for ax in canvas.get_axes() if ax.get_label() != "<colorbar>"]


# ------------------------------------------------------------------ helpers


def test_confusion_matrix_counts_true_rows_against_predicted_columns():
    matrix = confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2], num_classes=3)
    assert matrix.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    assert matrix.sum(axis=1).tolist() == [2, 1, 3]  # rows: examples of each true class


def test_confusion_matrix_refuses_labels_outside_the_classes():
    with pytest.raises(ValueError, match=r"class indices in \[0, 2\)"):
        confusion_matrix([0, 2], [0, 1], num_classes=2)
    with pytest.raises(ValueError, match="3 targets but 2 predictions"):
        confusion_matrix([0, 1, 1], [0, 1], num_classes=2)


def test_misclassified_returns_the_first_wrong_indices():
    assert misclassified([0, 1, 2, 3, 4], [0, 2, 2, 0, 1], limit=2).tolist() == [1, 3]


def test_decision_grid_rows_follow_y_and_columns_x():
    xs, ys, scores = decision_grid(lambda p: (p[:, 0] > 0.25).astype(float), (-1, 1, 0, 2), 5)
    assert xs.tolist() == [-1, -0.5, 0, 0.5, 1] and ys.tolist() == [0, 0.5, 1, 1.5, 2]
    assert scores.shape == (5, 5)
    assert (scores == np.array([[0, 0, 0, 1, 1]] * 5)).all()  # the same in every row (y)
    _, _, by_y = decision_grid(lambda p: p[:, 1:2], (-1, 1, 0, 2), 5)  # (N, 1) scores are fine
    assert by_y[:, 0].tolist() == [0, 0.5, 1, 1.5, 2]


def test_decision_grid_wants_one_score_per_point():
    with pytest.raises(ValueError, match="one score per point"):
        decision_grid(lambda p: p, (0, 1, 0, 1), 4)


def test_padded_bounds_leave_room_around_the_points():
    assert padded_bounds(np.array([[0.0, 0.0], [1.0, 2.0]]), pad=0.5) == (-0.5, 1.5, -1.0, 3.0)


# ------------------------------------------------------------------ declaring and drawing


def test_overlaid_lines_share_one_labelled_axis():
    fig = Figure("loss", "MLP against CNN")
    panel = fig.panel("digits", xlabel="epoch", ylabel="training loss (nats)")
    panel.line("MLP", [1, 2, 3], [1.0, 0.6, 0.4]).line("CNN", [1, 2, 3], [0.9, 0.3, 0.1])
    panel.hline(0.2, "target")
    canvas = render(fig)
    (ax,) = _axes(canvas)
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "training loss (nats)"
    assert [line.get_label() for line in ax.get_lines()] == ["MLP", "CNN", "target"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["MLP", "CNN", "target"]
    assert canvas.get_suptitle() == "MLP against CNN"


def test_short_series_get_markers_long_ones_do_not():
    fig = Figure("val", "v")
    panel = fig.panel(xlabel="step", ylabel="loss")
    panel.line("one point", [300], [2.4]).line("long", np.arange(100), np.ones(100))
    short, long = _axes(render(fig))[0].get_lines()
    assert short.get_marker() == "o" and long.get_marker() in ("None", None, "")


def test_whole_number_x_values_get_whole_number_ticks():
    fig = Figure("epochs", "e")
    fig.panel(xlabel="epoch", ylabel="loss").line("train", [1, 2], [0.9, 0.5])
    ticks = _axes(render(fig))[0].get_xticks()
    assert len(ticks) and all(float(t).is_integer() for t in ticks)


def test_ylim_keeps_a_tiny_change_small():
    fig = Figure("xor", "x")
    fig.panel(xlabel="step", ylabel="loss").line("xor", [0, 1], [0.6932, 0.6923]).ylim(0)
    low, high = _axes(render(fig))[0].get_ylim()
    assert low == 0 and high > 0.69
    fig = Figure("falls", "f")
    fig.panel(xlabel="step", ylabel="loss").line("copy", [0, 1], [2.3, 0.001]).logy()
    assert _axes(render(fig))[0].get_yscale() == "log"


def test_panels_sit_side_by_side_each_with_its_labels():
    fig = Figure("crisis", "XOR")
    fig.panel("one layer", "x1", "x2").decision_boundary(
        lambda p: (p[:, 0] > 0.5).astype(float), [[0, 0], [0, 1], [1, 0], [1, 1]], [0, 1, 1, 0])
    fig.panel("matrix").confusion_matrix([[3, 1], [0, 4]], ["cat", "dog"])
    boundary, matrix = _axes(render(fig))
    assert (boundary.get_title(), boundary.get_xlabel(), boundary.get_ylabel()) == (
        "one layer", "x1", "x2")
    assert matrix.get_xlabel() == "predicted class" and matrix.get_ylabel() == "true class"
    assert [t.get_text() for t in matrix.get_xticklabels()] == ["cat", "dog"]
    assert sorted(t.get_text() for t in matrix.texts) == ["1", "3", "4"]  # zeros left blank
    colours = {t.get_text(): t.get_color() for t in matrix.texts}
    assert colours["4"] == "white" and colours["1"] == "black"  # readable on dark and light
    assert any(t.get_text() == "wrong (2)" for t in boundary.get_legend().get_texts())


def test_image_grid_draws_one_titled_axes_per_image():
    fig = Figure("mistakes", "m")
    fig.panel("misclassified").images(np.zeros((5, 1, 8, 8)), [f"true {i}" for i in range(5)],
                                      columns=3)
    shown = [ax for ax in render(fig).get_axes() if ax.images]
    assert [ax.get_title() for ax in shown] == [f"true {i}" for i in range(5)]


def test_classification_errors_show_the_matrix_and_only_the_wrong_images():
    images = np.arange(4 * 8 * 8, dtype=float).reshape(4, 1, 8, 8)
    fig = Figure("errors", "e").classification_errors(images, [0, 1, 1, 0], [0, 1, 0, 1],
                                                      ["cat", "dog"])
    canvas = render(fig)
    matrix = _axes(canvas)[0]
    assert matrix.get_title() == "test set: 50.0% on the diagonal"
    assert sorted(t.get_text() for t in matrix.texts) == ["1", "1", "1", "1"]
    shown = [ax for ax in canvas.get_axes() if ax.images and ax is not matrix]
    assert [ax.get_title() for ax in shown] == ["dog \u2192 cat", "cat \u2192 dog"]
    assert (shown[0].images[0].get_array() == images[2, 0]).all()


def test_bad_declarations_are_explained():
    with pytest.raises(ValueError, match="3 x values but 2 y values"):
        Figure("a", "a").panel().line("loss", [1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="lower-case letters"):
        Figure("Loss Curve", "a")
    two = Figure("b", "b")
    two.panel(), two.panel()
    with pytest.raises(ValueError, match="has 2 panels"):
        two.line("x", [1], [1])
    with pytest.raises(ValueError, match="declares no panel"):
        render(Figure("c", "c"))


# ------------------------------------------------------------------ the runner


def test_finish_writes_each_figure_and_lists_it_in_the_results(milestone_dir, tmp_path):
    ms = _milestone(milestone_dir, tmp_path, "--quick")
    for epoch, loss in enumerate([1.0, 0.5, 0.3], start=1):
        ms.log("train loss", epoch, loss)
    fig = ms.figure("loss", "Training", xlabel="epoch", ylabel="loss (nats)",
                    caption="It falls.")
    fig.line("train", *ms.curve("train loss"))
    ms.figure("words", "Sample").panel().text("to be or not to be")
    ms.record("test_accuracy", 0.9)
    ms.record("final_loss", 0.3)
    assert ms.finish() == 0
    out = tmp_path / "out" / "01_1957_perceptron"
    report = json.loads((out / "train.json").read_text())
    assert report["figures"] == [
        {"name": "loss", "file": "train_loss.png", "title": "Training", "caption": "It falls."},
        {"name": "words", "file": "train_words.png", "title": "Sample", "caption": ""},
    ]
    from matplotlib.image import imread

    height, width = imread(out / "train_loss.png").shape[:2]
    assert (width, height) == (round(4.6 * DPI), round(3.6 * DPI))  # 150 dpi, one panel


def test_a_figure_name_is_declared_once_and_curves_must_exist(milestone_dir, tmp_path):
    ms = _milestone(milestone_dir, tmp_path)
    ms.figure("loss", "a", xlabel="epoch")
    with pytest.raises(ValueError, match="declared twice"):
        ms.figure("loss", "b")
    with pytest.raises(KeyError, match="no curve 'val loss'"):
        ms.curve("val loss")


def test_the_drawn_graph_is_listed_after_the_declared_figures(milestone_dir, tmp_path):
    pytest.importorskip("tinytorch.autograd")
    from tinytorch.tensor import Tensor

    ms = _milestone(milestone_dir, tmp_path, "--quick")
    w = Tensor([1.0, 2.0], requires_grad=True)
    ms.backward((w * w).sum(), {"w": w}, draw=True)
    ms.figure("loss", "Training", xlabel="epoch", ylabel="loss").line("train", [1], [0.5])
    ms.record("test_accuracy", 0.9)
    ms.record("final_loss", 0.3)
    ms.finish()
    report = json.loads((tmp_path / "out" / "01_1957_perceptron" / "train.json").read_text())
    assert [(f["name"], f["file"]) for f in report["figures"]] == [
        ("loss", "train_loss.png"), ("graph", "graph.svg")]
