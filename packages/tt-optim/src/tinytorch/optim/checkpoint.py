"""Checkpoints: save and resume training in a file that cannot run code when loaded.

A checkpoint is one NumPy ``.npz`` file (a zip of ``.npy`` arrays):

- every array (model weights, optimizer buffers, arrays in ``extra``) is an
  entry of its own, named by its path, e.g. ``model/0.weight`` or
  ``optimizer/state/3/exp_avg``;
- everything else (epoch, hyper-parameters, scheduler counters, ``extra``) is
  JSON, stored as the uint8 entry ``__metadata__``; where an array was, the
  JSON holds ``{"__array__": "<entry name>"}``.

It is read with ``numpy.load(..., allow_pickle=False)``: arrays and JSON
only, so a checkpoint from someone else cannot execute anything (a pickle,
which ``torch.save`` uses, can). It is written atomically: to a temporary
file in the same folder, flushed to disk with ``fsync``, then moved over the
old file with ``os.replace`` (``tinytorch.tensor.io.atomic_write``); a crash
mid-write leaves the previous checkpoint as it was.

Loading checks the whole file before it changes anything: a damaged file,
one for another optimizer or scheduler type, or state that does not fit the
model or optimizer raises ``CheckpointError`` naming the file, and the model,
optimizer and scheduler are left exactly as they were.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np
from tinytorch.tensor.io import atomic_write

from .__about__ import __version__

FORMAT = "tinytorch-checkpoint"
FORMAT_VERSION = 1
METADATA_KEY = "__metadata__"
ARRAY_MARK = "__array__"


class CheckpointError(ValueError):
    """A file that is not a tinytorch checkpoint, or does not fit what it is loaded into."""


def save_checkpoint(
    path, model, optimizer=None, scheduler=None, epoch: int | None = None, extra: dict | None = None
) -> Path:
    """Write the state of a training run to ``path`` (a ``.npz`` file), atomically.

    Args:
        path: the file to write; its folder must exist. An existing file is
            replaced only once the new one is completely on disk.
        model: a Module (its ``state_dict()`` is saved).
        optimizer: saved with its ``state_dict()`` when given.
        scheduler: saved with its ``state_dict()`` when given.
        epoch: the number of epochs completed, returned by ``load_checkpoint``.
        extra: anything else JSON can hold (plus NumPy arrays): the history,
            a DataLoader's RNG state (``loader.rng.bit_generator.state``), ...

    Returns:
        The path written.
    """
    arrays: dict[str, np.ndarray] = {}
    metadata = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "saved_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),  # noqa: UP017 (py3.10)
        "tt_optim_version": __version__,
        "epoch": epoch,
        "model": to_json_tree(model_arrays(model), "model", arrays),
        "optimizer": to_json_tree(optimizer.state_dict(), "optimizer", arrays)
        if optimizer is not None
        else None,
        "scheduler": to_json_tree(scheduler.state_dict(), "scheduler", arrays)
        if scheduler is not None
        else None,
        "extra": to_json_tree(extra or {}, "extra", arrays),
        "optimizer_type": _type_name(optimizer),
        "scheduler_type": _type_name(scheduler),
    }
    arrays[METADATA_KEY] = np.frombuffer(json_bytes(metadata), dtype=np.uint8)
    return atomic_write(Path(path), lambda file: np.savez(file, **arrays))


def load_checkpoint(
    path, model=None, optimizer=None, scheduler=None, strict: bool = True
) -> dict[str, Any]:
    """Read a checkpoint and restore it into the objects given.

    Args:
        path: a file written by ``save_checkpoint``.
        model: restored in place when given (build it exactly as for the saved
            run first).
        optimizer: restored in place when given, likewise.
        scheduler: restored in place when given, likewise.
        strict: passed to ``model.load_state_dict``.

    Returns:
        A dict with ``epoch``, ``extra``, ``saved_at`` and the raw state dicts
        ``model`` (name -> array), ``optimizer`` and ``scheduler``.
    """
    path = Path(path)
    metadata, arrays = read_checkpoint(path)
    state = {key: _state_tree(path, metadata, key, arrays) for key in STATE_KEYS}
    for name, target in (("optimizer", optimizer), ("scheduler", scheduler)):
        if target is not None:
            _check_loadable_into(path, metadata, name, target, state[name])
    targets = [(name, target) for name, target in
               (("model", model), ("optimizer", optimizer), ("scheduler", scheduler))
               if target is not None]
    before = [(target, _snapshot(name, target)) for name, target in targets]
    try:
        if model is not None:
            model.load_state_dict(state["model"], strict=strict)
        for name, target in targets:
            if name != "model":
                target.load_state_dict(state[name])
    except Exception as error:
        for target, snapshot in before:  # all or nothing: put back what was there
            target.load_state_dict(snapshot)
        raise CheckpointError(
            f"{path}: the checkpoint does not fit what it was loaded into, which was left "
            f"unchanged: {error}"
        ) from error
    return {"epoch": metadata.get("epoch"), "saved_at": metadata.get("saved_at"), **state}


STATE_KEYS = ("model", "optimizer", "scheduler", "extra")


def _type_name(target) -> str | None:
    return None if target is None else type(target).__name__


def _state_tree(path: Path, metadata: dict, key: str, arrays: dict[str, np.ndarray]) -> Any:
    try:
        return from_json_tree(metadata.get(key), arrays)
    except KeyError as error:
        raise CheckpointError(
            f"{path}: the {key} state refers to array entry {error.args[0]!r}, which the file "
            "does not hold (the file is damaged or was not written by save_checkpoint)"
        ) from None


def _check_loadable_into(path: Path, metadata: dict, name: str, target, saved) -> None:
    """Raise unless ``saved`` (the checkpoint's optimizer or scheduler state) suits ``target``."""
    if saved is None:
        raise CheckpointError(
            f"{path}: a {name} was given to load into, but the "
            f"checkpoint holds no {name} state (it was saved without one)"
        )
    saved_type, ours = metadata.get(f"{name}_type"), type(target).__name__
    if saved_type is not None and saved_type != ours:
        raise CheckpointError(
            f"{path}: the checkpoint holds the state of a {saved_type} {name}, not of a "
            f"{ours}; build the same {name} type as the saved run before loading"
        )


def _snapshot(name: str, target) -> Any:
    """A copy of ``target``'s state that ``load_state_dict`` can put back."""
    if name == "model":
        return {key: array.copy() for key, array in model_arrays(target).items()}
    return copy.deepcopy(target.state_dict())


# ---------------------------------------------------------------------- the file


def read_checkpoint(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """The JSON metadata and every array of a checkpoint file; pickles are refused."""
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        raise CheckpointError(
            f"{path} is not a readable .npz checkpoint (damaged, truncated or another "
            f"format): {type(error).__name__}: {error}"
        ) from error
    raw = arrays.pop(METADATA_KEY, None)
    if raw is None:
        raise CheckpointError(f"{path} has no {METADATA_KEY} entry: not a tinytorch checkpoint")
    try:
        metadata = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CheckpointError(f"{path}: its {METADATA_KEY} entry is not JSON: {error}") from None
    if not isinstance(metadata, dict):
        raise CheckpointError(f"{path}: its {METADATA_KEY} entry is not a JSON object")
    if metadata.get("format") != FORMAT or metadata.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(
            f"{path}: format {metadata.get('format')!r} version {metadata.get('format_version')}, "
            f"expected {FORMAT!r} version {FORMAT_VERSION}"
        )
    return metadata, arrays


def json_bytes(metadata: dict) -> bytes:
    """UTF-8 JSON; NumPy scalars become Python numbers."""

    def plain(value):
        if isinstance(value, np.generic):
            return value.item()
        raise TypeError(
            f"checkpoint: cannot save a {type(value).__name__} ({value!r}); "
            "use numbers, strings, lists, dicts and NumPy arrays"
        )

    return json.dumps(metadata, default=plain).encode("utf-8")


# ---------------------------------------------------------------------- arrays <-> JSON


def model_arrays(model) -> dict[str, np.ndarray]:
    """``model.state_dict()`` as name -> NumPy array."""
    return {
        name: np.asarray(getattr(value, "data", value))
        for name, value in model.state_dict().items()
    }


def to_json_tree(value: Any, path: str, arrays: dict[str, np.ndarray]) -> Any:
    """``value`` with every array moved into ``arrays`` under ``path`` and left as a marker."""
    if isinstance(value, np.ndarray):
        arrays[path] = value
        return {ARRAY_MARK: path}
    if isinstance(value, dict):
        return {
            str(key): to_json_tree(item, f"{path}/{key}", arrays) for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [to_json_tree(item, f"{path}/{index}", arrays) for index, item in enumerate(value)]
    return value


def from_json_tree(value: Any, arrays: dict[str, np.ndarray]) -> Any:
    """The inverse of ``to_json_tree``: markers replaced by their arrays."""
    if isinstance(value, dict):
        if set(value) == {ARRAY_MARK}:
            return arrays[value[ARRAY_MARK]]
        return {key: from_json_tree(item, arrays) for key, item in value.items()}
    if isinstance(value, list):
        return [from_json_tree(item, arrays) for item in value]
    return value
