"""Checkpoints: round trip, no code on load, crash safety, and resuming exactly."""

import json
import os
import zipfile

import numpy as np
import pytest
from tinytorch import nn
from tinytorch.optim import SGD, Adam, DataLoader, TensorDataset, lr_scheduler
from tinytorch.optim.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from tinytorch.optim.trainer import Trainer
from tinytorch.tensor import Tensor, manual_seed


def mlp(seed=0):
    manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))


def data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0).astype(np.int64)
    return x, y


def train_steps(model, optimizer, scheduler, batches):
    """Plain training steps; returns the losses."""
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    for x, y in batches:
        optimizer.zero_grad()
        loss = loss_fn(model(Tensor(x)), Tensor(y))
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
    return losses


def build(seed=0):
    model = mlp(seed)
    optimizer = Adam(model.parameters(), lr=0.01)
    warmup = lr_scheduler.LinearLR(optimizer, 0.1, total_iters=3)
    cosine = lr_scheduler.CosineAnnealingLR(optimizer, T_max=10)
    scheduler = lr_scheduler.SequentialLR(optimizer, [warmup, cosine], milestones=[3])
    return model, optimizer, scheduler


def batches(count, seed=0):
    x, y = data(16 * count, seed)
    return [(x[i : i + 16], y[i : i + 16]) for i in range(0, len(x), 16)]


def test_round_trip_restores_model_optimizer_scheduler_epoch_and_extra(tmp_path):
    model, optimizer, scheduler = build()
    train_steps(model, optimizer, scheduler, batches(4))
    path = tmp_path / "run.npz"
    rng_state = np.random.default_rng(5).bit_generator.state
    extra = {"history": {"loss": [1.0, 0.5]}, "rng": rng_state, "mask": np.arange(3)}
    save_checkpoint(path, model, optimizer, scheduler, epoch=7, extra=extra)

    other, other_optimizer, other_scheduler = build(seed=1)
    state = load_checkpoint(path, other, other_optimizer, other_scheduler)
    assert state["epoch"] == 7
    assert state["extra"]["history"] == {"loss": [1.0, 0.5]}
    assert state["extra"]["rng"] == rng_state
    np.testing.assert_array_equal(state["extra"]["mask"], np.arange(3))
    for a, b in zip(model.parameters(), other.parameters(), strict=True):
        np.testing.assert_array_equal(a.data, b.data)
    assert other_scheduler.get_last_lr() == scheduler.get_last_lr()
    assert other_optimizer.param_groups[0]["lr"] == optimizer.param_groups[0]["lr"]


def test_resuming_gives_the_same_next_losses_as_training_straight_through(tmp_path):
    steps = batches(8)
    model, optimizer, scheduler = build()
    straight = train_steps(model, optimizer, scheduler, steps)

    first, first_optimizer, first_scheduler = build()
    train_steps(first, first_optimizer, first_scheduler, steps[:5])
    save_checkpoint(tmp_path / "ckpt.npz", first, first_optimizer, first_scheduler, epoch=5)

    resumed, resumed_optimizer, resumed_scheduler = build(seed=2)
    load_checkpoint(tmp_path / "ckpt.npz", resumed, resumed_optimizer, resumed_scheduler)
    after = train_steps(resumed, resumed_optimizer, resumed_scheduler, steps[5:])
    assert after == straight[5:]


def test_trainer_resumes_exactly(tmp_path):
    x, y = data(96)

    def run(epochs, trainer):
        loader = DataLoader(TensorDataset(x, y), 16, shuffle=False)
        trainer.fit(loader, epochs=epochs)
        return trainer

    def trainer_for(seed):
        model, optimizer, scheduler = build(seed)
        return Trainer(model, optimizer, nn.CrossEntropyLoss(), scheduler=scheduler, progress=False)

    straight = run(3, trainer_for(0))
    first = run(2, trainer_for(0))
    first.save_checkpoint(tmp_path / "t.npz")
    resumed = trainer_for(4)
    resumed.load_checkpoint(tmp_path / "t.npz")
    run(1, resumed)
    assert resumed.epoch == 3
    assert resumed.history["train_loss"] == straight.history["train_loss"]
    assert resumed.step_losses == straight.step_losses


def test_the_file_is_plain_npz_readable_without_pickle(tmp_path):
    model, optimizer, scheduler = build()
    path = save_checkpoint(tmp_path / "c.npz", model, optimizer, epoch=1)
    with np.load(path, allow_pickle=False) as archive:
        metadata = json.loads(archive["__metadata__"].tobytes())
        assert metadata["format"] == "tinytorch-checkpoint"
        assert "model/0.weight" in archive.files
    assert os.listdir(tmp_path) == ["c.npz"]


def test_a_pickled_entry_is_refused(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(
        path,
        __metadata__=np.frombuffer(b"{}", np.uint8),
        payload=np.array([{"not": "an array"}], dtype=object),
    )
    with pytest.raises(CheckpointError, match="not a readable"):
        load_checkpoint(path)


def test_a_file_that_is_not_a_checkpoint_is_named(tmp_path):
    path = tmp_path / "weights.npz"
    np.savez(path, w=np.zeros(3))
    with pytest.raises(CheckpointError, match="no __metadata__"):
        load_checkpoint(path)
    (tmp_path / "text.npz").write_text("hello")
    with pytest.raises(CheckpointError, match="not a readable"):
        load_checkpoint(tmp_path / "text.npz")
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        load_checkpoint(tmp_path / "missing.npz")


def crash_in_fsync(monkeypatch):
    def crash(descriptor):
        raise OSError("simulated power loss during fsync")

    monkeypatch.setattr(os, "fsync", crash)


def crash_half_way_through_the_data(monkeypatch):
    def half_then_crash(file, **arrays):
        file.write(b"PK\x03\x04 half a zip")
        raise OSError("simulated crash half way through writing")

    monkeypatch.setattr(np, "savez", half_then_crash)


@pytest.mark.parametrize("crash", [crash_in_fsync, crash_half_way_through_the_data])
def test_a_crash_during_the_write_leaves_the_previous_checkpoint_intact(
    tmp_path, monkeypatch, crash
):
    model, optimizer, scheduler = build()
    path = tmp_path / "run.npz"
    save_checkpoint(path, model, optimizer, scheduler, epoch=1)
    before = path.read_bytes()
    train_steps(model, optimizer, scheduler, batches(2))

    crash(monkeypatch)
    with pytest.raises(OSError, match="simulated"):
        save_checkpoint(path, model, optimizer, scheduler, epoch=2)
    monkeypatch.undo()

    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["run.npz"]  # no temporary file left behind
    assert load_checkpoint(path)["epoch"] == 1
    assert zipfile.is_zipfile(path)


def test_an_unserialisable_extra_fails_before_touching_the_file(tmp_path):
    model, optimizer, _ = build()
    path = tmp_path / "run.npz"
    save_checkpoint(path, model, epoch=1)
    with pytest.raises(TypeError, match="cannot save a object"):
        save_checkpoint(path, model, epoch=2, extra={"bad": object()})
    assert load_checkpoint(path)["epoch"] == 1


def test_loading_an_optimizer_from_a_checkpoint_without_one_says_so(tmp_path):
    model, optimizer, _ = build()
    save_checkpoint(tmp_path / "m.npz", model)
    with pytest.raises(CheckpointError, match="holds no optimizer state"):
        load_checkpoint(tmp_path / "m.npz", model, optimizer)


def weights(model):
    return {name: np.array(value.data) for name, value in model.state_dict().items()}


def saved_run(tmp_path):
    model, optimizer, scheduler = build()
    train_steps(model, optimizer, scheduler, batches(2))
    path = tmp_path / "run.npz"
    save_checkpoint(path, model, optimizer, scheduler, epoch=2)
    return path


def test_a_truncated_checkpoint_is_named_with_the_problem(tmp_path):
    path = saved_run(tmp_path)
    whole = path.read_bytes()
    for cut in (len(whole) // 2, len(whole) - 30, 100):
        path.write_bytes(whole[:cut])
        with pytest.raises(CheckpointError, match=rf"{path.name}.*not a readable"):
            load_checkpoint(path)


def test_a_corrupted_entry_is_named_not_a_raw_zip_error(tmp_path):
    path = saved_run(tmp_path)
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = b"\x00" * 64  # damage the compressed or stored bytes
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=path.name):
        model, optimizer, scheduler = build()
        load_checkpoint(path, model, optimizer, scheduler)


def rewrite_metadata(path, change):
    with np.load(path, allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    raw = arrays["__metadata__"].tobytes()
    arrays["__metadata__"] = np.frombuffer(change(raw), dtype=np.uint8)
    np.savez(path, **arrays)


def test_metadata_that_is_not_json_is_named(tmp_path):
    path = saved_run(tmp_path)
    rewrite_metadata(path, lambda raw: raw[: len(raw) // 2])
    with pytest.raises(CheckpointError, match=rf"{path.name}.*not JSON"):
        load_checkpoint(path)


def test_a_missing_array_entry_is_named(tmp_path):
    path = saved_run(tmp_path)
    with np.load(path, allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files if key != "model/0.weight"}
    np.savez(path, **arrays)
    with pytest.raises(CheckpointError, match=r"model/0\.weight"):
        load_checkpoint(path)


def test_a_checkpoint_of_another_optimizer_type_is_refused_before_anything_changes(tmp_path):
    path = saved_run(tmp_path)
    model = mlp(seed=3)
    sgd = SGD(model.parameters(), lr=0.1)
    before = weights(model)
    with pytest.raises(CheckpointError, match="Adam optimizer, not of a SGD"):
        load_checkpoint(path, model, sgd)
    for name, value in weights(model).items():
        np.testing.assert_array_equal(value, before[name])


def test_optimizer_state_that_does_not_fit_leaves_model_and_optimizer_unchanged(tmp_path):
    path = saved_run(tmp_path)
    model, optimizer, scheduler = build(seed=7)
    train_steps(model, optimizer, scheduler, batches(1, seed=3))
    weights_before, optimizer_before = weights(model), optimizer.state_dict()
    lr_before = optimizer.param_groups[0]["lr"]
    # an optimizer over fewer parameters: same type, but the state cannot fit
    partial = Adam(list(model.parameters())[:2], lr=0.01)
    with pytest.raises(CheckpointError, match=rf"{path.name}.*left unchanged"):
        load_checkpoint(path, model, partial)
    for name, value in weights(model).items():
        np.testing.assert_array_equal(value, weights_before[name])
    assert optimizer.param_groups[0]["lr"] == lr_before
    assert optimizer.state_dict()["state"].keys() == optimizer_before["state"].keys()


def test_saving_over_a_checkpoint_keeps_its_permissions(tmp_path):
    path = saved_run(tmp_path)
    os.chmod(path, 0o644)
    model, optimizer, scheduler = build()
    save_checkpoint(path, model, optimizer, scheduler, epoch=3)
    assert os.stat(path).st_mode & 0o777 == 0o644
