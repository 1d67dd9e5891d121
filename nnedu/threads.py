"""How many threads numpy's matrix products use: one, unless you ask for more.

nnedu multiplies small matrices (a batch of 64 images by a 400 x 100 weight, a stack of 64
products of 16 x 72 by 72 x 144). For those, OpenBLAS's second thread saves at most a fifth
of the time on an idle machine, and when anything else needs a core (a browser, a notebook
kernel, the other half of ``pytest -n 2``) its threads wait on each other: measured here, a
64 x 400 by 400 x 100 product went from 57 us on one thread to 300-800 us on two. So nnedu
asks the BLAS library for one thread when it is imported, like ``torch.set_num_threads(1)``.
``nnedu.set_num_threads(n)`` changes it (for large products of your own), and
``NNEDU_NUM_THREADS=n`` in the environment sets it at import (``0`` leaves the library alone).
"""

from __future__ import annotations

import os
from typing import Any


def set_num_threads(n: int) -> None:
    """Let numpy's BLAS library (OpenBLAS, MKL, BLIS) use ``n`` threads."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads expected a positive integer, got {n!r}")
    for library in _numpy_blas():
        library.set_num_threads(n)


def get_num_threads() -> int:
    """The number of threads numpy's BLAS library uses."""
    return max((library.num_threads for library in _numpy_blas()), default=1)


def _numpy_blas() -> list[Any]:
    """threadpoolctl's handles on the BLAS library numpy uses (not scipy's or torch's own copies)."""
    import numpy
    from threadpoolctl import ThreadpoolController

    blas = [lib for lib in ThreadpoolController().lib_controllers if lib.user_api == "blas"]
    numpy_dir = os.path.dirname(os.path.dirname(numpy.__file__))  # site-packages: numpy/ and numpy.libs/
    own = [lib for lib in blas if lib.filepath.startswith(os.path.join(numpy_dir, "numpy"))]
    return own or blas  # a numpy linked to the system's BLAS: the only BLAS loaded


def default_threads() -> None:
    """At import: ``NNEDU_NUM_THREADS`` threads (default 1; ``0`` leaves the BLAS library alone)."""
    value = os.environ.get("NNEDU_NUM_THREADS", "1").strip() or "1"
    try:
        n = int(value)
    except ValueError:
        raise ValueError(f"NNEDU_NUM_THREADS must be a whole number, got {value!r}") from None
    if n > 0:
        set_num_threads(n)
