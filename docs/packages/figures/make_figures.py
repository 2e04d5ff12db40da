"""Draw the package guides' figures from tinytorch's own code: a PNG or SVG per package.

Each figure computes what it shows with the reference packages (the sum that
broadcasts, the gradient backward() returns, the optimizer's steps, the
im2col columns, the attention weights, the int8 round trip) and draws it with
matplotlib. The PNGs are committed beside this script, so building the docs
needs neither the packages nor matplotlib. Regenerate them after a change
that alters what they show:

    pip install matplotlib -e packages/tt-tensor ... -e packages/tt-systems
    python docs/packages/figures/make_figures.py

Deterministic: fixed seeds, no timing; the graph uses draw_graph's plain
renderer, the same on every machine. Each file stays well under 100 KB.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

HERE = Path(__file__).resolve().parent
DPI = 110
STYLE = {"font.size": 10, "axes.titlesize": 11, "axes.spines.top": False,
         "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.3,
         "lines.linewidth": 2.0}


def save(fig, name: str) -> Path:
    """Write ``fig`` as ``<name>.png`` beside this script (no timestamps in the metadata)."""
    path = HERE / f"{name}.png"
    fig.savefig(path, dpi=DPI, metadata={"Software": None})
    return path


def grid_values(ax, values: np.ndarray, shade: np.ndarray, title: str, cmap="Oranges") -> None:
    """A small matrix drawn as cells with its numbers; ``shade`` 1 = stored, 0.35 = repeated."""
    ax.imshow(shade, cmap=cmap, vmin=0, vmax=1.4)
    for (i, j), value in np.ndenumerate(values):
        ax.text(j, i, f"{value:g}", ha="center", va="center", fontsize=11,
                color="black" if shade[i, j] < 1 else "white")
    ax.set_xticks([]), ax.set_yticks([])
    ax.grid(False)
    ax.set_title(title)


def broadcasting() -> Path:
    """tt-tensor: (3, 1) + (1, 4) -> (3, 4); each operand stretched along its size-1 axis."""
    from tinytorch.tensor import Tensor

    a = Tensor(np.array([[0.0], [10.0], [20.0]]))
    b = Tensor(np.array([[1.0, 2.0, 3.0, 4.0]]))
    total = (a + b).data
    shape = total.shape
    stored_a = np.zeros(shape)
    stored_a[:, 0] = 1
    stored_b = np.zeros(shape)
    stored_b[0, :] = 1
    fig = Figure(figsize=(9, 2.8), layout="constrained")
    axes = fig.subplots(1, 3)
    grid_values(axes[0], np.broadcast_to(a.data, shape), np.maximum(stored_a, 0.35),
                "a: shape (3, 1), stretched to (3, 4)")
    grid_values(axes[1], np.broadcast_to(b.data, shape), np.maximum(stored_b, 0.35),
                "b: shape (1, 4), stretched to (3, 4)")
    grid_values(axes[2], total, np.ones(shape), "a + b: shape (3, 4)", cmap="Blues")
    fig.suptitle("Broadcasting: dark cells are stored, light ones are the same values repeated "
                 "(nothing is copied)", fontsize=11)
    return save(fig, "tt-tensor")


def autograd_gradient() -> Path:
    """tt-autograd: the gradient backward() gives for tanh, against finite differences."""
    from tinytorch.tensor import Tensor

    x = Tensor(np.linspace(-3, 3, 121), requires_grad=True)
    y = x.tanh()
    y.sum().backward()  # dL/dx_i = tanh'(x_i), since L = sum_i tanh(x_i)
    h = 1e-4
    probe = np.linspace(-3, 3, 13)
    finite = (np.tanh(probe + h) - np.tanh(probe - h)) / (2 * h)
    fig = Figure(figsize=(5.6, 3.6), layout="constrained")
    ax = fig.subplots()
    ax.plot(x.data, y.data, label="y = tanh(x)")
    ax.plot(x.data, x.grad.data, label="x.grad from y.sum().backward()")
    ax.plot(probe, finite, "o", color="black", label="finite difference (f(x+h) - f(x-h)) / 2h")
    ax.set_xlabel("x")
    ax.set_ylabel("value")
    ax.set_title("backward() gives 1 - tanh(x)², as the rule says")
    ax.legend(loc="lower right", fontsize=9)
    return save(fig, "tt-autograd")


def computation_graph() -> Path:
    """tt-autograd: the graph behind the perceptron's loss, drawn by ``draw_graph``."""
    from tinytorch.autograd import draw_graph
    from tinytorch.tensor import Tensor

    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((4, 2)).astype(np.float32))
    y = Tensor(np.array([0.0, 1.0, 1.0, 0.0], dtype=np.float32))
    w = Tensor(rng.standard_normal((2, 1)).astype(np.float32), requires_grad=True)
    b = Tensor(np.zeros(1, dtype=np.float32), requires_grad=True)
    loss = ((x @ w + b).sigmoid().reshape(-1) - y).pow(2).mean()
    path = HERE / "tt-autograd-graph.svg"
    draw_graph(loss, path, params={"w": w, "b": b}, renderer="plain")
    return path


def activations() -> Path:
    """tt-nn: the activation modules and the derivatives autograd computes for them."""
    from tinytorch import nn
    from tinytorch.tensor import Tensor

    fig = Figure(figsize=(9, 3.4), layout="constrained")
    values, slopes = fig.subplots(1, 2)
    grid = np.linspace(-4, 4, 161)
    for module in (nn.ReLU(), nn.Sigmoid(), nn.Tanh(), nn.GELU()):
        x = Tensor(grid, requires_grad=True)
        y = module(x)
        y.sum().backward()
        name = type(module).__name__
        values.plot(grid, y.data, label=name)
        slopes.plot(grid, x.grad.data, label=name)
    values.set_title("f(x), the module's forward")
    slopes.set_title("f'(x), from backward(): where gradients flow")
    for ax, label in ((values, "f(x)"), (slopes, "f'(x)")):
        ax.set_xlabel("x")
        ax.set_ylabel(label)
        ax.legend(fontsize=9)
    return save(fig, "tt-nn")


def optimizer_paths() -> Path:
    """tt-optim: SGD, SGD with momentum and Adam on f(x, y) = (x² + 10 y²) / 2."""
    from tinytorch import optim
    from tinytorch.tensor import Tensor

    def loss(p):
        return 0.5 * (p[0] * p[0] + 10.0 * p[1] * p[1])

    recipes = {
        "SGD lr 0.09": lambda ps: optim.SGD(ps, lr=0.09),
        "SGD lr 0.03, momentum 0.9": lambda ps: optim.SGD(ps, lr=0.03, momentum=0.9),
        "Adam lr 0.3": lambda ps: optim.Adam(ps, lr=0.3),
    }
    xs, ys = np.meshgrid(np.linspace(-4.5, 1.5, 200), np.linspace(-2.2, 2.2, 200))
    fig = Figure(figsize=(6.4, 4.0), layout="constrained")
    ax = fig.subplots()
    ax.contour(xs, ys, 0.5 * (xs**2 + 10 * ys**2), levels=np.geomspace(0.05, 40, 12),
               colors="0.75", linewidths=1)
    for label, make in recipes.items():
        p = Tensor(np.array([-4.0, 1.8]), requires_grad=True)
        optimizer = make([p])
        path = [p.data.copy()]
        for _ in range(30):
            optimizer.zero_grad()
            loss(p).backward()
            optimizer.step()
            path.append(p.data.copy())
        path = np.array(path)
        ax.plot(path[:, 0], path[:, 1], marker="o", markersize=3, label=label)
    ax.plot([0], [0], "k*", markersize=12, label="minimum")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_aspect("equal")
    ax.grid(False)
    ax.set_title("30 steps on f = (x² + 10 y²) / 2: the steep y direction decides")
    ax.legend(fontsize=8, loc="lower right")
    return save(fig, "tt-optim")


def im2col_picture() -> Path:
    """tt-spatial: a 4x4 image, a 3x3 kernel: im2col makes one column per output pixel."""
    from tinytorch.spatial.im2col import im2col

    image = np.arange(1, 17, dtype=np.float32).reshape(1, 1, 4, 4)
    columns = im2col(image, (3, 3), (1, 1), (1, 1))[0]  # (9, 4): rows = kernel weights
    colours = ["tab:blue", "tab:orange", "tab:green", "tab:red"]
    fig = Figure(figsize=(8.5, 3.8), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=[1, 1.1])
    left.imshow(np.zeros((4, 4)), cmap="Greys", vmin=0, vmax=1)
    for (i, j), value in np.ndenumerate(image[0, 0]):
        left.text(j, i, f"{value:g}", ha="center", va="center", fontsize=12)
    for k, (y, x) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
        inset = 0.08 * (k + 1)
        left.add_patch(Rectangle((x - 0.5 + inset, y - 0.5 + inset), 3 - 2 * inset,
                                     3 - 2 * inset, fill=False, lw=2.2, ec=colours[k]))
    left.set_title("input 4x4; the four 3x3 windows")
    right.imshow(np.zeros(columns.shape), cmap="Greys", vmin=0, vmax=1, aspect="auto")
    for (i, j), value in np.ndenumerate(columns):
        right.text(j, i, f"{value:g}", ha="center", va="center", fontsize=10, color=colours[j])
    right.set_xticks(range(4), [f"output\n({y}, {x})" for y in (0, 1) for x in (0, 1)])
    right.set_yticks(range(9), [f"w[{i}, {j}]" for i in range(3) for j in range(3)])
    right.set_title("im2col: 9 rows (C·kh·kw) by 4 columns (H_out·W_out)")
    for ax in (left, right):
        ax.grid(False)
    left.set_xticks([]), left.set_yticks([])
    fig.suptitle("Convolution as one matrix product: weight.reshape(C_out, 9) @ columns",
                 fontsize=11)
    return save(fig, "tt-spatial")


def attention_weights() -> Path:
    """tt-attention: sinusoidal positions, and causal self-attention weights of one sequence."""
    from tinytorch.attention import MultiheadAttention, SinusoidalPositionalEncoding
    from tinytorch.autograd import no_grad
    from tinytorch.tensor import Tensor

    positions = SinusoidalPositionalEncoding(32, max_len=48)(np.arange(48)).data
    length, dim = 12, 32
    rng = np.random.default_rng(0)
    tokens = rng.standard_normal((1, length, dim)).astype(np.float32) + positions[None, :length]
    attention = MultiheadAttention(dim, 4, batch_first=True, generator=np.random.default_rng(1))
    with no_grad():
        x = Tensor(tokens)
        _, weights = attention(x, x, x, is_causal=True,
                               attn_mask=np.triu(np.ones((length, length), bool), 1))
    fig = Figure(figsize=(9, 3.6), layout="constrained")
    left, right = fig.subplots(1, 2)
    shown = left.imshow(positions.T, cmap="RdBu_r", aspect="auto", vmin=-1, vmax=1)
    left.set_xlabel("position p")
    left.set_ylabel("dimension")
    left.set_title("sinusoidal encodings: sin/cos(p · 10000^(-2i/d))")
    fig.colorbar(shown, ax=left)
    shown = right.imshow(weights.data[0], cmap="magma", vmin=0, vmax=1)
    right.set_xlabel("key position (attended to)")
    right.set_ylabel("query position")
    right.set_title("causal self-attention weights: rows sum to 1")
    fig.colorbar(shown, ax=right, label="weight")
    for ax in (left, right):
        ax.grid(False)
    return save(fig, "tt-attention")


def quantization_error() -> Path:
    """tt-systems: int8 round trip of Gaussian weights; the error stays within scale / 2."""
    from tinytorch.systems import quantization as q

    weights = np.random.default_rng(0).standard_normal(4000).astype(np.float32) * 0.1
    qparams = q.calculate_qparams(weights, symmetric=True)
    restored = q.dequantize(q.quantize(weights, qparams), qparams)
    bound = float(q.quantization_error_bound(qparams))
    fig = Figure(figsize=(9, 3.4), layout="constrained")
    left, right = fig.subplots(1, 2)
    left.hist(weights, bins=80, color="tab:blue")
    left.set_xlabel("weight value")
    left.set_ylabel("count")
    left.set_title(f"4,000 float32 weights → int8 (scale {float(qparams.scale):.2e})")
    right.scatter(weights, restored - weights, s=3, color="tab:orange")
    for sign in (-1, 1):
        right.axhline(sign * bound, ls="--", color="0.3")
    right.text(weights.min(), bound * 0.85, "± scale / 2", fontsize=9, va="top",
               bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.9})
    right.set_xlabel("weight value")
    right.set_ylabel("dequantize(quantize(w)) - w")
    right.set_title("rounding error: within ± scale / 2, 4x fewer bytes")
    return save(fig, "tt-systems")


FIGURES = (broadcasting, computation_graph, autograd_gradient, activations, optimizer_paths,
           im2col_picture, attention_weights, quantization_error)


def main() -> None:
    with rc_context(STYLE):
        for draw in FIGURES:
            path = draw()
            print(f"{path.relative_to(HERE.parents[2])}: {path.stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
