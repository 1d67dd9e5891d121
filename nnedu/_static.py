"""Whether the package renders for the static book (``NNEDU_STATIC``): read here, and only here.

``make book`` sets ``NNEDU_STATIC=1``: widgets become recorded players and training
prints one summary line instead of a progress bar. Unset, empty or ``"0"`` means off.
"""

from __future__ import annotations

import os


def static_mode() -> bool:
    """True when output must work without a kernel (the book build)."""
    return os.environ.get("NNEDU_STATIC", "").strip() not in ("", "0")
