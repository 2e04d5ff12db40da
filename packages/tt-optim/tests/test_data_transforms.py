"""Transforms: shapes kept, flips are flips, crops are windows of the padded image, seeding."""

import numpy as np
import pytest
from tinytorch.optim.data import (
    ArrayDataset,
    Compose,
    DataLoader,
    Normalize,
    RandomCrop,
    RandomHorizontalFlip,
)


def numbered_images(n=16, channels=3, height=6, width=5):
    """Images whose every pixel value is unique, so any crop or flip is traceable."""
    return np.arange(n * channels * height * width, dtype=np.float32).reshape(
        n, channels, height, width
    )


def windows_of(image, size, padding):
    """Every size-window of the zero-padded image (reference, one at a time)."""
    padded = np.pad(image, ((0, 0), (padding, padding), (padding, padding)))
    height, width = size
    return [
        padded[:, top : top + height, left : left + width]
        for top in range(padded.shape[1] - height + 1)
        for left in range(padded.shape[2] - width + 1)
    ]


@pytest.mark.parametrize("size, padding", [((6, 5), 0), (4, 0), ((6, 5), 2), (3, 1)])
def test_random_crop_takes_a_window_of_the_padded_image(size, padding):
    images = numbered_images()
    crop = RandomCrop(size, padding=padding, seed=0)
    out = crop(images)
    expected_size = (size, size) if isinstance(size, int) else size
    assert out.shape == (16, 3) + tuple(expected_size)
    assert out.dtype == images.dtype
    for image, cropped in zip(images, out, strict=True):
        assert any(
            np.array_equal(cropped, window) for window in windows_of(image, expected_size, padding)
        )


def test_random_crop_with_padding_keeps_shape_and_offsets_vary_per_sample():
    images = numbered_images(n=64, height=8, width=8)
    out = RandomCrop(8, padding=2, seed=1)(images)
    assert out.shape == images.shape
    # with padding, most crops are shifted: some zeros enter, and not all images shift alike
    unchanged = [np.array_equal(a, b) for a, b in zip(out, images, strict=True)]
    assert not all(unchanged)
    zero_counts = {int((image == 0).sum()) for image in out}
    assert len(zero_counts) > 3


def test_random_crop_of_a_single_image():
    image = numbered_images(n=1)[0]
    out = RandomCrop(4, padding=1, seed=0)(image)
    assert out.shape == (3, 4, 4)


def test_random_crop_too_large_is_an_error():
    with pytest.raises(ValueError, match="larger than the padded image"):
        RandomCrop(9, padding=1, seed=0)(numbered_images())


def test_random_crop_is_seeded():
    images = numbered_images()
    np.testing.assert_array_equal(
        RandomCrop(4, 2, seed=5)(images), RandomCrop(4, 2, seed=5)(images)
    )
    assert not np.array_equal(RandomCrop(4, 2, seed=5)(images), RandomCrop(4, 2, seed=6)(images))


def test_horizontal_flip_is_a_flip():
    images = numbered_images(n=200)
    out = RandomHorizontalFlip(p=0.5, seed=0)(images)
    flipped = np.array([np.array_equal(o, i[:, :, ::-1]) for o, i in zip(out, images, strict=True)])
    kept = np.array([np.array_equal(o, i) for o, i in zip(out, images, strict=True)])
    assert np.all(flipped ^ kept)
    assert 60 < flipped.sum() < 140


def test_horizontal_flip_p_one_and_zero():
    images = numbered_images()
    np.testing.assert_array_equal(RandomHorizontalFlip(p=1.0)(images), images[..., ::-1])
    np.testing.assert_array_equal(RandomHorizontalFlip(p=0.0)(images), images)
    np.testing.assert_array_equal(RandomHorizontalFlip(p=1.0)(images[0]), images[0][..., ::-1])


def test_horizontal_flip_does_not_modify_its_input():
    images = numbered_images()
    before = images.copy()
    RandomHorizontalFlip(p=1.0)(images)
    np.testing.assert_array_equal(images, before)


def test_horizontal_flip_is_seeded():
    images = numbered_images(n=50)
    np.testing.assert_array_equal(
        RandomHorizontalFlip(seed=3)(images), RandomHorizontalFlip(seed=3)(images)
    )
    with pytest.raises(ValueError, match="probability"):
        RandomHorizontalFlip(p=1.5)


def test_normalize_per_channel():
    images = numbered_images(n=4, channels=2).astype(np.float64)
    out = Normalize(mean=[1.0, 2.0], std=[2.0, 4.0])(images)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out[:, 0], (images[:, 0] - 1) / 2, rtol=1e-6)
    np.testing.assert_allclose(out[:, 1], (images[:, 1] - 2) / 4, rtol=1e-6)
    np.testing.assert_allclose(Normalize([1.0, 2.0], [2.0, 4.0])(images[0]), out[0], rtol=1e-6)
    with pytest.raises(ValueError, match="std must be positive"):
        Normalize([0.0], [0.0])


def test_compose_applies_in_order():
    images = numbered_images(n=2)
    pipeline = Compose([RandomHorizontalFlip(p=1.0), Normalize([10.0] * 3, [2.0] * 3)])
    np.testing.assert_allclose(pipeline(images), (images[..., ::-1] - 10) / 2)


def test_transforms_in_a_loader_augment_whole_batches():
    images = numbered_images(n=10, height=4, width=4)
    labels = np.arange(10, dtype=np.int64)
    transform = Compose([RandomCrop(4, padding=1, seed=0), RandomHorizontalFlip(seed=0)])
    loader = DataLoader(
        ArrayDataset(images, labels, transform=transform), batch_size=4, shuffle=True, seed=0
    )
    first = [(x.data.copy(), y.data.copy()) for x, y in loader]
    assert [x.shape for x, _ in first] == [(4, 3, 4, 4), (4, 3, 4, 4), (2, 3, 4, 4)]
    assert sorted(np.concatenate([y for _, y in first]).tolist()) == list(range(10))
    transform_again = Compose([RandomCrop(4, padding=1, seed=0), RandomHorizontalFlip(seed=0)])
    loader_again = DataLoader(
        ArrayDataset(images, labels, transform=transform_again), batch_size=4, shuffle=True, seed=0
    )
    for (x, y), (x_again, y_again) in zip(first, loader_again, strict=True):
        np.testing.assert_array_equal(x, x_again.data)
        np.testing.assert_array_equal(y, y_again.data)
