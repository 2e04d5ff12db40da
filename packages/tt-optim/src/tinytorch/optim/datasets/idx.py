"""The IDX file format of MNIST and Fashion-MNIST.

An IDX file is a header followed by the data, all big-endian:

    bytes 0-1   zero
    byte  2     element type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
                0x0D float32, 0x0E float64
    byte  3     number of dimensions d
    4*d bytes   the size of each dimension, uint32
    the rest    the elements, row-major

The official files are gzip-compressed (`train-images-idx3-ubyte.gz`).
"""

from __future__ import annotations

import gzip
import math
import zlib
from pathlib import Path

import numpy as np
from tinytorch.tensor.io import atomic_write

from .errors import DatasetFormatError

IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def read_idx(path) -> np.ndarray:
    """The array stored in the IDX file at `path` (gzip-compressed or raw).

    Raises DatasetFormatError when the magic number, the element type or the
    file size does not match the format.
    """
    path = Path(path)
    raw = read_maybe_gzipped(path)
    dtype, shape = parse_idx_header(raw, path)
    header_size = 4 + 4 * len(shape)
    expected_bytes = header_size + math.prod(shape) * dtype.itemsize  # Python ints: no overflow
    if len(raw) != expected_bytes:
        raise DatasetFormatError(
            f"{path}: IDX header declares shape {shape} of {dtype.name} "
            f"({expected_bytes} bytes with the header), but the file holds {len(raw)} bytes"
        )
    data = np.frombuffer(raw, dtype=dtype, offset=header_size).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


def read_maybe_gzipped(path: Path) -> bytes:
    """The bytes of `path`, decompressed if the file starts with the gzip signature."""
    with open(path, "rb") as file:
        raw = file.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as error:
            raise DatasetFormatError(f"{path}: a damaged gzip file ({error})") from error
    return raw


def parse_idx_header(raw: bytes, path: Path) -> tuple[np.dtype, tuple[int, ...]]:
    """(element dtype, shape) from the first bytes of an IDX file."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise DatasetFormatError(
            f"{path}: not an IDX file: bad magic number {raw[:4].hex() or '(empty file)'}; "
            "expected 0x0000 then a type byte and a dimension count (e.g. 00000803 for images)"
        )
    type_code, ndim = raw[2], raw[3]
    if type_code not in IDX_DTYPES:
        raise DatasetFormatError(
            f"{path}: unknown IDX element type 0x{type_code:02X}; "
            f"expected one of {', '.join(f'0x{code:02X}' for code in IDX_DTYPES)}"
        )
    if len(raw) < 4 + 4 * ndim:
        raise DatasetFormatError(
            f"{path}: IDX header declares {ndim} dimensions but the file ends first"
        )
    shape = tuple(int(size) for size in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    return IDX_DTYPES[type_code], shape


def write_idx(path, array: np.ndarray) -> None:
    """Write `array` as an IDX file (gzip-compressed when `path` ends in .gz)."""
    codes = {dtype.newbyteorder("="): code for code, dtype in IDX_DTYPES.items()}
    array = np.asarray(array)
    native = array.dtype.newbyteorder("=")
    if native not in codes:
        raise DatasetFormatError(f"write_idx: IDX cannot store dtype {array.dtype}")
    code = codes[native]
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    raw = header + array.astype(IDX_DTYPES[code]).tobytes()
    data = gzip.compress(raw) if str(path).endswith(".gz") else raw
    atomic_write(path, lambda file: file.write(data))
