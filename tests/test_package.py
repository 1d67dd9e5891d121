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


def test_star_import_gives_every_layer_and_no_widget_toolkit():
    code = (
        "import sys, json; from nnedu import *; import nnedu; names = set(dir()); "
        "print(json.dumps({'missing': [n for n in nnedu.nn.__all__ if n not in names], "
        "'heavy': [m for m in ('ipywidgets', 'matplotlib', 'torch', 'sklearn') if m in sys.modules]}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == {"missing": [], "heavy": []}


def test_nnedu_reexports_nn_all_once():
    import nnedu

    assert set(nnedu.nn.__all__) <= set(nnedu.__all__)
    assert len(nnedu.__all__) == len(set(nnedu.__all__))
    for name in nnedu.nn.__all__:
        assert getattr(nnedu, name) is getattr(nnedu.nn, name)


def test_neuron_weight_and_its_deprecated_alias():
    import pytest

    import nnedu

    neuron = nnedu.Neuron(weight=[3.0, -2.0], bias=1.0, activation="relu")
    assert neuron([1.0, 1.0]) == 2.0 and list(neuron.weight) == [3.0, -2.0]
    with pytest.deprecated_call(match="Neuron.weight"):
        assert list(neuron.weights) == [3.0, -2.0]
    with pytest.deprecated_call(match="weight="):
        old = nnedu.Neuron(weights=[1.0], bias=0.0)
    assert list(old.weight) == [1.0]


def test_freed_memory_is_kept_on_glibc_unless_switched_off():
    import platform

    from nnedu._memory import keep_freed_memory

    glibc = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"
    assert keep_freed_memory() is glibc
    code = "import nnedu._memory as m; print(m.keep_freed_memory())"
    env = {"NNEDU_KEEP_FREED_MEMORY": "0", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == "False"


def test_one_blas_thread_by_default_and_set_num_threads():
    code = ("import nnedu; a = nnedu.get_num_threads(); nnedu.set_num_threads(2); "
            "print(a, nnedu.get_num_threads())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["1", "2"]
    env = {"NNEDU_NUM_THREADS": "0", "OPENBLAS_NUM_THREADS": "2", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", "import nnedu; print(nnedu.get_num_threads())"],
                         capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == "2"   # "0": the library's own setting is left alone
    import pytest

    import nnedu
    with pytest.raises(ValueError, match="positive integer"):
        nnedu.set_num_threads(0)
