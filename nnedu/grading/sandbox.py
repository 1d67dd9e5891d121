"""The grader's side of a submission's child process (see :mod:`nnedu.grading.child`).

:class:`Sandbox` copies a submission into a scratch directory, starts the child with a
scrubbed environment, sends it the notebook's code cells and then forwards calls.
It enforces the wall-clock limits (per cell, per call, per submission), reads replies
with a size cap, and turns every way the child can misbehave into an exception from
:mod:`nnedu.grading.api`. When a cell hangs or kills the child, the child is restarted
with that cell skipped, so the rest of the notebook can still earn points.
"""

from __future__ import annotations

import fcntl
import itertools
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from nnedu.grading import protocol
from nnedu.grading.api import (
    MissingFunction,
    NotAttempted,
    NotPlainResult,
    StudentCrashed,
    StudentError,
    StudentOutOfMemory,
    StudentProblem,
    StudentTimeout,
)

MAX_SUBMISSION_BYTES = 50 * 1024 * 1024
MAX_RESTARTS = 4
SANDBOX_UID_BASE = 61000  # one unnamed uid per running sandbox: sandboxes cannot signal each other


@dataclass
class Limits:
    """Resource limits for one submission."""

    timeout: float = 10.0  # wall-clock seconds per cell and per call of a student function
    submission_timeout: float = 300.0  # wall-clock seconds for everything of one submission
    memory_mb: int = 2048  # address space (torch alone maps about 1 GB)
    file_mb: int = 16  # largest file the child may write (its output log included)
    nproc: int = 32  # processes and threads of the sandbox uid

    @property
    def cpu_seconds(self) -> int:
        return int(self.submission_timeout) + 5


def privileged() -> bool:
    return os.geteuid() == 0


def claim_uid() -> tuple[int, int]:
    """An unprivileged uid without a passwd entry that no other sandbox is using: ``(uid, lock fd)``.

    Each running sandbox holds an exclusive lock on its uid's file in a root-only folder,
    so sandboxes of parallel grader processes never share a uid (nor can signal each other).
    Close the fd to release the uid.
    """
    folder = Path(tempfile.gettempdir()) / "nnedu-sandbox-uids"
    folder.mkdir(mode=0o700, exist_ok=True)
    for uid in range(SANDBOX_UID_BASE, SANDBOX_UID_BASE + 4096):
        try:
            pwd.getpwuid(uid)
            continue
        except KeyError:
            pass
        fd = os.open(folder / str(uid), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        return uid, fd
    raise RuntimeError("no free sandbox uid")


def blocked_folders() -> dict[str, list[str]]:
    """Folders the child needs (the interpreter, site-packages, nnedu) behind a folder others cannot enter.

    Maps the outermost such folder (e.g. ``/root``) to the needed folders inside it;
    the child re-exposes just those (see :func:`nnedu.grading.child.expose`).
    """
    needed = {os.path.realpath(p) for p in [sys.base_prefix, sys.prefix, *sys.path] if p and os.path.isdir(p)}
    needed.add(str(Path(__file__).resolve().parents[2]))
    blocked: dict[str, set[str]] = {}
    for path in needed:
        parts = Path(path).parts
        for i in range(1, len(parts)):
            ancestor = str(Path(*parts[:i + 1]))
            if not os.stat(ancestor).st_mode & 0o001:
                blocked.setdefault(ancestor, set()).add(path)
                break
    # keep only the outermost needed folders (a folder inside another one comes with it)
    return {a: sorted(p for p in paths if not any(q != p and p.startswith(q + os.sep) for q in paths))
            for a, paths in blocked.items()}


def kill_uid(uid: int) -> None:
    """SIGKILL every process owned by ``uid`` (what a child forked and detached)."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    os.kill(int(entry), signal.SIGKILL)
            except (OSError, ProcessLookupError):
                pass


def copy_submission(source: Path, scratch: Path) -> None:
    """Regular files only (no symlinks), at most :data:`MAX_SUBMISSION_BYTES` in all."""
    budget = MAX_SUBMISSION_BYTES
    items = [source] if source.is_file() else sorted(source.rglob("*"))
    for item in items:
        if item.is_symlink() or not item.is_file():
            continue
        size = item.stat().st_size
        if size > budget:
            continue
        budget -= size
        target = scratch / (item.name if item == source else item.relative_to(source))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(item, target)


@dataclass
class CellProblem:
    cell: int
    kind: str
    message: str


@dataclass
class Sandbox:
    """One submission's child, restarted when needed, with everything it reported."""

    submission: Path
    cells: list[str]
    limits: Limits = field(default_factory=Limits)
    slot: int = 0
    hide: list[str] = field(default_factory=list)
    skip: list[int] = field(default_factory=list)
    cell_problems: list[CellProblem] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    restarts: int = 0
    dead: StudentProblem | None = None

    def __post_init__(self) -> None:
        self.deadline = time.monotonic() + self.limits.submission_timeout
        self.uid, self._uid_lock = claim_uid() if privileged() else (None, None)
        self.proc: subprocess.Popen | None = None
        self.sock: socket.socket | None = None
        self.buffer = b""
        self.scratch: Path | None = None
        self._ids = itertools.count()

    # life cycle -------------------------------------------------------------------
    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _spawn(self) -> None:
        self.scratch = Path(tempfile.mkdtemp(prefix="nnedu-grade-"))
        work = self.scratch / "work"
        work.mkdir()
        copy_submission(self.submission, work)
        if self.uid is not None:
            for path in [work, *work.rglob("*")]:
                os.chown(path, self.uid, self.uid, follow_symlinks=False)
            os.chmod(self.scratch, 0o711)
            os.chmod(work, 0o700)
        parent, child = socket.socketpair()
        self.log_path = self.scratch / "output.log"
        config = {
            "fd": child.fileno(), "scratch": str(work), "uid": self.uid, "gid": self.uid,
            "cpu_seconds": self.limits.cpu_seconds, "memory_mb": self.limits.memory_mb,
            "file_mb": self.limits.file_mb, "nproc": self.limits.nproc, "hide": self.hide,
            "expose": blocked_folders() if self.uid is not None else {}, "staging": str(self.scratch / "staging"),
        }
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(work), "TMPDIR": str(work),
            "LANG": "C.UTF-8", "MPLBACKEND": "Agg", "MPLCONFIGDIR": str(work / ".matplotlib"),
            "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "NNEDU_GRADING": "1",
        }
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-I", "-m", "nnedu.grading.child", json.dumps(config)],
                pass_fds=[child.fileno()], stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                cwd=work, env=env, start_new_session=True,
            )
        child.close()
        self.sock = parent
        self.buffer = b""

    def start(self) -> None:
        """Start the child and run the notebook, skipping cells that hang or kill it."""
        while True:
            self._spawn()
            self._send({"op": "run", "cells": self.cells, "skip": self.skip, "seed": 0})
            current = None
            try:
                while True:
                    message = self._receive(self.limits.timeout)
                    if message.get("event") == "cell":
                        current = message.get("index")
                    elif message.get("event") == "ready":
                        self._ready(message)
                        return
            except (StudentTimeout, StudentCrashed, StudentOutOfMemory, StudentError) as problem:
                self._kill()
                if current is None or self.restarts >= MAX_RESTARTS or time.monotonic() > self.deadline:
                    self.dead = problem
                    return
                self.skip.append(int(current))
                self.cell_problems.append(CellProblem(int(current), problem.status, str(problem)))
                self.restarts += 1

    def _ready(self, message: dict) -> None:
        for error in message.get("errors", []) if isinstance(message.get("errors"), list) else []:
            if isinstance(error, dict):
                kind = {"memory": "out of memory", "not_implemented": "not attempted"}.get(error.get("kind"), "error")
                text = f"{error.get('type', 'Error')}: {error.get('message', '')}"
                self.cell_problems.append(CellProblem(int(error.get("cell", -1)), kind, text[:500]))
        names = message.get("names")
        self.names = [n for n in names if isinstance(n, str)] if isinstance(names, list) else []

    def close(self) -> None:
        self._kill()
        if self._uid_lock is not None:
            os.close(self._uid_lock)
            self._uid_lock = None
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None

    def _kill(self) -> None:
        self.last_output = self.output_tail()
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self.proc.wait()
            if self.uid is not None:
                kill_uid(self.uid)
            self.proc = None
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None

    def output_tail(self, chars: int = 1500) -> str:
        """The end of what the student's code printed (for feedback only)."""
        if self.scratch is None:
            return getattr(self, "last_output", "")
        try:
            data = self.log_path.read_bytes()[-chars:]
        except (OSError, AttributeError):
            return ""
        return data.decode("utf-8", "replace")

    # messages ---------------------------------------------------------------------
    def _send(self, message: dict) -> None:
        try:
            self.sock.sendall(protocol.dumps(message))
        except OSError:
            raise self._died() from None

    def _died(self) -> StudentProblem:
        try:
            code = self.proc.wait(timeout=2) if self.proc is not None else None
        except subprocess.TimeoutExpired:
            return StudentCrashed("the notebook's process closed its channel to the grader")
        if code == -signal.SIGXCPU:
            return StudentTimeout("the notebook used up its CPU time")
        if code == -signal.SIGKILL:
            return StudentCrashed("the notebook's process was killed (SIGKILL: out of memory?)")
        return StudentCrashed(f"the notebook's process exited (code {code})")

    def _receive(self, timeout: float) -> dict:
        end = min(time.monotonic() + timeout, self.deadline)
        while b"\n" not in self.buffer:
            remaining = end - time.monotonic()
            if remaining <= 0:
                if time.monotonic() >= self.deadline:
                    raise StudentTimeout(f"the submission used up its {self.limits.submission_timeout:g} s")
                raise StudentTimeout(f"no answer within {self.limits.timeout:g} s (infinite loop?)")
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(1 << 20)
            except socket.timeout:
                continue
            except OSError:
                chunk = b""
            if not chunk:
                raise self._died()
            self.buffer += chunk
            if len(self.buffer) > protocol.MAX_MESSAGE_BYTES:
                raise StudentError("the reply is larger than the grader accepts (64 MB)")
        line, self.buffer = self.buffer.split(b"\n", 1)
        try:
            return protocol.loads(line)
        except protocol.ProtocolError as exc:
            raise StudentError(str(exc)) from None

    # calls ------------------------------------------------------------------------
    def call(self, name: str, args: tuple, kwargs: dict, seed: int) -> object:
        """``name(*args, **kwargs)`` in the child, as plain data, or a StudentProblem."""
        if self.dead is not None:
            raise type(self.dead)(str(self.dead))
        if self.proc is None:  # killed by an earlier call: start again
            if self.restarts >= MAX_RESTARTS:
                raise StudentCrashed("the notebook's process was restarted too many times")
            self.restarts += 1
            self.start()
            if self.dead is not None:
                raise type(self.dead)(str(self.dead))
        request_id = f"{next(self._ids)}-{secrets.token_hex(8)}"
        self._send({"op": "call", "id": request_id, "name": name, "seed": seed,
                    "args": protocol.encode(list(args)), "kwargs": protocol.encode(dict(kwargs))})
        try:
            while True:
                reply = self._receive(self.limits.timeout)
                if reply.get("id") == request_id:
                    break  # anything else on the channel is noise from the student's code
        except StudentProblem:
            self._kill()
            raise
        if reply.get("ok") is True:
            try:
                return protocol.decode(reply.get("value"))
            except protocol.ProtocolError as exc:
                raise NotPlainResult(f"{name} returned something that is not plain data ({exc})") from None
        kind = reply.get("kind")
        message = str(reply.get("message", ""))[:500]
        detail = str(reply.get("traceback", "") or message)[-1500:]
        if kind == "not_implemented":
            raise NotAttempted(f"{name} still raises NotImplementedError: not attempted yet")
        if kind == "missing":
            raise MissingFunction(message or f"{name} is not defined in the notebook")
        if kind == "not_plain":
            raise NotPlainResult(message)
        if kind == "memory":
            raise StudentOutOfMemory(f"{name} ran out of memory (limit {self.limits.memory_mb} MB)")
        raise StudentError(f"{name} raised {reply.get('type', 'an error')}:\n{detail}")
