"""Academic integrity: does a submission use implementations the exercise forbids?

``nnedu`` itself holds the reference answers (``nnedu.functional.softmax`` is exercise 5's).
An exercise declares what its graded code must not use, in its test file::

    MUST_NOT_USE = ("nnedu",)   # the notebook may import nnedu only to call nnedu.check

The grader then reads the submission's code statically (every code cell as it would run,
and every ``.py`` file of a folder submission) and *flags* it for review, with the line, when
the code reaches a forbidden module: an import of it or of a submodule, any use of the
module's name other than ``nnedu.check``, or one of the ways round a plain import: dynamic
imports (``importlib``, ``__import__``, ``sys.modules``), ``exec``/``eval``/``compile``,
introspection (``getattr`` with a computed name, ``globals()``, ``vars()``, ``__globals__``,
``__subclasses__``...), unpickling, or another process (``subprocess``, ``os.system``).
A flag does not change the score: the instructor decides.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from dataclasses import asdict, dataclass
from pathlib import Path

# The first cell of every course notebook (installs nnedu on Colab/Binder where it is missing).
# A cell with exactly this code (comments and layout aside) is not the student's work.
SETUP_CELL = '''
import importlib.util, subprocess, sys
if importlib.util.find_spec("nnedu") is None:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet",
                    "nnedu[data] @ git+https://github.com/nnedu/nnedu"], check=True)
'''
ALLOWED_ATTRIBUTES = {"nnedu": {"check", "demo"}}  # how students check themselves and try their code

# Modules whose purpose is to load code or objects by name, or to run another program.
LOADERS = {"importlib", "imp", "pkgutil", "runpy", "zipimport", "builtins", "__builtin__", "gc", "inspect",
           "ctypes", "cffi", "pickle", "_pickle", "cPickle", "marshal", "dill", "cloudpickle", "joblib", "shelve",
           "copyreg", "types", "code", "codeop", "subprocess", "multiprocessing", "pty", "site", "sysconfig"}
# Names of the interpreter that evaluate text or reach namespaces.
DYNAMIC_NAMES = {"__import__", "exec", "eval", "compile", "globals", "locals", "vars", "breakpoint",
                 "__builtins__", "__loader__", "__spec__", "execfile", "reload"}
# Attributes that reach another module's namespace, code objects or every class in the process.
INTROSPECTION = {"__globals__", "__builtins__", "__import__", "__subclasses__", "__bases__", "__base__", "__mro__",
                 "__code__", "__closure__", "__func__", "__self__", "__wrapped__", "__dict__", "__getattribute__",
                 "__loader__", "__spec__", "__reduce__", "__reduce_ex__", "__file__", "__path__", "f_globals",
                 "f_locals", "f_back", "gi_frame", "cr_frame", "tb_frame"}
# Everyday modules with a few attributes that reach other modules or programs.
RISKY_ATTRIBUTES = {
    "sys": {"modules", "meta_path", "path_hooks", "path_importer_cache", "_getframe", "settrace", "setprofile"},
    "os": {"system", "popen", "execv", "execve", "execl", "execle", "execlp", "execvp", "execvpe", "spawnv",
           "spawnve", "spawnl", "spawnle", "posix_spawn", "posix_spawnp", "fork", "forkpty"},
}
# Attributes of any object that lead to such a module (numpy's modules import sys, os, pickle...).
MODULE_ATTRIBUTES = {"sys", "os", "importlib", "builtins", "__builtin__", "pickle", "_pickle", "marshal",
                     "subprocess", "ctypes", "runpy", "pkgutil", "gc", "import_module", "load_module",
                     "exec_module", "find_spec", "attrgetter", "methodcaller", "read_pickle",
                     "create_subprocess_exec", "create_subprocess_shell"}


@dataclass(frozen=True)
class Finding:
    """One place where the code reaches (or could reach) a forbidden implementation."""

    where: str  # "cell 3, line 2" or "helper.py, line 4"
    code: str  # that line, shortened
    reason: str

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}: `{self.code}`"


def declared(tests: list) -> tuple[str, ...]:
    """The modules an exercise's test files forbid (``MUST_NOT_USE``), in the order declared."""
    forbidden: dict[str, None] = {}
    for test in tests:
        names = getattr(test.function, "__globals__", {}).get("MUST_NOT_USE", ())
        if isinstance(names, str):
            names = (names,)
        for name in names:
            forbidden[str(name)] = None
    return tuple(forbidden)


def _root(module: str | None) -> str:
    return (module or "").split(".")[0]


class _Scanner(ast.NodeVisitor):
    """Walks one file or cell; ``aliases`` maps local names to the module they are bound to."""

    def __init__(self, forbidden: tuple[str, ...], lines: list[str], where: str, aliases: dict[str, str],
                 local: set[str]) -> None:
        self.forbidden = set(forbidden)
        self.lines, self.where, self.aliases, self.local = lines, where, aliases, local
        self.findings: list[Finding] = []
        self.parents: dict[int, ast.AST] = {}

    def flag(self, node: ast.AST, reason: str) -> None:
        number = getattr(node, "lineno", 1)
        line = self.lines[number - 1].strip() if 0 < number <= len(self.lines) else ""
        self.findings.append(Finding(f"{self.where}, line {number}", line[:160], reason))

    def scan(self, tree: ast.AST) -> None:
        for parent in ast.walk(tree):
            for child in ast.iter_child_nodes(parent):
                self.parents[id(child)] = parent
        self.visit(tree)

    # imports ---------------------------------------------------------------------------
    def unknown(self, node: ast.AST, root: str) -> None:
        """Flag a module that is neither installed nor one of the submission's files (written at run time?)."""
        if root in self.local:
            return
        try:
            found = importlib.util.find_spec(root) is not None  # a top-level name: searches, runs nothing
        except (ImportError, ValueError):
            found = False
        if not found:
            self.flag(node, f"imports {root}, which is neither installed nor a file of the submission")

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            root = _root(alias.name)
            bound = alias.asname or root
            if root not in self.forbidden:
                self.unknown(node, root)
            if root in self.forbidden:
                if alias.name != root:
                    self.flag(node, f"imports {alias.name}, which this exercise must not use")
                self.aliases[bound] = root
            elif root in LOADERS:
                self.flag(node, f"imports {alias.name}, which can load other modules' code")
                self.aliases[bound] = root
            elif root in RISKY_ATTRIBUTES:
                self.aliases[bound] = root

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        root = _root(node.module)
        if node.level:  # a relative import inside the student's own files
            return
        if root not in self.forbidden:
            self.unknown(node, root)
        if root in self.forbidden:
            allowed = ALLOWED_ATTRIBUTES.get(root, set())
            names = [a.name for a in node.names]
            if node.module != root or any(n not in allowed for n in names):
                self.flag(node, f"imports {', '.join(names)} from {node.module}, which this exercise must not use")
        elif root in LOADERS:
            self.flag(node, f"imports from {node.module}, which can load other modules' code")
        elif root in RISKY_ATTRIBUTES:
            for alias in node.names:
                if alias.name == "*" or alias.name in RISKY_ATTRIBUTES[root]:
                    self.flag(node, f"imports {alias.name} from {node.module}")
        elif root == "operator" and any(a.name in ("*", "attrgetter", "methodcaller") for a in node.names):
            self.flag(node, "imports operator's attrgetter/methodcaller, which reach attributes by computed names")

    # names and attributes ----------------------------------------------------------------
    def visit_Name(self, node: ast.Name) -> None:
        module = self.aliases.get(node.id)
        parent = self.parents.get(id(node))
        attribute = parent.attr if isinstance(parent, ast.Attribute) and parent.value is node else None
        if not isinstance(node.ctx, ast.Load):
            pass
        elif module in self.forbidden:
            if attribute is None or attribute not in ALLOWED_ATTRIBUTES.get(module, set()):
                what = f"{node.id}.{attribute}" if attribute else node.id
                self.flag(node, f"uses {what} ({module} must not be used in this exercise)")
        elif module in RISKY_ATTRIBUTES:
            if attribute is None:
                self.flag(node, f"passes the module {node.id} around (it can reach other modules)")
            elif attribute in RISKY_ATTRIBUTES[module]:
                self.flag(node, f"uses {node.id}.{attribute}, which can reach other modules or programs")
        elif node.id in DYNAMIC_NAMES and module is None:
            self.flag(node, f"uses {node.id}, which can run code or reach modules by name")
        elif node.id == "getattr" and not (isinstance(parent, ast.Call) and parent.func is node):
            self.flag(node, f"passes {node.id} around, which reaches attributes by computed names")
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in INTROSPECTION:
            self.flag(node, f"uses .{node.attr}, which can reach other modules' namespaces")
        elif node.attr in MODULE_ATTRIBUTES and not (
                isinstance(node.value, ast.Name) and node.value.id in self.aliases):
            self.flag(node, f"reaches .{node.attr} through another object")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        function = node.func
        if isinstance(function, ast.Name) and function.id == "getattr":  # the others cannot fetch an object
            name = node.args[1] if len(node.args) > 1 else None
            if not (isinstance(name, ast.Constant) and isinstance(name.value, str)):
                self.flag(node, f"calls {function.id} with a computed attribute name")
        for keyword in node.keywords:  # unpickling can import any function by name
            if keyword.arg not in ("allow_pickle", "weights_only"):
                continue
            value = keyword.value
            truthy = bool(value.value) if isinstance(value, ast.Constant) else None  # None: computed
            if truthy is None or truthy == (keyword.arg == "allow_pickle"):
                self.flag(node, f"may load pickled objects ({keyword.arg}={ast.unparse(keyword.value)})")
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str):
            text = node.value.strip()
            if text in INTROSPECTION or text in DYNAMIC_NAMES:
                self.flag(node, f"names {text!r} in a string")
            elif any(re.fullmatch(rf"{re.escape(m)}(\.\w+)*", text) for m in self.forbidden):
                self.flag(node, f"names the module {text!r} in a string")


def _is_setup_cell(tree: ast.Module) -> bool:
    return ast.dump(tree) == ast.dump(ast.parse(SETUP_CELL))


def scan_code(code: str, where: str, forbidden: tuple[str, ...], aliases: dict[str, str] | None = None,
              local: set[str] | None = None) -> list[Finding]:
    """Findings in one cell or file. Code that does not parse cannot run, so it has none.

    ``aliases`` carries names bound to modules from cell to cell; ``local`` names the modules
    the submission brings itself (its ``.py`` files and packages).
    """
    if not forbidden:
        return []
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return []
    if _is_setup_cell(tree):
        return []
    scanner = _Scanner(forbidden, code.splitlines(), where, {} if aliases is None else aliases, local or set())
    scanner.scan(tree)
    return scanner.findings


def scan_submission(cells: list[str], folder: Path | None, forbidden: tuple[str, ...]) -> list[Finding]:
    """Findings in the notebook's code cells (names carry from cell to cell) and a folder's ``.py`` files."""
    root = Path(folder) if folder is not None and Path(folder).is_dir() else None
    files: dict[str, Path] = {}  # the folder's own modules, by their path inside it
    if root is not None:
        files = {str(p.relative_to(root)): p for p in sorted(root.rglob("*.py"))
                 if not p.is_symlink() and p.is_file() and p.stat().st_size <= 2_000_000}
    local = {part.removesuffix(".py") for name in files for part in Path(name).parts}
    findings: list[Finding] = []
    aliases: dict[str, str] = {}
    for index, code in enumerate(cells):
        findings += scan_code(code, f"cell {index + 1}", forbidden, aliases, local)
    for name, path in files.items():
        findings += scan_code(path.read_text(encoding="utf-8", errors="replace"), name, forbidden, None, local)
    return findings
