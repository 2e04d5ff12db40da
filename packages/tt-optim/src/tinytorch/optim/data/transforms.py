"""Image transforms on NumPy arrays, one image (C, H, W) or a batch (N, C, H, W).

Applied to a batch, a random transform draws independent randomness for
each sample, vectorized: no Python loop over the samples. Random transforms
take a `seed`; the same seed gives the same sequence of augmentations (without
one, they are seeded from tinytorch's global generator, `manual_seed`).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .dataset import seeded_generator


def as_batch(images: np.ndarray) -> tuple[np.ndarray, bool]:
    """`images` as (N, C, H, W), and whether it was a single (C, H, W) image."""
    images = np.asarray(images)
    if images.ndim == 3:
        return images[None], True
    if images.ndim == 4:
        return images, False
    raise ValueError(f"image transforms expect (C, H, W) or (N, C, H, W), got shape {images.shape}")


def restore(batch: np.ndarray, was_single: bool) -> np.ndarray:
    """Undo `as_batch`: drop the batch dimension again for a single image."""
    return batch[0] if was_single else batch


class Compose:
    """Apply `transforms` one after the other: Compose([f, g])(x) = g(f(x))."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, images):
        for transform in self.transforms:
            images = transform(images)
        return images

    def __repr__(self) -> str:
        return f"Compose({self.transforms!r})"


class Normalize:
    """out[c] = (x[c] - mean[c]) / std[c] for every channel c, in float32."""

    def __init__(self, mean, std):
        self.mean = np.asarray(mean, dtype=np.float32).reshape(-1, 1, 1)
        self.std = np.asarray(std, dtype=np.float32).reshape(-1, 1, 1)
        if np.any(self.std <= 0):
            raise ValueError(f"Normalize: std must be positive, got {std}")

    def __call__(self, images):
        images = np.asarray(images, dtype=np.float32)
        return (images - self.mean) / self.std

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean.ravel().tolist()}, std={self.std.ravel().tolist()})"


class RandomCrop:
    """Zero-pad each image by `padding` on every side, then cut a random `size` window.

    `size` is an int (square) or (height, width). Each image of a batch gets
    its own offsets; the crop of the whole batch is one gather.
    """

    def __init__(self, size, padding: int = 0, seed: int | None = None):
        self.size = (size, size) if isinstance(size, int) else tuple(size)
        self.padding = int(padding)
        self.rng = seeded_generator(seed)

    def __call__(self, images):
        batch, was_single = as_batch(images)
        padded = self.pad(batch)
        tops, lefts = self.random_offsets(padded)
        return restore(crop_at(padded, tops, lefts, self.size), was_single)

    def pad(self, batch: np.ndarray) -> np.ndarray:
        """The batch with `padding` zeros around each image's height and width."""
        p = self.padding
        return np.pad(batch, ((0, 0), (0, 0), (p, p), (p, p)))

    def random_offsets(self, padded: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A random top-left corner per image such that the window fits inside."""
        height, width = self.size
        room_y = padded.shape[2] - height
        room_x = padded.shape[3] - width
        if room_y < 0 or room_x < 0:
            raise ValueError(
                f"RandomCrop: crop size {self.size} is larger than the padded image "
                f"{padded.shape[2:]} (padding {self.padding})"
            )
        n = padded.shape[0]
        return self.rng.integers(0, room_y + 1, size=n), self.rng.integers(0, room_x + 1, size=n)

    def __repr__(self) -> str:
        return f"RandomCrop(size={self.size}, padding={self.padding})"


def crop_at(batch: np.ndarray, tops: np.ndarray, lefts: np.ndarray, size) -> np.ndarray:
    """out[n] = batch[n, :, tops[n]:tops[n]+h, lefts[n]:lefts[n]+w], for all n at once."""
    # sliding_window_view over (H, W) is every window, indexed by its corner (no copy);
    # fancy-indexing (arange(N), :, tops, lefts) picks one window per image.
    windows = sliding_window_view(batch, size, axis=(2, 3))  # (N, C, Hy, Wx, h, w), a view
    return windows[np.arange(len(batch)), :, tops, lefts]  # (N, C, h, w), copies only the crops


class RandomHorizontalFlip:
    """Mirror each image left-right with probability `p`, independently per image.

    Called on one image (C, H, W) or a batch (N, C, H, W), it returns a new array of
    the same shape (the input is never modified): one draw of `self.rng.random(N)`
    per call decides, for each image n, whether it is flipped (draw < p), so a batch
    is flipped with one vectorized operation, no loop over the images. `p = 0`
    never flips, `p = 1` always does; the same seed gives the same flips.
    """

    def __init__(self, p: float = 0.5, seed: int | None = None):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"RandomHorizontalFlip: p must be a probability in [0, 1], got {p}")
        self.p = p
        self.rng = seeded_generator(seed)

    def __call__(self, images):
        batch, was_single = as_batch(images)
        # BEGIN SOLUTION
        flip = self.rng.random(len(batch)) < self.p
        out = batch.copy()
        out[flip] = batch[flip, :, :, ::-1]
        return restore(out, was_single)
        # END SOLUTION

    def __repr__(self) -> str:
        return f"RandomHorizontalFlip(p={self.p})"
