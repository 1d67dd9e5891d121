"""The wire format between the grader and a submission's child process.

Only plain data crosses: JSON whose containers are tagged, with numpy arrays as
base64 ``.npy`` bytes read back with ``allow_pickle=False``. Nothing in this format
can execute code or carry a custom ``__eq__``:

* JSON scalars: ``None``, ``bool``, ``int``, ``float`` (NaN and infinities allowed), ``str``;
* ``{"t": "list" | "tuple", "v": [...]}``, ``{"t": "dict", "v": {str: ...}}``;
* ``{"t": "nd", "v": "<base64 .npy>"}`` (numeric or boolean dtype only) and
  ``{"t": "np", "v": "<base64 .npy of a 0-d array>"}`` for a numpy scalar;
* ``{"t": "ref", "v": "name"}``: one of the student's functions, passed as an argument.

:func:`encode` (used in the child, and by the grader for arguments) accepts exact types
only, so a subclass of ``float`` or ``list`` is refused with a clear message.
:func:`decode` (used by the grader) is the real guarantee: it checks every tag and dtype
again, whatever the child sent.
"""

from __future__ import annotations

import base64
import io
import json
import re
from collections.abc import Callable
from typing import Any

import numpy as np

MAX_DEPTH = 32
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
MAX_ELEMENTS = 250_000  # values in one message (an array counts as one): bounds the grader's memory
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')


class NotPlainData(TypeError):
    """A value that is not plain data (numbers, strings, lists, dicts, numpy arrays)."""


class ProtocolError(ValueError):
    """A message that does not follow the wire format."""


class Ref:
    """A reference to one of the student's functions, to pass as an argument."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"student.{self.name}"


def _numeric(dtype: np.dtype) -> bool:
    return dtype.kind in "biufc" and dtype.fields is None and not dtype.hasobject


def _npy(array: np.ndarray) -> str:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def encode(value: Any, depth: int = 0) -> object:
    """``value`` as JSON-ready plain data; :class:`NotPlainData` for anything else."""
    if depth > MAX_DEPTH:
        raise NotPlainData(f"nested more than {MAX_DEPTH} levels deep")
    kind = type(value)
    if value is None or kind in (bool, int, str):
        return value
    if kind is float:
        return value
    if kind is list or kind is tuple:
        return {"t": kind.__name__, "v": [encode(item, depth + 1) for item in value]}
    if kind is dict:
        for key in value:
            if type(key) is not str:
                raise NotPlainData(f"a dict with a {type(key).__name__} key (only str keys are plain data)")
        return {"t": "dict", "v": {key: encode(item, depth + 1) for key, item in value.items()}}
    if kind is np.ndarray:
        if not _numeric(value.dtype):
            raise NotPlainData(f"a numpy array of dtype {value.dtype} (only numbers and booleans)")
        return {"t": "nd", "v": _npy(value if value.flags.c_contiguous else value.copy(order="C"))}  # 0-d stays 0-d
    if isinstance(value, np.generic) and kind.__module__ == "numpy" and _numeric(value.dtype):
        return {"t": "np", "v": _npy(np.asarray(value))}
    if kind is Ref:
        return {"t": "ref", "v": value.name}
    module = getattr(kind, "__module__", "")
    name = f"{module}.{kind.__qualname__}" if module not in ("builtins", "") else kind.__qualname__
    hint = " (call .detach().numpy() on a torch tensor)" if module.startswith("torch") else ""
    raise NotPlainData(f"a {name} object{hint}")


def _array(text: object) -> np.ndarray:
    if type(text) is not str:
        raise ProtocolError("array payload is not a string")
    try:
        array = np.load(io.BytesIO(base64.b64decode(text, validate=True)), allow_pickle=False)
    except Exception as exc:  # noqa: BLE001 (any malformed payload is the child's fault)
        raise ProtocolError(f"bad array payload: {exc}") from None
    if type(array) is not np.ndarray or not _numeric(array.dtype):
        raise ProtocolError("array payload is not a numeric numpy array")
    return array


def decode(data: Any, depth: int = 0, resolve: Callable[[str], object] | None = None) -> Any:
    """The value that :func:`encode` turned into ``data``, checked strictly.

    ``resolve(name)`` turns a ``ref`` tag into a function (in the child); without it,
    ``ref`` tags are refused (the grader never receives code).
    """
    if depth > MAX_DEPTH + 2:
        raise ProtocolError("nested too deeply")
    kind = type(data)
    if data is None or kind in (bool, int, float, str):
        return data
    if kind is not dict or set(data) != {"t", "v"}:
        raise ProtocolError(f"unexpected {kind.__name__} in message")
    tag, v = data["t"], data["v"]
    if tag in ("list", "tuple"):
        if type(v) is not list:
            raise ProtocolError("list payload is not a list")
        items = [decode(item, depth + 1, resolve) for item in v]
        return items if tag == "list" else tuple(items)
    if tag == "dict":
        if type(v) is not dict:
            raise ProtocolError("dict payload is not an object")
        return {str(key): decode(item, depth + 1, resolve) for key, item in v.items()}
    if tag == "nd":
        return _array(v)
    if tag == "np":
        array = _array(v)
        if array.ndim != 0:
            raise ProtocolError("numpy scalar payload is not 0-d")
        return array[()]
    if tag == "ref" and resolve is not None and type(v) is str:
        return resolve(v)
    raise ProtocolError(f"unknown tag {tag!r}")


def dumps(message: dict) -> bytes:
    """One message as one line of bytes."""
    return json.dumps(message, allow_nan=True, separators=(",", ":")).encode() + b"\n"


def count_elements(line: bytes | memoryview) -> int:
    """An upper bound on the number of JSON values in ``line``, found without parsing it.

    Every value but the first is preceded by a ``,`` or opens a ``[``/``{``, outside strings:
    blank the strings, then count those bytes. Linear time, one copy of the line.
    """
    bare = _STRING.sub(b'""', line)
    return 1 + bare.count(b",") + bare.count(b"[") + bare.count(b"{")


def loads(line: bytes | memoryview) -> dict:
    """The message in one line; :class:`ProtocolError` when it is not a JSON object.

    The size and the number of values are checked before ``json.loads`` builds anything, so
    a reply of millions of nested empty lists costs the grader nothing but this one refusal.
    """
    if len(line) > MAX_MESSAGE_BYTES:
        raise ProtocolError(f"message of {len(line)} bytes (at most {MAX_MESSAGE_BYTES} accepted)")
    if count_elements(line) > MAX_ELEMENTS:
        raise ProtocolError(f"message with more than {MAX_ELEMENTS} values (send arrays as numpy arrays)")
    try:
        message = json.loads(bytes(line) if isinstance(line, memoryview) else line)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(f"malformed message: {str(exc)[:200]}") from None
    if type(message) is not dict:
        raise ProtocolError("message is not a JSON object")
    return message
