"""Package-level promises: a fast import without torch or scikit-learn, PyTorch's names."""

from __future__ import annotations

import json
import subprocess
import sys


def test_import_does_not_pull_heavy_dependencies():
    code = (
        "import sys, json, nnedu; "
        "print(json.dumps({m: m in sys.modules for m in ('torch', 'sklearn', 'matplotlib', 'pooch')}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = json.loads(out.stdout)
    assert loaded == {"torch": False, "sklearn": False, "matplotlib": False, "pooch": False}


def test_pytorch_names_are_exported():
    import nnedu

    for name in ("Linear", "ReLU", "Sigmoid", "Tanh", "LeakyReLU", "Softmax", "Dropout",
                 "Sequential", "MSELoss", "BCELoss", "CrossEntropyLoss"):
        assert getattr(nnedu, name) is getattr(nnedu.nn, name)
    assert nnedu.optim.SGD and nnedu.functional.softmax and nnedu.data.load_digits
