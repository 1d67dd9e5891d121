"""The grader's side of a submission's child process (see :mod:`nnedu.grading.child`).

:class:`Sandbox` stages a submission, starts the child with a scrubbed environment, sends it
the notebook's code cells and then forwards calls. It enforces the wall-clock limits (per
cell, per call, per submission), reads replies with a size and element cap, and turns every
way the child can misbehave into an exception from :mod:`nnedu.grading.api`. When a cell
hangs or kills the child, the child is restarted with that cell skipped, so the rest of the
notebook can still earn points.

Isolation is all or nothing. With ``"full"`` isolation (root with ``CAP_SYS_ADMIN``) each
sandbox gets its own PID, mount and network namespaces, a minimal root and a cgroup; when it
is killed, *every* process it started is gone before its uid or slot is used again. When that
cannot be built, :class:`IsolationUnavailable` says why, unless the instructor asked for
``insecure`` mode explicitly (then submissions only get resource limits and, as root, a uid
of their own).
"""

from __future__ import annotations

import fcntl
import functools
import itertools
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nnedu
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
    to_do,
)
from nnedu.grading.child import HOME, ISOLATION_FAILED
from nnedu.grading.runner import GraderFault

MAX_SUBMISSION_BYTES = 50 * 1024 * 1024
MAX_RESTARTS = 4
# One unnamed uid per running sandbox, so sandboxes cannot signal each other. The range is far from
# system users, subordinate-uid ranges (100000 + 65536 n) and the first edition's 61000.
SANDBOX_UID_BASE = 2_000_000_000
SANDBOX_UIDS = 4096
STATE = Path("/run/nnedu-grader")  # root's own: uid locks and scratch, whatever TMPDIR says
AFTER_HIDDEN = "(withheld: produced by the submission after a hidden test had called it)"


class IsolationUnavailable(RuntimeError):
    """Full isolation cannot be built here, and insecure mode was not asked for."""


class SandboxFailed(GraderFault):
    """The sandbox could not be built (before any student code ran): the grader's problem, not the student's."""


@dataclass
class Limits:
    """Resource limits for one submission."""

    timeout: float = 10.0  # wall-clock seconds per cell and per call of a student function
    submission_timeout: float = 300.0  # wall-clock seconds for everything of one submission
    memory_mb: int = 2048  # address space (torch alone maps about 1 GB)
    file_mb: int = 16  # largest file the child may write (its output log included)
    nproc: int = 32  # processes and threads of the sandbox uid
    tmpfs_mb: int = 64  # each of the working folder, /tmp and /dev/shm (full isolation)
    tmpfs_inodes: int = 2048  # files and folders in each of them

    @property
    def cpu_seconds(self) -> int:
        return int(self.submission_timeout) + 5


def privileged() -> bool:
    return os.geteuid() == 0


# isolation -----------------------------------------------------------------------------
_PROBE = """
import ctypes, os, platform, sys
from nnedu.grading import child
try:
    child._check(child._libc().unshare(child.CLONE_NEWNS | child.CLONE_NEWPID | child.CLONE_NEWNET
                                       | child.CLONE_NEWIPC | child.CLONE_NEWUTS), "unshare")
    child._mount(None, "/", None, child.MS_REC | child.MS_PRIVATE)
    pid = os.fork()
    if pid == 0:
        try:
            child._tmpfs("/tmp", 1, 64, "755")
            child._tmpfs("/tmp/root", 1, 64, "755")
            os.makedirs("/tmp/root/proc")
            child._mount("proc", "/tmp/root/proc", "proc", child.MS_NOSUID | child.MS_NODEV | child.MS_NOEXEC)
            os.chdir("/tmp/root")
            child._check(child._libc().syscall(child.SYS_PIVOT_ROOT[platform.machine()], b".", b"."), "pivot_root")
        except Exception as exc:
            print(exc, file=sys.stderr)
            os._exit(1)
        os._exit(0)
    sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
except Exception as exc:
    print(exc, file=sys.stderr)
    sys.exit(1)
"""


@functools.lru_cache(maxsize=1)
def _probe() -> tuple[str, str]:
    """``(level, what is missing)``: try, in a throw-away process, what every sandbox needs."""
    if not privileged():
        return "none", f"the grader runs as uid {os.geteuid()}, not as root (it needs a uid per sandbox)"
    try:
        done = subprocess.run([sys.executable, "-I", "-c", _PROBE], capture_output=True, text=True,
                              timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return "none", f"the isolation probe could not run ({exc})"
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["unknown error"])[-1]
        caps = _effective_capabilities()
        if caps is not None and not caps & (1 << 21):
            reason = f"the grader lacks CAP_SYS_ADMIN ({reason})"
        return "none", reason
    return "full", ""


def _effective_capabilities() -> int | None:
    try:
        with open("/proc/self/status") as f:
            line = next(x for x in f if x.startswith("CapEff:"))
        return int(line.split()[1], 16)
    except (OSError, StopIteration, ValueError):
        return None


def isolation_level() -> str:
    """What this process can build: ``"full"`` (namespaces, pivot_root, private tmpfs) or ``"none"``."""
    return _probe()[0]


def require_isolation(insecure: bool = False) -> str:
    """The isolation every sandbox will get: ``"full"``, or ``"insecure"`` when it was asked for.

    Raises :class:`IsolationUnavailable` (with what is missing and how to run the grader)
    when full isolation is not available and ``insecure`` is false: the grader fails closed.
    """
    level, missing = _probe()
    if level == "full":
        return "full"
    if insecure:
        hidden = python_hidden_from_others() if privileged() else None
        if hidden is not None:
            raise IsolationUnavailable(
                f"nnedu cannot isolate submissions here ({missing}), and even --insecure cannot run them: "
                f"as root it runs each submission under a uid of its own, and that uid cannot read {hidden}, "
                "on the way to the Python installation. Make the installation readable by other users "
                "(o+rx on its folders, o+x on the folders above them), install Python where other users "
                "can read it (/usr/local, a venv outside /root), or give the grader CAP_SYS_ADMIN for full "
                "isolation.")
        return "insecure"
    raise IsolationUnavailable(
        f"nnedu cannot isolate submissions here: {missing}.\n"
        "Each submission must run in its own PID, mount and network namespaces, which needs root with "
        "CAP_SYS_ADMIN. In Docker, run the grader with\n"
        "    docker run --cap-add SYS_ADMIN --security-opt seccomp=unconfined --security-opt apparmor=unconfined ...\n"
        "(or --privileged). Without it, a submission could read the solutions and other students' files, "
        "reach the network and leave processes behind.\n"
        "If every submission is trusted, pass --insecure to grade without isolation "
        "(recorded as isolation=insecure in the results)."
    )


# uids, scratch and cgroups ---------------------------------------------------------------
def state_dir() -> Path:
    """``/run/nnedu-grader``, root's own (mode 0711: sandboxes can pass, never list)."""
    STATE.mkdir(mode=0o711, exist_ok=True)
    info = STATE.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != 0 or info.st_mode & 0o022:
        raise SandboxFailed(f"{STATE} must be a folder owned by root and writable by root only")
    for name, mode in (("uids", 0o700), ("scratch", 0o711)):
        (STATE / name).mkdir(mode=mode, exist_ok=True)
        os.chmod(STATE / name, mode)
    return STATE


def process_uids() -> dict[int, set[int]]:
    """Each process on the machine and its real, effective, saved and file-system uids.

    Read from ``/proc/PID/status``, not from the owner of ``/proc/PID``: a process that made
    itself non-dumpable (``prctl(PR_SET_DUMPABLE, 0)``) shows root as that owner.
    """
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/status") as f:
                    line = next(x for x in f if x.startswith("Uid:"))
                found[int(entry)] = {int(u) for u in line.split()[1:]}
            except (OSError, StopIteration, ValueError):
                pass
    return found


def uids_in_use() -> set[int]:
    """The uids of every process on the machine (a uid with a process is never handed out)."""
    return set().union(*process_uids().values())


def claim_uid() -> tuple[int, int]:
    """An unprivileged uid without a passwd entry, no process and no other sandbox: ``(uid, lock fd)``.

    Each running sandbox holds an exclusive lock on its uid's file in ``/run/nnedu-grader/uids``
    (a fixed root-only folder, so graders with different ``TMPDIR`` share it). Whatever a dead
    grader left under that uid (scratch, cgroup) is removed here, before the uid is used.
    Close the fd to release the uid.
    """
    folder = state_dir() / "uids"
    _sweep_stale_once()
    busy = uids_in_use()
    for uid in range(SANDBOX_UID_BASE, SANDBOX_UID_BASE + SANDBOX_UIDS):
        if uid in busy:
            continue
        try:
            pwd.getpwuid(uid)
            continue
        except KeyError:
            pass
        fd = os.open(folder / str(uid), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        if uid in uids_in_use():  # started between the two looks: leave this uid alone
            os.close(fd)
            continue
        remove_stale(uid)
        return uid, fd
    raise SandboxFailed("no free sandbox uid")


@functools.lru_cache(maxsize=1)
def _sweep_stale_once() -> None:
    """At a grader's start: remove the scratch and cgroups of every uid no running sandbox holds."""
    stale = {int(p.name) for p in (STATE / "scratch").iterdir() if p.name.isdigit()}
    group = cgroup_base()
    if group is not None:
        stale |= {int(p.name[8:]) for p in group.glob("sandbox-*") if p.name[8:].isdigit()}
    for uid in sorted(stale):
        fd = os.open(STATE / "uids" / str(uid), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # a running sandbox's: not stale
        else:
            remove_stale(uid)
        finally:
            os.close(fd)


def remove_stale(uid: int) -> None:
    """Scratch and cgroup of ``uid`` left by a killed grader (the caller holds the uid's lock)."""
    shutil.rmtree(STATE / "scratch" / str(uid), ignore_errors=True)
    group = cgroup_base()
    if group is not None and (group / f"sandbox-{uid}").exists():
        kill_cgroup(group / f"sandbox-{uid}")


@functools.lru_cache(maxsize=1)
def cgroup_base() -> Path | None:
    """``<cgroup2 mount>/nnedu-grader``, where each sandbox gets a cgroup, or None without cgroup v2."""
    try:
        with open("/proc/self/mounts") as f:
            mounts = [line.split()[1] for line in f if line.split()[2:3] == ["cgroup2"]]
    except OSError:
        return None
    for mount in mounts:
        base = Path(mount) / "nnedu-grader"
        try:
            base.mkdir(exist_ok=True)
            if (base / "cgroup.procs").exists():
                return base
        except OSError:
            continue
    return None


def kill_cgroup(group: Path, wait: float = 10.0) -> bool:
    """SIGKILL every process in ``group`` (``cgroup.kill``), wait until it is empty, remove it."""
    end = time.monotonic() + wait
    try:
        (group / "cgroup.kill").write_text("1")
    except OSError:
        pass
    while time.monotonic() < end:
        try:
            if "populated 0" in (group / "cgroup.events").read_text():
                break
        except OSError:
            break
        time.sleep(0.01)
    try:
        group.rmdir()
        return True
    except OSError:
        return not group.exists()


def kill_uid(uid: int, wait: float = 10.0) -> bool:
    """SIGKILL every process owned by ``uid``, again and again until none is left (True) or ``wait`` ends."""
    end = time.monotonic() + wait
    while True:
        found = False
        for pid, uids in process_uids().items():
            if uid in uids:
                found = True
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if not found:
            return True
        if time.monotonic() > end:
            return False
        time.sleep(0.005)


def copy_submission(source: Path, target: Path) -> None:
    """Regular files only (no symlinks, no hard links), at most :data:`MAX_SUBMISSION_BYTES` in all.

    A file with more than one link may be a link to a file the student could not read
    (made before the grader copied it, as root), so it is skipped.
    """
    budget = MAX_SUBMISSION_BYTES
    items = [source] if source.is_file() else sorted(source.rglob("*"))
    for item in items:
        info = item.lstat()
        if not stat.S_ISREG(info.st_mode) or info.st_nlink > 1:
            continue
        if info.st_size > budget:
            continue
        budget -= info.st_size
        destination = target / (item.name if item == source else item.relative_to(source))
        destination.parent.mkdir(parents=True, exist_ok=True)
        with open(item, "rb", opener=lambda p, f: os.open(p, f | os.O_NOFOLLOW)) as src, \
                open(destination, "wb") as dst:
            shutil.copyfileobj(src, dst)


def python_paths() -> tuple[list[str], dict[str, str]]:
    """What the sandbox's minimal root shows of the host: ``(read-only binds, symlinks)``.

    The system libraries (``/usr`` without ``/usr/local``), the Python installation and its
    packages, and the ``nnedu`` package folder itself (not the repository around it).
    """
    binds: list[str] = []
    links: dict[str, str] = {}

    def add(path: str) -> None:
        path = os.path.abspath(path)
        if os.path.islink(path):
            links[path] = os.readlink(path)
            target = os.path.realpath(path)
            if os.path.exists(target):
                add(target)
        elif os.path.exists(path):
            binds.append(path)

    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        if os.path.lexists(f"/{name}"):
            add(f"/{name}")
    for name in ("bin", "lib", "lib32", "lib64", "libx32", "libexec", "share"):
        add(f"/usr/{name}")
    for name in ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "alternatives"):
        add(f"/etc/{name}")
    add("/sys/devices/system/cpu")  # BLAS and OpenMP count the cores here
    prefixes = {sys.base_prefix, sys.prefix, sys.base_exec_prefix, sys.exec_prefix}
    for prefix in prefixes:
        for name in ("bin", "lib", "lib64", "pyvenv.cfg"):
            add(os.path.join(prefix, name))
    add(os.path.dirname(os.path.abspath(nnedu.__file__)))
    add(os.path.dirname(sys.executable))
    # a folder inside another one comes with it; a link's target may be shown twice otherwise
    unique = sorted(set(binds), key=len)
    kept: list[str] = []
    for path in unique:
        if not any(path == k or path.startswith(k.rstrip("/") + "/") for k in kept):
            kept.append(path)
    links = {p: t for p, t in links.items() if not any(p.startswith(k.rstrip("/") + "/") for k in kept)}
    return kept, links


def python_hidden_from_others() -> str | None:
    """A folder of this Python installation that other uids cannot read (None when there is none).

    Without a mount namespace (insecure mode) the child cannot re-expose an interpreter that
    lives in a private folder such as ``/root/.pyenv``: under its own uid it would fail on its
    first import.
    """
    # What the child imports from: it starts with ``python -I`` (no working folder, no
    # PYTHONPATH), so the installation's own folders and nnedu's, not this process's sys.path.
    paths = sysconfig.get_paths()
    folders = [paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib") if os.path.isdir(paths[key])]
    folders.append(os.path.dirname(os.path.abspath(nnedu.__file__)))
    for folder in folders:
        path = Path(os.path.realpath(folder))
        for step in [path, *path.parents]:
            if not step.stat().st_mode & stat.S_IXOTH:
                return str(step)
        if not path.stat().st_mode & stat.S_IROTH:
            return str(path)
    return None


@dataclass
class CellProblem:
    cell: int
    kind: str
    message: str
    after_hidden: bool = False  # found on a restart after a hidden test: message withheld


@dataclass
class Sandbox:
    """One submission's child, restarted when needed, with everything it reported."""

    submission: Path
    cells: list[str]
    limits: Limits = field(default_factory=Limits)
    slot: int = 0
    hide: list[str] = field(default_factory=list)  # unused: the minimal root shows nothing of the host
    skip: list[int] = field(default_factory=list)
    cell_problems: list[CellProblem] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    restarts: int = 0
    dead: StudentProblem | None = None
    insecure: bool = False  # run without full isolation when it is not available (never silently)

    def __post_init__(self) -> None:
        self.isolation = require_isolation(self.insecure)
        self.deadline = time.monotonic() + self.limits.submission_timeout
        self.uid: int | None = None
        self._uid_lock: int | None = None
        if privileged():
            self.uid, self._uid_lock = claim_uid()
        self.proc: subprocess.Popen | None = None
        self.sock: socket.socket | None = None
        self.buffer = bytearray()
        self.scratch: Path | None = None
        self.cgroup: Path | None = None
        self.hidden_seen = False  # a hidden test has called the student's code
        self._log_cut: int | None = None  # log offset where text produced after a hidden call starts
        self._heard = False
        self.last_output = ""
        self._ids = itertools.count()

    # life cycle -------------------------------------------------------------------
    def __enter__(self) -> Sandbox:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _make_scratch(self) -> Path:
        if self.uid is None:
            return Path(tempfile.mkdtemp(prefix="nnedu-grade-"))
        scratch = state_dir() / "scratch" / str(self.uid)
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(mode=0o711)
        return scratch

    def _spawn(self) -> None:
        self.scratch = scratch = self._make_scratch()
        full = self.isolation == "full"
        owner = self.uid
        logs = scratch / "log"  # 0700, the sandbox uid's: no other sandbox can read its output
        logs.mkdir(mode=0o700)
        work = scratch / ("staging" if full else "work")
        work.mkdir(mode=0o700)
        copy_submission(self.submission, work)
        if owner is not None:
            os.chown(logs, owner, owner)
            if not full:
                for path in [work, *work.rglob("*")]:
                    os.chown(path, owner, owner, follow_symlinks=False)
        self.log_path = logs / "output.log"
        log_fd = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        if owner is not None:
            os.fchown(log_fd, owner, owner)
        self._log_cut = 0 if self.hidden_seen else None
        self._heard = False
        if full:
            (scratch / "root").mkdir(mode=0o700)
            self.cgroup = self._make_cgroup()
        parent, child = socket.socketpair()
        binds, links = python_paths() if full else ([], {})
        home, tmpdir = (HOME, "/tmp") if full else (str(work), str(work))
        config = {
            "fd": child.fileno(), "isolation": self.isolation, "grader_pid": os.getpid(),
            "uid": owner, "gid": owner, "cpu_seconds": self.limits.cpu_seconds,
            "memory_mb": self.limits.memory_mb, "file_mb": self.limits.file_mb, "nproc": self.limits.nproc,
            "tmpfs_mb": self.limits.tmpfs_mb, "tmpfs_inodes": self.limits.tmpfs_inodes,
            "home": home, "tmpdir": tmpdir,
            "staging": str(work), "root": str(scratch / "root"), "binds": binds, "links": links,
            "cgroup": str(self.cgroup) if self.cgroup else None,
        }
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": home, "TMPDIR": tmpdir,
            "LANG": "C.UTF-8", "MPLBACKEND": "Agg", "MPLCONFIGDIR": f"{home}/.matplotlib",
            "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "NNEDU_GRADING": "1",
        }
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-I", "-m", "nnedu.grading.child", json.dumps(config)],
                pass_fds=[child.fileno()], stdin=subprocess.DEVNULL, stdout=log_fd, stderr=log_fd,
                cwd="/", env=env, start_new_session=True,
            )
        finally:
            os.close(log_fd)
            child.close()
        self.sock = parent
        self.buffer = bytearray()

    def _make_cgroup(self) -> Path | None:
        base = cgroup_base()
        if base is None:
            return None
        group = base / f"sandbox-{self.uid}"
        if group.exists():
            kill_cgroup(group)
        try:
            group.mkdir()
        except OSError:
            return None
        return group

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
                self._problem(int(current), problem.status, str(problem))
                self.restarts += 1

    def _problem(self, cell: int, kind: str, message: str) -> None:
        if self.hidden_seen:
            self.cell_problems.append(CellProblem(cell, kind, AFTER_HIDDEN, after_hidden=True))
        else:
            self.cell_problems.append(CellProblem(cell, kind, message))

    def _ready(self, message: dict) -> None:
        for error in message.get("errors", []) if isinstance(message.get("errors"), list) else []:
            if isinstance(error, dict):
                kinds = {"memory": "out of memory", "not_implemented": "not attempted"}
                kind = kinds.get(str(error.get("kind")), "error")
                text = f"{error.get('type', 'Error')}: {error.get('message', '')}"
                try:
                    cell = int(error.get("cell", -1))
                except (TypeError, ValueError):
                    cell = -1
                self._problem(cell, kind, text[:500])
        names = message.get("names")
        self.names = [n for n in names if isinstance(n, str)] if isinstance(names, list) else []

    def close(self) -> None:
        self._kill()
        if self._uid_lock is not None:
            os.close(self._uid_lock)
            self._uid_lock = None

    def _kill(self) -> None:
        """Stop the child and everything it started; return only when all of it is gone."""
        self.last_output = self.output_tail()
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        if self.proc is not None:
            if self.isolation == "full":
                self._stop_supervisor()
            else:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
                self.proc.wait()
            self.proc = None
        if self.cgroup is not None:
            kill_cgroup(self.cgroup)
            self.cgroup = None
        if self.uid is not None and not kill_uid(self.uid):
            self._uid_lock = None  # a process of this uid will not die: never hand the uid out again
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None

    def _stop_supervisor(self) -> None:
        """SIGTERM makes the supervisor SIGKILL the namespace's init; it exits once the namespace is empty."""
        assert self.proc is not None
        try:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()  # its init dies with it (PR_SET_PDEATHSIG); the cgroup and uid sweeps follow
            self.proc.wait()

    def output_tail(self, chars: int = 1500) -> str:
        """The end of what the student's code printed before any hidden test called it (feedback only)."""
        if self.scratch is None or self._log_cut == 0:  # no log, or all of it came after a hidden call
            return self.last_output[-chars:]
        try:
            with open(self.log_path, "rb") as log:
                end = log.seek(0, os.SEEK_END) if self._log_cut is None else self._log_cut
                log.seek(max(0, end - chars))
                data = log.read(end - max(0, end - chars))
        except (OSError, AttributeError):
            return ""
        return data.decode("utf-8", "replace")

    # messages ---------------------------------------------------------------------
    def _send(self, message: dict) -> None:
        assert self.sock is not None
        try:
            self.sock.sendall(protocol.dumps(message))
        except OSError:
            raise self._died() from None

    def _died(self) -> StudentProblem:
        try:
            code = self.proc.wait(timeout=5) if self.proc is not None else None
        except subprocess.TimeoutExpired:
            return StudentCrashed("the notebook's process closed its channel to the grader")
        if code == ISOLATION_FAILED and not self._heard and self.isolation == "full":
            tail = self.output_tail(600).strip()
            self._kill()
            raise SandboxFailed(f"the sandbox could not be built: {tail or 'no message'}")
        if code is not None and self.isolation == "full" and code > 128:
            code = -(code - 128)  # the supervisor reports a death by signal s as 128 + s
        if code == -signal.SIGXCPU:
            return StudentTimeout("the notebook used up its CPU time")
        if code == -signal.SIGKILL:
            return StudentCrashed("the notebook's process was killed (SIGKILL: out of memory?)")
        return StudentCrashed(f"the notebook's process exited (code {code})")

    def _receive(self, timeout: float) -> dict:
        """The next message, bounded in bytes and in elements before it is parsed."""
        assert self.sock is not None
        end = min(time.monotonic() + timeout, self.deadline)
        while b"\n" not in self.buffer:
            remaining = end - time.monotonic()
            if remaining <= 0:
                if time.monotonic() >= self.deadline:
                    raise StudentTimeout(f"the submission used up its {self.limits.submission_timeout:g} s")
                raise StudentTimeout(f"no answer within {timeout:g} s (infinite loop?)")
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(1 << 20)
            except TimeoutError:
                continue
            except OSError:
                chunk = b""
            if not chunk:
                raise self._died()
            self.buffer += chunk
            if len(self.buffer) > protocol.MAX_MESSAGE_BYTES and b"\n" not in chunk:
                raise StudentError(f"the reply is larger than the grader accepts "
                                   f"({protocol.MAX_MESSAGE_BYTES >> 20} MB)")
        cut = self.buffer.index(b"\n")
        self._heard = True
        try:
            with memoryview(self.buffer) as view, view[:cut] as line:  # checked in place, copied once accepted
                return protocol.loads(line)
        except protocol.ProtocolError as exc:
            raise StudentError(str(exc)) from None
        finally:
            del self.buffer[:cut + 1]

    # calls ------------------------------------------------------------------------
    def call(self, name: str, args: tuple, kwargs: dict, seed: int, hidden: bool = False,
             timeout: float | None = None, echo: bool = False) -> object:
        """``name(*args, **kwargs)`` in the child, as plain data, or a StudentProblem.

        ``hidden`` marks a call made by a hidden test: from then on, nothing the student's code
        produces (output, cell errors, messages of later tests) may reach the feedback.
        ``timeout`` (a test's own limit, e.g. a capstone's training) replaces ``limits.timeout``;
        the submission's whole time limit still holds. ``echo`` returns ``(value, arguments)``, the
        arguments as the call left them (a test's way to see an input changed in place).
        """
        if hidden and not self.hidden_seen:
            self._log_cut = self._log_size()
            self.hidden_seen = True
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
        self._send({"op": "call", "id": request_id, "name": name, "seed": seed, "echo": echo,
                    "args": protocol.encode(list(args)), "kwargs": protocol.encode(dict(kwargs))})
        try:
            while True:
                reply = self._receive(timeout or self.limits.timeout)
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
            raise NotAttempted(to_do(name, str(reply.get("stub", ""))))
        if kind == "missing":
            raise MissingFunction(message or f"{name} is not defined in the notebook")
        if kind == "not_plain":
            raise NotPlainResult(message)
        if kind == "memory":
            raise StudentOutOfMemory(f"{name} ran out of memory (limit {self.limits.memory_mb} MB)")
        raise StudentError(f"{name} raised {reply.get('type', 'an error')}:\n{detail}")

    def _log_size(self) -> int:
        if self.scratch is None:
            return 0
        try:
            return os.stat(self.log_path).st_size
        except (OSError, AttributeError):
            return 0
