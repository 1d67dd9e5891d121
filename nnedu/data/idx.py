"""The IDX file format, in which MNIST is distributed.

An IDX file is a 4-byte *magic number*, the size of each dimension, then the data:

=========  ==============================================================
bytes      meaning
=========  ==============================================================
0, 1       always zero
2          type of the values: 0x08 uint8, 0x09 int8, 0x0B int16,
           0x0C int32, 0x0D float32, 0x0E float64 (big-endian)
3          number of dimensions ``d``
4 .. 4d+3  each dimension's size, as a big-endian 32-bit integer
then       the values, in C (row-major) order
=========  ==============================================================

Files ending in ``.gz`` are read and written through gzip.
"""

from __future__ import annotations

import gzip
import os
import struct
import tempfile
from pathlib import Path

import numpy as np

# IDX type code -> big-endian numpy dtype
_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {dtype.newbyteorder("="): code for code, dtype in _DTYPES.items()}


class IDXFormatError(ValueError):
    """A file is not a valid IDX file; the message says which file and what is wrong."""


def _read_bytes(path: Path) -> bytes:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            return f.read()
    except (OSError, EOFError) as exc:  # bad gzip stream, truncated gzip
        kind = "gzip" if path.suffix == ".gz" else "a file"
        raise IDXFormatError(f"{path}: cannot be read as {kind}: {exc}") from exc


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (plain or ``.gz``) into a numpy array of its shape and type.

    Raises :class:`IDXFormatError` naming the file when the header is malformed or the
    data is shorter or longer than the header announces (a truncated download).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"IDX file not found: {path}")
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise IDXFormatError(f"{path}: expected at least a 4-byte IDX header, the file has {len(raw)} bytes")
    zero1, zero2, code, ndim = raw[:4]
    if zero1 != 0 or zero2 != 0:
        raise IDXFormatError(
            f"{path}: not an IDX file: the magic number must start with two zero bytes, "
            f"found {raw[:4].hex()}"
            + (" (this looks like a gzip file without the .gz suffix)" if raw[:2] == b"\x1f\x8b" else "")
        )
    if code not in _DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in _DTYPES)
        raise IDXFormatError(f"{path}: unknown IDX value type 0x{code:02X}; expected one of {known}")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise IDXFormatError(
            f"{path}: header announces {ndim} dimensions ({header} header bytes), "
            f"but the file has only {len(raw)} bytes"
        )
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = _DTYPES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    found = len(raw) - header
    if found != expected:
        what = "truncated" if found < expected else "longer than its header says"
        raise IDXFormatError(
            f"{path}: file is {what}: header says shape {shape} of {dtype.name} "
            f"({expected} data bytes), found {found} data bytes"
        )
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path: str | os.PathLike, array: np.ndarray) -> Path:
    """Write ``array`` as an IDX file (gzip-compressed when ``path`` ends in ``.gz``).

    The file appears complete or not at all: it is written to a temporary file in the
    same folder and then renamed.
    """
    path = Path(path)
    array = np.asarray(array)
    native = array.dtype.newbyteorder("=")
    if native not in _CODES:
        raise TypeError(
            f"write_idx expected an array of uint8, int8, int16, int32, float32 or float64, "
            f"got {array.dtype}"
        )
    if array.ndim > 255:
        raise ValueError(f"write_idx supports at most 255 dimensions, got {array.ndim}")
    code = _CODES[native]
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + np.ascontiguousarray(array, dtype=_DTYPES[code]).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as raw_file:
            if path.suffix == ".gz":
                with gzip.GzipFile(fileobj=raw_file, mode="wb", mtime=0) as f:
                    f.write(payload)
            else:
                raw_file.write(payload)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
