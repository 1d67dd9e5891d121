"""Academic integrity: code that reaches nnedu's reference answers is flagged, however it gets
there; honest code (every course solution) is not."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys

import pytest
from conftest import REPO

from nnedu.grading import notebook
from nnedu.grading.grade import grade
from nnedu.grading.integrity import SETUP_CELL, declared, scan_code, scan_submission
from nnedu.grading.runner import load_tests
from nnedu.grading.sandbox import Limits

FORBIDDEN = ("nnedu", "torch", "scipy", "sklearn")
LIMITS = Limits(timeout=20, submission_timeout=120)

# Each is a way a student could get nnedu's (or torch's) softmax into their graded function.
EVASIONS = {
    "from_submodule": "from nnedu.functional import softmax",
    "import_submodule": "import nnedu.functional as F\ndef softmax(z):\n    return F.softmax(z)",
    "from_package": "from nnedu import functional",
    "attribute": "import nnedu\ndef softmax(z):\n    return nnedu.functional.softmax(z)",
    "alias": "import nnedu as nn\ndef softmax(z):\n    return nn.functional.softmax(z)",
    "rebinding": "import nnedu\nlib = nnedu\ndef softmax(z):\n    return lib.functional.softmax(z)",
    "getattr_constant": "import nnedu\nsoftmax = getattr(getattr(nnedu, 'functional'), 'softmax')",
    "getattr_computed": "import numpy as np\nname = 'func' + 'tional'\nf = getattr(np, name)",
    "vars": "import nnedu\nsoftmax = vars(nnedu)['functional'].softmax",
    "importlib": "import importlib\nF = importlib.import_module('nnedu.functional')",
    "importlib_from": "from importlib import import_module\nF = import_module('nn' + 'edu.functional')",
    "dunder_import": "F = __import__('nn' + 'edu').functional",
    "sys_modules": "import sys\nF = sys.modules['nnedu.functional']",
    "sys_alias": "import sys as s\nF = s.modules.get('nnedu.functional')",
    "exec": "exec('from nnedu.func' + 'tional import softmax')",
    "eval": "softmax = eval('__imp' + 'ort__(\"nnedu\").functional.softmax')",
    "compile": "code = compile('x = 1', 'f', 'exec')",
    "globals": "F = globals()['nn' + 'edu']",
    "check_globals": "from nnedu import check\nF = check.__globals__['sys'].modules['nnedu.functional']",
    "check_attribute_globals": "import nnedu\nF = nnedu.check.__globals__",
    "subclasses": "loaders = ().__class__.__base__.__subclasses__()",
    "builtins_via_print": "imp = print.__self__.__import__",
    "pickle": "import pickle\nsoftmax = pickle.loads(b'cnnedu.functional\\nsoftmax\\n.')",
    "numpy_pickle": "import numpy as np\nsoftmax = np.load('answer.npy', allow_pickle=True).item()",
    "module_through_numpy": "import numpy as np\nmods = np.lib.format.pickle",
    "subprocess": "import subprocess\nsubprocess.run(['python', '-c', 'print(1)'])",
    "os_system": "import os\nos.system('python -c 1')",
    "fullwidth_name": "import \uff4e\uff4e\uff45\uff44\uff55.functional as F",
    "torch": "import torch\ndef softmax(z):\n    return torch.softmax(torch.tensor(z), -1).numpy()",
    "scipy": "from scipy.special import softmax",
    "string_module_name": "name = 'nnedu.functional'",
    "gc": "import gc\nfs = [o for o in gc.get_objects() if getattr(o, '__name__', '') == 'softmax']",
}


@pytest.mark.parametrize("name", sorted(EVASIONS))
def test_every_way_round_a_plain_import_is_flagged(name):
    findings = scan_submission(["import numpy as np\nimport nnedu\nEXERCISE = '05'", EVASIONS[name]], None, FORBIDDEN)
    assert findings, f"{name} was not flagged"
    assert all(f.where.startswith("cell 2, line ") for f in findings)


def test_honest_code_is_not_flagged():
    code = (
        "import numpy as np\nimport nnedu\nfrom nnedu import check\nEXERCISE = '05'\n"
        "class Layer:\n    def __init__(self, n):\n        super().__init__()\n        self.w = np.zeros(n)\n"
        "    def __repr__(self):\n        return f'{self.__class__.__name__}({self.w.shape})'\n"
        "def softmax(z):\n    e = np.exp(z - z.max(axis=-1, keepdims=True))\n    return e / e.sum(-1, keepdims=True)\n"
        "w = getattr(Layer(3), 'w')\nnnedu.check('q1')\ncheck('q2')\nprint('done')\n"
        "safe = np.load('weights.npy', allow_pickle=False)\n"
        "for name in ('w',):\n    if hasattr(Layer(1), name):\n        setattr(Layer(1), name, 0)\n"
    )
    assert scan_code(code, "cell 1", FORBIDDEN) == []
    assert scan_code(SETUP_CELL, "cell 1", FORBIDDEN) == []


@pytest.mark.parametrize("number", [f"{n:02d}" for n in range(2, 12)])
def test_no_course_solution_or_exercise_is_flagged_and_every_exercise_declares_its_policy(number):
    forbidden = declared(load_tests(number))
    assert forbidden[0] == "nnedu"
    for folder in ("solutions", "exercises"):
        (path,) = (REPO / folder).glob(f"{number}_*.ipynb")
        assert scan_submission(notebook.code_cells(notebook.load(path)), None, forbidden) == [], path


def test_the_setup_cell_is_trusted_only_verbatim():
    assert scan_code(SETUP_CELL.replace('"nnedu")', '"nnedu.functional")'), "cell 1", FORBIDDEN)


def test_a_folder_submission_s_helper_files_are_scanned(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "helper.py").write_text("from nnedu.functional import softmax\n")
    findings = scan_submission(["from lib.helper import softmax"], tmp_path, FORBIDDEN)
    assert [f.where for f in findings] == ["lib/helper.py, line 1"]


def test_no_policy_no_findings():
    assert scan_submission(["from nnedu.functional import softmax"], None, ()) == []


def test_the_grader_flags_but_still_scores_and_says_so(tmp_path):
    nb = json.loads((REPO / "solutions" / "05_softmax.ipynb").read_text())
    (at,) = [i for i, cell in enumerate(nb["cells"]) if "def softmax(" in "".join(cell["source"])]
    nb["cells"].insert(at + 1, {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                                "source": "from nnedu.functional import softmax  # the reference answer\n"})
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "mallory.ipynb").write_text(json.dumps(nb))
    shutil.copy(REPO / "solutions" / "05_softmax.ipynb", subs / "honest.ipynb")
    out = tmp_path / "out"
    grade(subs, "05", out, limits=LIMITS, progress=lambda _: None, insecure=True)
    rows = {r["student"]: r for r in csv.DictReader((out / "grades.csv").open())}
    assert rows["mallory"]["total"] == rows["honest"]["total"] == rows["honest"]["max"]   # scored as usual
    assert rows["mallory"]["status"] == "graded"
    assert rows["mallory"]["integrity"] == "FLAGGED for review: 1 finding(s)"
    assert rows["honest"]["integrity"] == "ok"
    feedback = (out / "feedback" / "mallory.md").read_text()
    assert "Academic integrity: flagged for review" in feedback
    assert "imports softmax from nnedu.functional" in feedback and "`from nnedu.functional import softmax" in feedback
    assert "Academic integrity" not in (out / "feedback" / "honest.md").read_text()
    gradescope = json.loads((out / "gradescope" / "mallory" / "results.json").read_text())
    assert any(t["name"] == "Academic integrity" and t["visibility"] == "visible" for t in gradescope["tests"])

    check = subprocess.run([sys.executable, "-m", "nnedu.cli", "check", str(subs / "mallory.ipynb")],
                           check=False, capture_output=True, text=True, timeout=120)
    assert "note: academic integrity" in check.stdout and "nnedu.functional" in check.stdout


MORE_EVASIONS = {
    "copied_source": "import os, shutil, numpy as np\n"
                     "src = os.path.join(os.path.dirname(np.__file__), '..', 'nn' + 'edu', 'functional.py')\n"
                     "shutil.copy(src, 'mine.py')",
    "import_written_file": "from mine import softmax",
    "attrgetter": "from operator import attrgetter\nf = attrgetter('__glob' + 'als__')",
    "operator_module": "import operator\nf = operator.methodcaller('x')",
    "getattr_passed": "import functools\nf = functools.reduce(getattr, ['a', 'b'], object)",
    "traceback_frame": "try:\n    1 / 0\nexcept Exception as e:\n    g = e.__traceback__.tb_frame.f_globals",
    "allow_pickle_truthy": "import numpy as np\nf = np.load('a.npy', allow_pickle=1)",
    "allow_pickle_computed": "import numpy as np\nyes = 1 > 0\nf = np.load('a.npy', allow_pickle=yes)",
    "weights_only_falsy": "import torch\nf = torch.load('a.pt', weights_only=0)",
    "pandas_pickle": "import pandas as pd\nf = pd.read_pickle('answer.pkl')",
    "asyncio_process": "import asyncio\np = asyncio.create_subprocess_exec('python', '-c', '1')",
    "walrus": "import nnedu\nif (lib := nnedu):\n    pass",
    "fstring": "import nnedu\nname = f'{nnedu.functional}'",
}


@pytest.mark.parametrize("name", sorted(MORE_EVASIONS))
def test_more_ways_round_are_flagged(name):
    assert scan_submission([MORE_EVASIONS[name]], None, FORBIDDEN), f"{name} was not flagged"


def test_a_folder_s_own_modules_are_not_unknown_imports(tmp_path):
    (tmp_path / "utils").mkdir()
    (tmp_path / "utils" / "__init__.py").write_text("")
    (tmp_path / "helpers.py").write_text("import numpy as np\n")
    assert scan_submission(["import helpers\nfrom utils import x"], tmp_path, FORBIDDEN) == []
