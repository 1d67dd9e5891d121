"""MNIST: 70,000 handwritten digits, 28×28 pixels, downloaded once and verified.

``load_mnist`` looks for the four IDX files in ``root``. Missing files are downloaded
(with `pooch <https://www.fatiando.org/pooch>`_) from the first mirror that answers,
checked against the checksums below, and moved into place only once complete. A file
already in ``root`` is checked too, so a truncated or corrupt copy is refused with a
message naming it, instead of failing later inside numpy.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nnedu.data.idx import IDXFormatError, read_idx

#: Mirrors holding the original files (tried in this order).
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)


@dataclass(frozen=True)
class MNISTFile:
    """One of the four files: its name, expected shape and checksums.

    ``md5`` is the checksum of the original ``.gz`` file on the mirrors (the one
    torchvision also checks); ``content_sha256``, when known, is the checksum of the
    decompressed IDX data, which still matches after a file is recompressed.
    """

    name: str
    shape: tuple[int, ...]
    md5: str
    content_sha256: str | None = None


FILES: dict[str, tuple[MNISTFile, MNISTFile]] = {
    "train": (
        MNISTFile("train-images-idx3-ubyte.gz", (60000, 28, 28), "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        MNISTFile("train-labels-idx1-ubyte.gz", (60000,), "d53e105ee54ea40749a09fcbcd1e9432"),
    ),
    "test": (
        MNISTFile(
            "t10k-images-idx3-ubyte.gz", (10000, 28, 28), "9fb629c4189551a2d022fa330f9573f3",
            "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        ),
        MNISTFile(
            "t10k-labels-idx1-ubyte.gz", (10000,), "ec29112dd5afa0611ce80d1b7f02629c",
            "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        ),
    ),
}


class MNISTError(RuntimeError):
    """MNIST could not be loaded; the message says which file and what to do."""


def default_root() -> Path:
    """``$NNEDU_DATA/mnist`` if set, else the user cache (``~/.cache/nnedu/mnist`` on Linux)."""
    if os.environ.get("NNEDU_DATA"):
        return Path(os.environ["NNEDU_DATA"]) / "mnist"
    import pooch

    return Path(pooch.os_cache("nnedu")) / "mnist"


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _content_sha256(path: Path) -> str:
    opener = gzip.open if path.suffix == ".gz" else open
    digest = hashlib.sha256()
    with opener(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _local_copy(root: Path, spec: MNISTFile) -> Path | None:
    """The file in ``root``, compressed or not, if there is one."""
    for candidate in (root / spec.name, root / spec.name.removesuffix(".gz")):
        if candidate.exists():
            return candidate
    return None


def _verify(path: Path, spec: MNISTFile) -> None:
    """Accept ``path`` only if one of the known checksums matches."""
    if path.suffix == ".gz" and _md5(path) == spec.md5:
        return
    try:
        if spec.content_sha256 is not None and _content_sha256(path) == spec.content_sha256:
            return
    except (OSError, EOFError) as exc:
        raise MNISTError(
            f"{path} is not a readable {'gzip' if path.suffix == '.gz' else ''} file ({exc}): "
            f"it is probably a truncated download. Delete it and call load_mnist again."
        ) from exc
    raise MNISTError(
        f"{path} does not match the checksum of {spec.name} (md5 {spec.md5}): the file is "
        f"corrupt, truncated or a different data set. Delete it and call load_mnist again "
        f"to download it afresh."
    )


def fetch(spec: MNISTFile, root: Path, mirrors: tuple[str, ...] = MIRRORS) -> Path:
    """Download ``spec`` into ``root`` from the first mirror that serves a verified copy.

    pooch writes to a temporary file and moves it into place only when the checksum
    matches, so an interrupted or corrupt download never leaves a file behind.
    """
    import pooch

    errors = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + spec.name
        try:
            return Path(pooch.retrieve(url, known_hash=f"md5:{spec.md5}", fname=spec.name,
                                       path=root, progressbar=False))
        except Exception as exc:  # network errors, HTTP errors, checksum mismatch
            errors.append(f"  {url}: {type(exc).__name__}: {exc}")
    raise MNISTError(
        f"could not download {spec.name} from any mirror:\n" + "\n".join(errors) + "\n"
        f"Without network access, copy the four MNIST .gz files into {root} "
        f"(or pass root= the folder that holds them), or use nnedu.data.load_digits()."
    )


def load_mnist(
    root: str | os.PathLike | None = None,
    split: str = "train",
    flatten: bool = True,
    download: bool = True,
    mirrors: tuple[str, ...] = MIRRORS,
) -> tuple[np.ndarray, np.ndarray]:
    """Return MNIST's ``split`` (``"train"``: 60,000 digits, ``"test"``: 10,000) as ``(X, y)``.

    ``X`` holds float32 pixels scaled to [0, 1], one image per row: shape ``(n, 784)``,
    or ``(n, 28, 28)`` with ``flatten=False``. ``y`` holds the labels 0-9 (int64).
    Files are looked up in ``root`` (default :func:`default_root`), downloaded there
    when missing and ``download`` is true, and verified in any case.
    """
    if split not in FILES:
        raise ValueError(f"load_mnist expected split 'train' or 'test', got {split!r}")
    root = Path(root) if root is not None else default_root()
    arrays = []
    for spec in FILES[split]:
        path = _local_copy(root, spec)
        if path is None:
            if not download:
                raise MNISTError(
                    f"{spec.name} is not in {root}, and download=False. Copy the file there, "
                    f"or call load_mnist(download=True) with network access."
                )
            path = fetch(spec, root, mirrors)
        _verify(path, spec)
        try:
            array = read_idx(path)
        except IDXFormatError as exc:
            raise MNISTError(f"{exc}. Delete the file and call load_mnist again.") from exc
        if array.shape != spec.shape:
            raise MNISTError(f"{path}: expected shape {spec.shape}, found {array.shape}")
        arrays.append(array)
    images, labels = arrays
    X = images.astype(np.float32) / np.float32(255.0)
    if flatten:
        X = X.reshape(len(X), -1)
    return X, labels.astype(np.int64)
