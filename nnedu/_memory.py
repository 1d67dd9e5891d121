"""Keep freed array memory in the process instead of handing it back to the system.

A training loop allocates the same temporaries at every step (im2col columns, gradients),
each one or two megabytes. With glibc's default settings malloc gives such blocks back to
the operating system when numpy frees them and maps them again, page by page, at the next
step: about a thousand page faults per convolution step, which made ``Conv2d(1, 8, 3)``
on a batch of 28x28 images three times slower than the arithmetic it does (see
benchmarks/README.md). Raising glibc's mmap and trim thresholds makes malloc keep those
blocks for reuse. The cost is that up to a few hundred megabytes of freed memory stay with
the process until it ends.

This is done once, when ``nnedu`` is imported, and only where the C library is glibc.
Set ``NNEDU_KEEP_FREED_MEMORY=0`` to leave the C library's settings alone.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform

M_TRIM_THRESHOLD = -1   # glibc's mallopt parameters (malloc.h)
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 64 << 20    # blocks under 64 MB come from the heap, and are reused
TRIM_THRESHOLD = 256 << 20   # free heap memory is returned only above 256 MB


def keep_freed_memory() -> bool:
    """Ask glibc to keep freed blocks for reuse; ``True`` when the settings were changed."""
    if os.environ.get("NNEDU_KEEP_FREED_MEMORY", "").strip() == "0":
        return False
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
            libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    except (OSError, AttributeError):  # no libc to load, or no mallopt in it
        return False
