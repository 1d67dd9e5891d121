"""The child process that runs one submission: ``python -I -m nnedu.grading.child CONFIG``.

Started by :mod:`nnedu.grading.sandbox`. Before any student code runs it confines
itself (trusted code, in this order): a private mount namespace hiding the grader's
folders and no network (when root), resource limits, the scratch directory as working
directory, then an unprivileged uid. It then executes the notebook's code cells in one
namespace and serves calls, one JSON line per request and per reply on a socket that
only it and the grader hold. Its stdout and stderr are a size-capped log file.

Nothing here decides a grade: the child only returns what the student's functions
return, as plain data (:mod:`nnedu.grading.protocol`).
"""

from __future__ import annotations

import ctypes
import json
import os
import random
import resource
import signal
import socket
import sys
import traceback

import numpy as np

from nnedu.grading import protocol

CLONE_NEWNS, CLONE_NEWNET, CLONE_NEWIPC = 0x00020000, 0x40000000, 0x08000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 32, 4096, 16384, 1 << 18
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS = 1, 38


def _mount(libc, source, target: str, fstype, flags: int, options) -> None:
    enc = lambda v: v.encode() if isinstance(v, str) else v  # noqa: E731
    if libc.mount(enc(source), enc(target), enc(fstype), flags, enc(options)) != 0:
        raise OSError(ctypes.get_errno(), f"mount {source} on {target} failed")


def expose(libc, blocked: str, needed: list[str], staging: str) -> None:
    """Replace the private folder ``blocked`` (e.g. /root) by an empty one holding only ``needed``.

    The Python interpreter may live in a folder the sandbox uid cannot enter
    (``/root/.pyenv``): each needed folder is bind-mounted aside, a tmpfs covers
    ``blocked``, and the needed folders are bind-mounted back, read-only, at their
    own paths. Everything else in ``blocked`` stays invisible.
    """
    aside = []
    for i, path in enumerate(needed):
        target = os.path.join(staging, str(i))
        os.makedirs(target, exist_ok=True)
        _mount(libc, path, target, None, MS_BIND | MS_REC, None)
        aside.append((target, path))
    _mount(libc, "tmpfs", blocked, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=755")
    for target, path in aside:
        os.makedirs(path, exist_ok=True)
        _mount(libc, target, path, None, MS_BIND | MS_REC, None)
        _mount(libc, None, path, None, MS_BIND | MS_REMOUNT | MS_RDONLY, None)
        libc.umount2(target.encode(), MNT_DETACH)


def isolate(hide: list[str], exposed: dict[str, list[str]], staging: str) -> list[str]:
    """New mount, network and IPC namespaces; an empty read-only tmpfs over each folder in ``hide``.

    Needs root (CAP_SYS_ADMIN). Returns what it managed, for the grader's record.
    """
    done = []
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC) != 0:
        return done
    done.append("namespaces")
    if libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None) != 0:
        return done
    for blocked, needed in exposed.items():
        expose(libc, blocked, needed, staging)
    for path in hide:
        if os.path.isdir(path):
            if libc.mount(b"tmpfs", path.encode(), b"tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV,
                          b"size=4k,mode=000") != 0:
                raise OSError(ctypes.get_errno(), f"could not hide {path}")
            done.append(path)
    return done


def confine(config: dict) -> None:
    """Everything that must happen before student code runs (see the module docstring)."""
    if os.geteuid() == 0 and config.get("isolate", True):
        isolate(config.get("hide", []), config.get("expose", {}), config["staging"])
    mb = 1 << 20
    limits = {
        resource.RLIMIT_CPU: config["cpu_seconds"],
        resource.RLIMIT_AS: config["memory_mb"] * mb,
        resource.RLIMIT_FSIZE: config["file_mb"] * mb,
        resource.RLIMIT_CORE: 0,
        resource.RLIMIT_NOFILE: 256,
    }
    if config.get("uid") is not None:
        limits[resource.RLIMIT_NPROC] = config.get("nproc", 32)
    for which, value in limits.items():
        resource.setrlimit(which, (value, value))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a full log makes writes fail, not the process die
    os.chdir(config["scratch"])
    if config.get("uid") is not None and os.geteuid() == 0:
        os.setgroups([])
        os.setgid(config["gid"])
        os.setuid(config["uid"])
        if os.getuid() == 0 or os.geteuid() == 0:
            raise SystemExit("could not drop privileges")
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # after setuid, which clears it
    if os.getppid() == 1:  # the grader is already gone
        os._exit(1)
    for name in ("nnedu.grading.sandbox", "nnedu.grading.runner", "nnedu.grading.grade"):
        sys.modules.pop(name, None)


def seed_everything(seed: int) -> None:
    np.random.seed(seed)
    random.seed(seed)
    torch = sys.modules.get("torch")
    if torch is not None:
        try:
            torch.manual_seed(seed)
        except Exception:
            pass


def short_error(exc: BaseException) -> dict:
    frames = traceback.extract_tb(exc.__traceback__)
    student = [f for f in frames if f.filename.startswith("<cell")]
    lines = traceback.format_list(student[-3:]) if student else []
    text = "".join(lines) + "".join(traceback.format_exception_only(type(exc), exc))
    return {"type": type(exc).__name__, "message": str(exc)[:500], "traceback": text[-2000:]}


def classify(exc: BaseException) -> str:
    if isinstance(exc, NotImplementedError):
        return "not_implemented"
    if isinstance(exc, MemoryError):
        return "memory"
    return "error"


class Server:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.reader = sock.makefile("rb")
        self.namespace: dict = {"__name__": "__main__", "__builtins__": __builtins__}

    def send(self, message: dict) -> None:
        self.sock.sendall(protocol.dumps(message))

    def run_cells(self, cells: list[str], skip: list[int], seed: int) -> None:
        seed_everything(seed)
        errors = []
        for index, code in enumerate(cells):
            if index in skip or not code.strip():
                continue
            self.send({"event": "cell", "index": index})
            try:
                exec(compile(code, f"<cell {index + 1}>", "exec"), self.namespace)
            except BaseException as exc:  # SystemExit and KeyboardInterrupt too: the next cell still runs
                errors.append({"cell": index, **short_error(exc), "kind": classify(exc)})
        names = sorted(k for k, v in self.namespace.items() if callable(v) and not k.startswith("_"))
        self.send({"event": "ready", "errors": errors, "names": names[:500]})

    def resolve(self, name: str):
        value = self.namespace.get(name)
        if not callable(value):
            raise NameError(f"{name} is not defined")
        return value

    def call(self, request: dict) -> dict:
        name = request.get("name")
        function = self.namespace.get(name)
        if function is None:
            return {"ok": False, "kind": "missing", "message": f"{name} is not defined in the notebook"}
        if not callable(function):
            return {"ok": False, "kind": "missing",
                    "message": f"{name} is a {type(function).__name__}, not a function"}
        try:
            args = protocol.decode(request["args"], resolve=self.resolve)
            kwargs = protocol.decode(request["kwargs"], resolve=self.resolve)
        except Exception as exc:
            return {"ok": False, "kind": "error", "message": f"bad arguments: {exc}"}
        seed_everything(int(request.get("seed", 0)))
        try:
            value = function(*args, **kwargs)
        except BaseException as exc:
            return {"ok": False, "kind": classify(exc), **short_error(exc)}
        try:
            return {"ok": True, "value": protocol.encode(value)}
        except protocol.NotPlainData as exc:
            return {"ok": False, "kind": "not_plain", "message": f"{name} returned {exc}, not plain data"}
        except RecursionError:
            return {"ok": False, "kind": "not_plain", "message": f"{name} returned data nested too deeply"}

    def serve(self) -> None:
        for line in self.reader:
            request = protocol.loads(line)
            op = request.get("op")
            if op == "run":
                self.run_cells(request["cells"], request.get("skip", []), request.get("seed", 0))
            elif op == "call":
                reply = self.call(request)
                reply["id"] = request.get("id")
                try:
                    self.send(reply)
                except MemoryError:
                    self.send({"id": request.get("id"), "ok": False, "kind": "memory",
                               "message": "the result is too large to send"})
            elif op == "bye":
                break


def main() -> None:
    config = json.loads(sys.argv[1])
    sock = socket.socket(fileno=config["fd"])
    confine(config)
    sys.argv = ["notebook"]
    Server(sock).serve()
    os._exit(0)


if __name__ == "__main__":
    main()
