"""Milestone 06 (2024): the systems age. Measure the models, then make them smaller and faster.

The models of milestones 03 to 05 are trained in this run on real data (small
budgets): the digits MLP 64-128-64-10, a two-conv digits CNN and a character
GPT on Shakespeare's plays. Then, with tt-systems, every technique is applied
and every number is measured on the model in hand:

1. profile each model: per-layer parameters, FLOPs, activation memory, latency;
2. int8 post-training quantization (per-channel weights, calibrated uint8
   activations, int32 accumulation) of the MLP and CNN: bytes and accuracy;
3. magnitude pruning of the MLP at 50/75/90/95% with masked fine-tuning
   (the accuracy-versus-sparsity curve), and structured pruning that removes
   half of the hidden neurons;
4. distillation of a 64-32-10 student from the MLP, against the same student
   trained alone;
5. 256 tokens from the GPT with and without a KV cache: the same tokens, and
   how much faster;
6. naive versus vectorized kernels (loop convolution and attention, fused ops).

The final report (``systems_report.json``, a table and figures) lists the
accuracy, latency and size of each model before and after each technique; it is
also the entry for ``nox -s leaderboard``.

Run:  python milestones/06_2024_systems_age/optimize_models.py [--quick]
"""

from __future__ import annotations

import copy
import json
import sys
import time

import numpy as np
from tinytorch import nn
from tinytorch.attention import GPT, CharTokenizer
from tinytorch.attention.datasets import load_shakespeare, sample_batch, train_val_split
from tinytorch.autograd import no_grad
from tinytorch.nn.functional import cross_entropy
from tinytorch.optim import SGD, AdamW, DataLoader, TensorDataset, clip_grad_norm_
from tinytorch.optim.datasets import load_digits
from tinytorch.spatial import Conv2d, MaxPool2d
from tinytorch.systems import acceleration, profiler, pruning, quantization
from tinytorch.systems.distillation import distill
from tinytorch.systems.kv_cache import generate_cached
from tinytorch.tensor import Tensor, manual_seed
from tinytorch.tensor.io import atomic_write_text
from ttdev.milestone import Milestone

SPARSITIES = (0.5, 0.75, 0.9, 0.95)
LATENCY_BATCH = 64
GENERATED_TOKENS = 256
PROMPT_TOKENS = 32

# ----------------------------------------------------------------------------- models


def digits_mlp(hidden=(128, 64)) -> nn.Sequential:
    sizes = (64, *hidden)
    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        layers += [nn.Linear(fan_in, fan_out), nn.ReLU()]
    return nn.Sequential(nn.Flatten(), *layers, nn.Linear(sizes[-1], 10))


def digits_cnn() -> nn.Sequential:
    return nn.Sequential(
        Conv2d(1, 16, 3, padding=1),
        nn.ReLU(),
        Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(32 * 4 * 4, 10),
    )


# ------------------------------------------------------------------ training and evaluation


def train_classifier(model, loader, epochs: int, lr: float, masks=None) -> list[float]:
    """SGD with momentum on cross-entropy; ``masks`` (PruningMasks) stay applied after each step."""
    optimizer = SGD(model.parameters(), lr=lr, momentum=0.9)
    if masks is not None:
        masks.attach(optimizer)
    losses = []
    model.train()
    for _ in range(epochs):
        total = 0.0
        for x, y in loader:
            loss = cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
        losses.append(total / len(loader))
    model.eval()
    return losses


def accuracy(model, x: np.ndarray, y: np.ndarray) -> float:
    model.eval()
    with no_grad():
        return float((model(Tensor(x)).data.argmax(axis=1) == y).mean())


def latency_ms(model, x: np.ndarray) -> float:
    """Median forward time on one batch, no_grad, after warm-up."""
    model.eval()
    batch = Tensor(x[:LATENCY_BATCH])
    with no_grad():
        return profiler.measure_latency(lambda: model(batch), repeats=30, warmup=5)[0]


def measured(model, test, size_bytes: int | None = None) -> dict:
    """Accuracy, latency and size of a digits model, all measured now."""
    return {
        "accuracy": accuracy(model, *test),
        "latency_ms": latency_ms(model, test[0]),
        "size_bytes": profiler.parameter_bytes(model) if size_bytes is None else size_bytes,
        "parameters": model.num_parameters(),
    }


# ----------------------------------------------------------------------------- techniques


def quantized(model, loader, test) -> tuple[nn.Module, dict]:
    int8 = quantization.quantize_model(copy.deepcopy(model), loader, num_batches=10)
    return int8, measured(int8, test)


def pruning_curve(dense, loader, test, epochs: int, ms: Milestone) -> dict:
    """Global magnitude pruning at each sparsity, fine-tuned with the masks kept."""
    curve = {}
    for sparsity in SPARSITIES:
        model = copy.deepcopy(dense)
        masks = pruning.PruningMasks.magnitude(model, sparsity, scope="global")
        train_classifier(model, loader, epochs, lr=0.02, masks=masks)
        report = pruning.sparsity_report(model)
        curve[sparsity] = {
            **measured(model, test, pruning.sparse_bytes(model)),
            "sparsity": report[-1].sparsity,
            "layers": pruning.sparsity_dict(report),
        }
        ms.log("accuracy_vs_sparsity", sparsity, curve[sparsity]["accuracy"])
        print(f"pruned to {sparsity:.0%}: accuracy {curve[sparsity]['accuracy']:.3f}")
    print(pruning.format_sparsity(pruning.sparsity_report(model)))
    return curve


def structured(dense, loader, test, epochs: int) -> dict:
    smaller = pruning.prune_structured(dense, 0.5)
    train_classifier(smaller, loader, epochs, lr=0.02)
    return measured(smaller, test)


def distillation_pair(teacher, loader, test, epochs: int, seed: int) -> tuple[dict, dict]:
    """The 64-32-10 student trained alone and from the teacher, from the same initial weights."""
    manual_seed(seed)
    alone = digits_mlp(hidden=(32,))
    student = copy.deepcopy(alone)
    train_classifier(alone, loader, epochs, lr=0.1)
    optimizer = SGD(student.parameters(), lr=0.1, momentum=0.9)
    distill(student, teacher, loader, optimizer, epochs, temperature=4.0, alpha=0.7)
    return measured(alone, test), measured(student, test)


# ----------------------------------------------------------------------------- the GPT


def gpt_logits(model: GPT, x: np.ndarray, start: int) -> Tensor:
    """The GPT's forward with the window placed at positions start .. start + T - 1."""
    h = model.embed(x, start_pos=start)
    for block in model.blocks:
        h = block(h, is_causal=True)
    return model.head(model.ln_f(h))


def train_gpt(ms: Milestone, steps: int, window: int, batch: int):
    """A char GPT whose windows are placed at random positions, so every position is trained."""
    text = load_shakespeare(ms.args.data_dir)
    tokenizer = CharTokenizer.from_text(text)
    train_tokens, val_tokens = train_val_split(tokenizer.encode_array(text), 0.1, seed=ms.args.seed)
    context = PROMPT_TOKENS + GENERATED_TOKENS
    model = GPT(
        tokenizer.vocab_size, context, embed_dim=128, num_heads=4, num_layers=2, seed=ms.args.seed
    )
    optimizer = AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
    rng = ms.rng
    started = time.perf_counter()
    bar = ms.progress(range(steps), desc="gpt")
    for step in bar:
        x, y = sample_batch(train_tokens, batch, window, rng)
        start = int(rng.integers(0, context - window + 1))
        loss = cross_entropy(
            gpt_logits(model, x, start).reshape(-1, tokenizer.vocab_size), y.reshape(-1)
        )
        optimizer.zero_grad()
        ms.backward(loss, model)  # the first also checks the graph
        clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        if step % 10 == 0:
            ms.log("gpt_loss", step, loss.item())
            bar.set_postfix(loss=loss.item())
    seconds = time.perf_counter() - started
    return model, tokenizer, val_tokens, seconds


def gpt_val_loss(model: GPT, val_tokens, window: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    context = model.context_length
    losses = []
    with no_grad():
        for _ in range(8):
            x, y = sample_batch(val_tokens, 16, window, rng)
            start = int(rng.integers(0, context - window + 1))
            logits = gpt_logits(model, x, start).reshape(-1, model.vocab_size)
            losses.append(cross_entropy(logits, y.reshape(-1)).item())
    return float(np.mean(losses))


def _median_seconds(generate, repeats: int = 3):
    """(the last result, the median wall time) of ``repeats`` calls of ``generate``."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = generate()
        times.append(time.perf_counter() - started)
    return result, float(np.median(times))


def kv_cache_run(model: GPT, prompt: np.ndarray, repeats: int = 3) -> dict:
    """256 greedy tokens uncached and cached, timed alike (the median of ``repeats`` runs):
    equality, times, cache bytes."""
    model.generate(prompt, 8, temperature=0)  # warm-up of both paths
    generate_cached(model, prompt, 8)
    uncached, uncached_s = _median_seconds(
        lambda: model.generate(prompt, GENERATED_TOKENS, temperature=0), repeats
    )
    (cached, cache), cached_s = _median_seconds(
        lambda: generate_cached(model, prompt, GENERATED_TOKENS, return_cache=True), repeats
    )
    return {
        "identical": bool(np.array_equal(uncached, cached)),
        "uncached_s": uncached_s,
        "cached_s": cached_s,
        "speedup": uncached_s / cached_s,
        "cache_bytes": cache.nbytes,
        "tokens": cached[len(prompt) :],
    }


# ----------------------------------------------------------------------------- report


def versions(model: dict) -> list[tuple[str, dict]]:
    """Baseline, techniques, then controls (marked), as (name, measurements) rows."""
    controls = [(f"{name} (control)", r) for name, r in model.get("controls", {}).items()]
    return [("baseline", model["baseline"]), *model["techniques"].items(), *controls]


def technique_table(models: dict) -> str:
    header = (
        f"{'model':<12} {'version':<22} {'accuracy':>9} {'latency ms':>11} "
        f"{'KiB':>9} {'size cut':>9}"
    )
    lines = [header, "-" * len(header)]
    for name, model in models.items():
        base = model["baseline"]
        for version, r in versions(model):
            acc = "-" if r.get("accuracy") is None else f"{r['accuracy']:.3f}"
            cut = base["size_bytes"] / r["size_bytes"]
            lines.append(
                f"{name:<12} {version:<22} {acc:>9} {r['latency_ms']:>11.3f} "
                f"{r['size_bytes'] / 1024:>9.1f} {cut:>8.2f}x"
            )
    return "\n".join(lines)


MODEL_NAMES = {"mlp": "MLP", "cnn": "CNN", "gpt": "GPT"}
VERSION_NAMES = {
    "baseline": "float32",
    "int8": "int8",
    "pruned_90_csr": "90% pruned, CSR",
    "structured_50": "half the neurons",
    "distilled_64_32_10": "distilled 64-32-10",
    "alone_64_32_10 (control)": "64-32-10 alone (control)",
    "kv_cache": "float32 + KV cache",
}


def draw_pruning(ms: Milestone, baseline: dict, curve: dict) -> None:
    """Accuracy against sparsity, with the dense model as the reference line."""
    sparsity = [100 * c["sparsity"] for c in curve.values()]
    accuracy = [100 * c["accuracy"] for c in curve.values()]
    dense = 100 * baseline["accuracy"]
    fig = ms.figure(
        "pruning", "Pruning the digits MLP: accuracy against sparsity",
        xlabel="sparsity (% of weights set to zero)", ylabel="test accuracy (%)",
        caption="Global magnitude pruning, then fine-tuning with the pruned weights kept at "
        "zero. The dashed line is the dense model before pruning.")
    fig.line("pruned and fine-tuned", sparsity, accuracy)
    fig.line("_dense model", [0], [dense], color="0.35", marker="s", markersize=8)
    fig.hline(dense, f"dense model, 0% sparse ({dense:.1f}%)")
    fig.ylim(max(0.0, 5 * np.floor(min(*accuracy, dense) / 5) - 5), 100).xlim(-3, 100)


def draw_size_and_latency(ms: Milestone, models: dict) -> None:
    """Parameter bytes of every version; latency in the unit each model is served in."""
    rows = [(f"{MODEL_NAMES[name]} {VERSION_NAMES.get(version, version)}", r, f"C{index}")
            for index, (name, model) in enumerate(models.items())
            for version, r in versions(model)]
    size = ms.figure(
        "size", "Bytes of the parameters, before and after each technique",
        caption="int8 stores one byte per weight (plus scales), the pruned MLP only its "
        "non-zero weights (CSR); the KV cache adds the keys and values it keeps.")
    size.panel("", "parameter bytes (KiB, log scale)").bars(
        [label for label, _, _ in rows], [r["size_bytes"] / 1024 for _, r, _ in rows],
        value_format="{:.1f}", log=True, color=[colour for _, _, colour in rows])
    latency = ms.figure(
        "latency", "Latency, measured: what each technique costs or saves",
        caption="Median of repeated runs on this machine: one batch of 64 digits for the MLP "
        "and CNN, one generated token for the GPT. NumPy has no int8 kernels, so int8 is "
        "slower here.")
    for title, chosen, unit in (
        ("digits models: one batch of 64", [row for row in rows if row[0][:3] != "GPT"],
         "latency (ms, log scale)"),
        ("GPT: one generated token", [row for row in rows if row[0][:3] == "GPT"],
         "latency (ms per token)"),
    ):
        latency.panel(title, unit).bars(
            [label for label, _, _ in chosen], [r["latency_ms"] for _, r, _ in chosen],
            value_format="{:.2f}", log=unit.endswith("log scale)"),
            color=[colour for _, _, colour in chosen])


def draw_kernels(ms: Milestone, speedups: list[dict]) -> None:
    """How much faster each vectorized or fused kernel is than its naive version."""
    fig = ms.figure(
        "kernels", "Vectorized and fused kernels against the naive ones",
        caption="Speedup = naive time / fast time, both measured in this run; 1x is no gain.")
    fig.panel("", "speedup (x, log scale)").bars(
        [f"{row['name']}\n{row['fast']} vs {row['slow']}" for row in speedups],
        [row["speedup"] for row in speedups], value_format="{:.1f}x", log=True)


def main() -> int:
    ms = Milestone.from_script(__file__, description="The systems age, 2024")
    manual_seed(ms.args.seed)
    (x_train, y_train), test = load_digits(seed=ms.args.seed)
    loader = DataLoader(
        TensorDataset(x_train, y_train), batch_size=32, shuffle=True, seed=ms.args.seed
    )
    epochs = ms.epochs(full=30, quick=15)

    mlp, cnn = digits_mlp(), digits_cnn()
    started = time.perf_counter()
    train_classifier(mlp, loader, epochs, lr=0.05)
    train_classifier(cnn, loader, ms.epochs(full=15, quick=6), lr=0.05)
    digits_seconds = time.perf_counter() - started
    # --epochs also sets the GPT steps; --grade (nox -s grade) trains the GPT half as long
    window, steps = 64, ms.epochs(full=1200, quick=150, grade=75)
    gpt, tokenizer, val_tokens, gpt_seconds = train_gpt(ms, steps, window, batch=16)

    profiles = {
        "mlp": profiler.profile_model(mlp, Tensor(test[0][:LATENCY_BATCH]), name="digits MLP"),
        "cnn": profiler.profile_model(cnn, Tensor(test[0][:LATENCY_BATCH]), name="digits CNN"),
        "gpt": profiler.profile_model(gpt, val_tokens[None, :window], repeats=10, name="char GPT"),
    }
    for p in profiles.values():
        print(p.table(), "\n")

    mlp_base, cnn_base = measured(mlp, test), measured(cnn, test)
    _, mlp_int8 = quantized(mlp, loader, test)
    _, cnn_int8 = quantized(cnn, loader, test)
    fine_tune = ms.epochs(full=10, quick=4)
    curve = pruning_curve(mlp, loader, test, fine_tune, ms)
    mlp_structured = structured(mlp, loader, test, fine_tune)
    student_alone, student_distilled = distillation_pair(mlp, loader, test, epochs, ms.args.seed)

    val_loss = gpt_val_loss(gpt, val_tokens, window, ms.args.seed)
    prompt = val_tokens[:PROMPT_TOKENS]
    kv = kv_cache_run(gpt, prompt, repeats=ms.budget(full=3, quick=3, grade=1))
    print("sample:", repr(tokenizer.decode(prompt) + tokenizer.decode(kv["tokens"])))
    gpt_bytes = profiler.parameter_bytes(gpt)
    speedups = acceleration.measure_accelerations(repeats=ms.budget(full=15, quick=5))
    print(acceleration.format_accelerations(speedups))

    models = {
        "mlp": {
            "baseline": mlp_base,
            "techniques": {
                "int8": mlp_int8,
                "pruned_90_csr": curve[0.9],
                "structured_50": mlp_structured,
                "distilled_64_32_10": student_distilled,
            },
            # the same small MLP trained without a teacher: shown, never scored
            "controls": {"alone_64_32_10": student_alone},
        },
        "cnn": {"baseline": cnn_base, "techniques": {"int8": cnn_int8}},
        "gpt": {
            "baseline": {
                "accuracy": None,
                "latency_ms": kv["uncached_s"] * 1e3 / GENERATED_TOKENS,
                "size_bytes": gpt_bytes,
                "val_loss": val_loss,
            },
            "techniques": {
                "kv_cache": {
                    "accuracy": None,
                    "latency_ms": kv["cached_s"] * 1e3 / GENERATED_TOKENS,
                    "size_bytes": gpt_bytes + kv["cache_bytes"],
                }
            },
        },
    }
    print(technique_table(models))

    ms.record("mlp_accuracy", mlp_base["accuracy"])
    ms.record("cnn_accuracy", cnn_base["accuracy"])
    ms.record("mlp_int8_size_reduction", mlp_base["size_bytes"] / mlp_int8["size_bytes"])
    ms.record("cnn_int8_size_reduction", cnn_base["size_bytes"] / cnn_int8["size_bytes"])
    ms.record("mlp_int8_accuracy_drop", mlp_base["accuracy"] - mlp_int8["accuracy"])
    ms.record("cnn_int8_accuracy_drop", cnn_base["accuracy"] - cnn_int8["accuracy"])
    ms.record("mlp_pruned90_sparsity", curve[0.9]["sparsity"])
    ms.record("mlp_pruned90_accuracy_drop", mlp_base["accuracy"] - curve[0.9]["accuracy"])
    ms.record("mlp_structured50_accuracy", mlp_structured["accuracy"])
    ms.record("distilled_student_accuracy", student_distilled["accuracy"])
    ms.record("student_alone_accuracy", student_alone["accuracy"])
    ms.record("gpt_val_loss", val_loss)
    ms.record("kv_cache_tokens_identical", float(kv["identical"]))
    ms.record("kv_cache_speedup", kv["speedup"])
    ms.record("kv_cache_bytes", kv["cache_bytes"])
    ms.facts(model_or_params=mlp, train_seconds=digits_seconds + gpt_seconds)

    report = {
        "entry": f"seed {ms.args.seed}",
        "quick": ms.args.quick,
        "models": models,
        "pruning_curve": {str(k): v for k, v in curve.items()},
        "profiles": {k: p.to_dict() for k, p in profiles.items()},
        "kv_cache": {k: v for k, v in kv.items() if k != "tokens"},
        "accelerations": speedups,
        "blas": acceleration.blas_note(),
    }
    out = ms.results_dir
    out.mkdir(parents=True, exist_ok=True)
    report_text = json.dumps(report, indent=2, default=float) + "\n"
    atomic_write_text(out / "systems_report.json", report_text)
    print(f"report: {out / 'systems_report.json'}")
    draw_pruning(ms, mlp_base, curve)
    draw_size_and_latency(ms, models)
    draw_kernels(ms, speedups)
    return ms.finish()


if __name__ == "__main__":
    sys.exit(main())
