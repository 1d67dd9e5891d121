"""Data sets for the course: real handwritten digits, MNIST, and small toy problems.

- :func:`load_digits`: 1,797 real 8×8 digits shipped inside scikit-learn (offline);
- :func:`load_mnist`: the 70,000 28×28 MNIST digits, downloaded once and verified;
- :func:`read_idx` / :func:`write_idx`: the IDX file format MNIST is stored in;
- toy sets for two-dimensional pictures: :func:`logic_gate`, :func:`make_blobs`,
  :func:`make_moons`, :func:`make_circles`, :func:`make_xor`, :func:`make_spirals`;
- :func:`train_test_split`: a seeded split into training and test sets;
- :func:`batches`: mini-batches for one epoch, shuffled (the data loader);
- :mod:`~nnedu.data.augment`: data augmentation, ``augment.shift`` and ``augment.random_shifts``
  (images moved by a few pixels, zeros filling the border).

Every function that draws random numbers takes a ``seed``, so the book's figures and
numbers are the same on every build.
"""

from nnedu.data import augment
from nnedu.data.digits import load_digits
from nnedu.data.idx import IDXFormatError, read_idx, write_idx
from nnedu.data.loader import batches, num_batches
from nnedu.data.mnist import MNISTError, load_mnist
from nnedu.data.split import train_test_split
from nnedu.data.toy import (
    logic_gate,
    make_blobs,
    make_circles,
    make_moons,
    make_spirals,
    make_xor,
)

__all__ = [
    "load_digits", "IDXFormatError", "read_idx", "write_idx", "MNISTError", "load_mnist",
    "train_test_split", "logic_gate", "make_blobs", "make_circles", "make_moons",
    "make_spirals", "make_xor", "batches", "num_batches", "augment",
]
