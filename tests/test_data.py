"""nnedu.data: IDX files, MNIST (download, checksums, corrupt files), digits, toy sets, split."""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import nnedu
from nnedu.data import IDXFormatError, MNISTError, read_idx, write_idx
from nnedu.data import mnist as mnist_module
from tests.conftest import MNIST_TEST_DIR

# --- IDX -------------------------------------------------------------------------


def idx_bytes(code: int, shape: tuple[int, ...], data: bytes) -> bytes:
    """An IDX file assembled by hand from the format's definition, not by write_idx."""
    header = bytes([0, 0, code, len(shape)]) + b"".join(s.to_bytes(4, "big") for s in shape)
    return header + data


def test_read_idx_of_a_hand_made_file(tmp_path):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    path = tmp_path / "images.idx"
    path.write_bytes(idx_bytes(0x08, (2, 3, 4), images.tobytes()))
    np.testing.assert_array_equal(read_idx(path), images)


def test_read_idx_big_endian_types_and_gzip(tmp_path):
    values = np.array([[1.5, -2.0], [3.25, 1e6]], dtype=">f4")
    path = tmp_path / "floats.idx.gz"
    path.write_bytes(gzip.compress(idx_bytes(0x0D, (2, 2), values.tobytes())))
    out = read_idx(path)
    assert out.dtype == np.float32 and out.shape == (2, 2)
    np.testing.assert_array_equal(out, values.astype(np.float32))
    ints = np.array([-70000, 5, 2**30], dtype=">i4")
    (tmp_path / "ints.idx").write_bytes(idx_bytes(0x0C, (3,), ints.tobytes()))
    np.testing.assert_array_equal(read_idx(tmp_path / "ints.idx"), [-70000, 5, 2**30])


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("suffix", [".idx", ".idx.gz"])
def test_write_then_read_round_trip(tmp_path, dtype, suffix):
    array = (np.arange(60) - 20).astype(dtype).reshape(3, 4, 5)
    path = write_idx(tmp_path / f"a{suffix}", array)
    out = read_idx(path)
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(out, array)
    assert [p.name for p in tmp_path.iterdir()] == [f"a{suffix}"]  # no temporary left


def test_write_idx_is_readable_by_the_format_definition(tmp_path):
    array = np.array([[1, 2], [3, 258]], dtype=np.int16)
    raw = write_idx(tmp_path / "a.idx", array).read_bytes()
    assert raw == idx_bytes(0x0B, (2, 2), array.astype(">i2").tobytes())


@pytest.mark.parametrize(
    "content, message",
    [
        (b"\x00\x00", "at least a 4-byte IDX header"),
        (b"\x01\x00\x08\x01" + bytes(8), "two zero bytes"),
        (b"\x00\x00\x07\x01" + bytes(8), "unknown IDX value type 0x07"),
        (b"\x00\x00\x08\x03\x00\x00", "3 dimensions"),
        (idx_bytes(0x08, (10, 2), bytes(15)), "truncated: header says shape (10, 2)"),
        (idx_bytes(0x08, (2,), bytes(5)), "longer than its header says"),
    ],
)
def test_read_idx_reports_format_errors_with_the_file_name(tmp_path, content, message):
    path = tmp_path / "bad.idx"
    path.write_bytes(content)
    with pytest.raises(IDXFormatError, match=f"bad.idx.*{message}".replace("(", r"\(").replace(")", r"\)")):
        read_idx(path)


def test_read_idx_on_gzip_without_suffix_and_truncated_gzip(tmp_path):
    data = gzip.compress(idx_bytes(0x08, (100,), bytes(range(100))))
    (tmp_path / "x.idx").write_bytes(data)
    with pytest.raises(IDXFormatError, match="gzip file without the .gz suffix"):
        read_idx(tmp_path / "x.idx")
    (tmp_path / "y.idx.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(IDXFormatError, match="y.idx.gz"):
        read_idx(tmp_path / "y.idx.gz")
    with pytest.raises(FileNotFoundError, match="missing.idx"):
        read_idx(tmp_path / "missing.idx")


def test_write_idx_refuses_unsupported_dtypes(tmp_path):
    with pytest.raises(TypeError, match="got int64"):
        write_idx(tmp_path / "a.idx", np.arange(3, dtype=np.int64))
    assert list(tmp_path.iterdir()) == []


# --- the real MNIST test files ---------------------------------------------------

needs_mnist = pytest.mark.skipif(
    not MNIST_TEST_DIR.exists(), reason=f"real MNIST test files not found at {MNIST_TEST_DIR}"
)


@needs_mnist
def test_read_idx_on_the_real_mnist_test_files():
    images = read_idx(MNIST_TEST_DIR / "t10k-images-idx3-ubyte.gz")
    labels = read_idx(MNIST_TEST_DIR / "t10k-labels-idx1-ubyte.gz")
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    # label counts published with the data set
    assert np.bincount(labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert images.max() == 255 and images.min() == 0


@needs_mnist
def test_load_mnist_test_split_from_a_folder_without_download():
    X, y = nnedu.data.load_mnist(MNIST_TEST_DIR, split="test", download=False)
    assert X.shape == (10000, 784) and X.dtype == np.float32
    assert 0.0 == X.min() and X.max() == 1.0
    assert y.dtype == np.int64 and y[:5].tolist() == [7, 2, 1, 0, 4]  # the well-known first labels
    images, _ = nnedu.data.load_mnist(MNIST_TEST_DIR, split="test", flatten=False, download=False)
    np.testing.assert_array_equal(images.reshape(10000, -1), X)


@needs_mnist
def test_a_truncated_copy_of_mnist_is_refused(tmp_path):
    good = (MNIST_TEST_DIR / "t10k-images-idx3-ubyte.gz").read_bytes()
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(good[:-1000])
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(
        (MNIST_TEST_DIR / "t10k-labels-idx1-ubyte.gz").read_bytes())
    with pytest.raises(MNISTError, match="t10k-images-idx3-ubyte.gz.*(truncated|checksum)"):
        nnedu.data.load_mnist(tmp_path, split="test", download=False)


# --- downloading, against a server on 127.0.0.1 ----------------------------------


@pytest.fixture
def mirror(tmp_path):
    """A local HTTP server serving a folder: (url, folder)."""
    folder = tmp_path / "mirror"
    folder.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", folder
    server.shutdown()
    server.server_close()


def small_mnist(folder: Path, n: int = 5, labels_bytes: bytes | None = None):
    """Write a tiny 'test split' (n images) and return specs whose md5s match it."""
    rng = np.random.default_rng(0)
    write_idx(folder / "t10k-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", np.arange(n, dtype=np.uint8) % 10)
    md5 = lambda p: hashlib.md5(p.read_bytes()).hexdigest()  # noqa: E731
    images_spec, labels_spec = mnist_module.FILES["test"]
    return (
        replace(images_spec, shape=(n, 28, 28), md5=md5(folder / images_spec.name), content_sha256=None),
        replace(labels_spec, shape=(n,), md5=md5(folder / labels_spec.name), content_sha256=None),
    )


def test_load_mnist_downloads_verifies_and_caches(mirror, tmp_path, monkeypatch):
    url, folder = mirror
    specs = small_mnist(folder)
    monkeypatch.setitem(mnist_module.FILES, "test", specs)
    cache = tmp_path / "cache"
    dead = "http://127.0.0.1:9/"  # nothing listens on the discard port: the next mirror is tried
    X, y = nnedu.data.load_mnist(cache, split="test", mirrors=(dead, url))
    assert X.shape == (5, 784) and y.tolist() == [0, 1, 2, 3, 4]
    assert sorted(p.name for p in cache.iterdir()) == [s.name for s in specs]
    for spec in specs:  # second call: served from the cache even with no mirror at all
        (folder / spec.name).unlink()
    X2, _ = nnedu.data.load_mnist(cache, split="test", mirrors=())
    np.testing.assert_array_equal(X, X2)


def test_a_download_with_the_wrong_checksum_leaves_no_file(mirror, tmp_path, monkeypatch):
    url, folder = mirror
    images_spec, labels_spec = small_mnist(folder)
    monkeypatch.setitem(mnist_module.FILES, "test", (replace(images_spec, md5="0" * 32), labels_spec))
    cache = tmp_path / "cache"
    with pytest.raises(MNISTError, match="could not download t10k-images-idx3-ubyte.gz") as info:
        nnedu.data.load_mnist(cache, split="test", mirrors=(url,))
    assert "copy the four MNIST .gz files" in str(info.value)
    assert not (cache / images_spec.name).exists()
    assert not any(p.name.startswith("t10k-images") for p in cache.glob("*")) if cache.exists() else True


def test_a_corrupt_cached_file_is_refused_with_advice(mirror, tmp_path, monkeypatch):
    url, folder = mirror
    specs = small_mnist(folder)
    monkeypatch.setitem(mnist_module.FILES, "test", specs)
    cache = tmp_path / "cache"
    nnedu.data.load_mnist(cache, split="test", mirrors=(url,))
    target = cache / specs[1].name
    target.write_bytes(target.read_bytes()[:-3])
    with pytest.raises(MNISTError, match=f"{specs[1].name}.*Delete it and call load_mnist again"):
        nnedu.data.load_mnist(cache, split="test", mirrors=(url,))


def test_load_mnist_without_download_or_network_says_what_to_do(tmp_path):
    with pytest.raises(MNISTError, match="download=False"):
        nnedu.data.load_mnist(tmp_path, split="test", download=False)
    with pytest.raises(MNISTError, match="from any mirror"):
        nnedu.data.load_mnist(tmp_path, split="test", mirrors=("http://127.0.0.1:9/",))
    with pytest.raises(ValueError, match="'train' or 'test', got 'valid'"):
        nnedu.data.load_mnist(tmp_path, split="valid")


def test_default_root_follows_nnedu_data(monkeypatch, tmp_path):
    monkeypatch.setenv("NNEDU_DATA", str(tmp_path))
    assert mnist_module.default_root() == tmp_path / "mnist"


# --- digits, toy sets, split ----------------------------------------------------


def test_load_digits_is_the_real_data_scaled_to_unit_interval():
    from sklearn.datasets import load_digits as sklearn_digits

    X, y = nnedu.data.load_digits()
    assert X.shape == (1797, 64) and y.shape == (1797,)
    assert X.min() == 0.0 and X.max() == 1.0
    np.testing.assert_array_equal(X * 16, sklearn_digits().data)
    images, _ = nnedu.data.load_digits(flatten=False)
    assert images.shape == (1797, 8, 8)
    np.testing.assert_array_equal(np.bincount(y), np.bincount(sklearn_digits().target))


@pytest.mark.parametrize("gate, outputs", [("and", [0, 0, 0, 1]), ("or", [0, 1, 1, 1]),
                                           ("xor", [0, 1, 1, 0]), ("NAND", [1, 1, 1, 0])])
def test_logic_gates(gate, outputs):
    X, y = nnedu.data.logic_gate(gate)
    a, b = X[:, 0].astype(bool), X[:, 1].astype(bool)
    truth = {"and": a & b, "or": a | b, "xor": a ^ b, "nand": ~(a & b)}[gate.lower()]
    assert y.tolist() == outputs == truth.astype(int).tolist()
    _, signed = nnedu.data.logic_gate(gate, signed=True)
    assert signed.tolist() == [2 * v - 1 for v in outputs]
    with pytest.raises(ValueError, match="got 'xnor'"):
        nnedu.data.logic_gate("xnor")


@pytest.mark.parametrize("make", ["make_blobs", "make_moons", "make_circles", "make_xor", "make_spirals"])
def test_toy_sets_are_seeded_2d_and_balanced(make):
    fn = getattr(nnedu.data, make)
    X, y = fn(n_samples=200, seed=1)
    X2, y2 = fn(n_samples=200, seed=1)
    X3, _ = fn(n_samples=200, seed=2)
    assert X.shape == (200, 2) and y.shape == (200,) and X.dtype == np.float64
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(X, X3)
    assert set(np.unique(y)) == {0, 1}
    assert abs(np.mean(y) - 0.5) < 0.15
    with pytest.raises(ValueError, match="n_samples"):
        fn(n_samples=0)


def test_xor_labels_follow_the_quadrants_without_noise():
    X, y = nnedu.data.make_xor(n_samples=500, noise=0.0, seed=0)
    assert np.array_equal(y, (np.sign(X[:, 0]) * np.sign(X[:, 1]) < 0).astype(int))


def test_spirals_are_not_linearly_separable_but_moons_are_nearly():
    from sklearn.linear_model import LogisticRegression

    Xs, ys = nnedu.data.make_spirals(n_samples=400, noise=0.05, seed=0)
    Xm, ym = nnedu.data.make_moons(n_samples=400, noise=0.05, seed=0)
    assert LogisticRegression().fit(Xs, ys).score(Xs, ys) < 0.75
    assert LogisticRegression().fit(Xm, ym).score(Xm, ym) > 0.8


def test_train_test_split_is_seeded_disjoint_and_complete():
    X = np.arange(100).reshape(50, 2)
    y = np.arange(50) % 2
    a = nnedu.data.train_test_split(X, y, test_size=0.2, seed=3)
    b = nnedu.data.train_test_split(X, y, test_size=0.2, seed=3)
    c = nnedu.data.train_test_split(X, y, test_size=0.2, seed=4)
    X_train, X_test, y_train, y_test = a
    assert len(X_test) == 10 and len(X_train) == 40
    assert sorted(np.concatenate([X_train, X_test])[:, 0].tolist()) == X[:, 0].tolist()
    np.testing.assert_array_equal(y_train, X_train[:, 0] // 2 % 2)  # rows stay paired
    assert all(np.array_equal(u, v) for u, v in zip(a, b))
    assert not np.array_equal(a[1], c[1])
    _, _, _, y_strat = nnedu.data.train_test_split(X, y, test_size=10, seed=0, stratify=True)
    assert np.bincount(y_strat).tolist() == [5, 5]


@pytest.mark.parametrize("test_size", [0.0, 1.0, 0, 50, -3, "half"])
def test_train_test_split_rejects_bad_sizes(test_size):
    with pytest.raises(ValueError, match="test_size"):
        nnedu.data.train_test_split(np.zeros((50, 2)), np.zeros(50), test_size=test_size)


def test_train_test_split_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="10 samples and 9 targets"):
        nnedu.data.train_test_split(np.zeros((10, 2)), np.zeros(9))
