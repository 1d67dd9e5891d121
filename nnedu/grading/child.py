"""The process that runs one submission: ``python -I -m nnedu.grading.child CONFIG``.

Started by :mod:`nnedu.grading.sandbox`, as root, with full isolation it becomes three processes
(trusted code until the last step):

1. the **supervisor** joins the sandbox's cgroup, unshares new mount, PID, network, IPC and UTS
   namespaces, forks, and waits. On SIGTERM from the grader it SIGKILLs the namespace's init;
   when that init has been reaped, the kernel has killed and reaped *every* process of the
   namespace (``setsid``, double forks, fork-hopping and subreapers included), so the grader
   knows that nothing of the submission is left when the supervisor exits.
2. **init** (PID 1 of the new namespace) builds a minimal root — size- and inode-limited tmpfs
   for the working folder, ``/tmp`` and ``/dev/shm``, the Python installation bind-mounted
   read-only, a few device nodes, a ``/proc`` of the new namespace — and ``pivot_root`` s into it:
   the host's file system (other students, the solutions, the grader's files) no longer exists.
   It then forks the server and reaps orphans until the server exits.
3. the **server** sets resource limits, drops to the sandbox's own uid, and executes the
   notebook's code cells, then serves calls, one JSON line per request and per reply on a
   socket that only it and the grader hold. Its stdout and stderr are a size-capped log file.

Anything that fails while isolating ends the process with :data:`ISOLATION_FAILED` before a
line of student code runs: the sandbox fails closed. With ``"isolation": "insecure"`` (the
instructor's explicit choice, or a student's own ``nnedu check``) only steps 3's limits apply.

Nothing here decides a grade: the child only returns what the student's functions
return, as plain data (:mod:`nnedu.grading.protocol`).
"""

from __future__ import annotations

import ctypes
import json
import os
import platform
import random
import resource
import select
import shutil
import signal
import socket
import sys
import traceback
from collections.abc import Callable

import numpy as np

from nnedu.grading import protocol

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS = 1, 4, 38
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "arm64": 41}
ISOLATION_FAILED = 111  # exit status of a sandbox that could not be built (no student code ran)
HOME = "/home/student"  # the submission's working folder inside the sandbox
DEVICES = ("null", "zero", "full", "random", "urandom")


class IsolationError(OSError):
    """A namespace, mount or pivot_root that failed: the sandbox is not built."""


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise IsolationError(errno, f"{what} failed: {os.strerror(errno)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, options: str | None = None) -> None:
    def enc(v: str | None) -> bytes | None:
        return v.encode() if isinstance(v, str) else v

    _check(_libc().mount(enc(source), enc(target), enc(fstype), flags, enc(options)), f"mount {target}")


def _tmpfs(target: str, megabytes: int, inodes: int, mode: str, owner: int | None = None) -> None:
    """A private tmpfs at ``target``: at most ``megabytes`` of data and ``inodes`` files."""
    os.makedirs(target, exist_ok=True)
    options = f"size={megabytes}m,nr_inodes={inodes},mode={mode}"
    if owner is not None:
        options += f",uid={owner},gid={owner}"
    _mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, options)


def _bind(source: str, target: str, writable: bool = False) -> None:
    """``source`` (a folder or a file of the host) visible at ``target``, read-only unless asked."""
    if os.path.isdir(source):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        open(target, "a").close()
    _mount(source, target, None, MS_BIND | MS_REC)
    flags = MS_BIND | MS_REMOUNT | MS_NOSUID | (0 if writable else MS_RDONLY)
    _mount(None, target, None, flags)


def copy_tree(source: str, target: str, uid: int | None) -> None:
    """The submission's staged files (regular files only, checked by the grader), owned by ``uid``."""
    for folder, _dirs, files in os.walk(source):
        rel = os.path.relpath(folder, source)
        here = os.path.normpath(os.path.join(target, rel))
        os.makedirs(here, mode=0o700, exist_ok=True)
        if uid is not None:
            os.chown(here, uid, uid)
        for name in files:
            path = os.path.join(folder, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            try:
                shutil.copyfile(path, os.path.join(here, name))
            except OSError:  # the working folder is full: the notebook still runs, without this file
                continue
            if uid is not None:
                os.chown(os.path.join(here, name), uid, uid)


def build_root(config: dict) -> None:
    """Turn this mount namespace's root into the sandbox's minimal root (see the module docstring)."""
    new = config["root"]
    mb, inodes = config["tmpfs_mb"], config["tmpfs_inodes"]
    _tmpfs(new, 8, 4096, "755")  # the skeleton: mount points and symlinks only, read-only at the end
    _tmpfs(new + HOME, mb, inodes, "700", owner=config["uid"])
    _tmpfs(new + "/tmp", mb, inodes, "1777")
    _tmpfs(new + "/dev/shm", mb, inodes, "1777")
    copy_tree(config["staging"], new + HOME, config["uid"])
    for name in DEVICES:
        if os.path.exists(f"/dev/{name}"):
            _bind(f"/dev/{name}", f"{new}/dev/{name}", writable=True)
    for link, target in config["links"].items():
        os.makedirs(os.path.dirname(new + link), exist_ok=True)
        os.symlink(target, new + link)
    for path in config["binds"]:
        _bind(path, new + path)
    os.makedirs(new + "/proc", exist_ok=True)
    _mount("proc", new + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)  # this PID namespace's /proc
    os.chdir(new)
    number = SYS_PIVOT_ROOT.get(platform.machine())
    if number is None:
        raise IsolationError(0, f"pivot_root: unknown system call number on {platform.machine()}")
    _check(_libc().syscall(number, b".", b"."), "pivot_root")
    _check(_libc().umount2(b".", MNT_DETACH), "detaching the host's root")
    os.chdir("/")
    _mount(None, "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _die_with_parent() -> None:
    _libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _exit_code(status: int) -> int:
    """A wait status as an exit code; a death by signal ``s`` becomes ``128 + s`` (like a shell)."""
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code


def supervise(config: dict) -> None:
    """Steps 1 and 2 of the module docstring; returns only in the server process."""
    if config.get("cgroup"):
        with open(os.path.join(config["cgroup"], "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))
    _die_with_parent()
    if os.getppid() != config["grader_pid"]:  # the grader is already gone
        os._exit(1)
    libc = _libc()
    _check(libc.unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS),
           "unshare (new mount, PID and network namespaces)")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    alive_read, alive_write = os.pipe()  # init sees end-of-file when the supervisor is gone
    stop = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
    signal.pthread_sigmask(signal.SIG_BLOCK, stop)
    init = os.fork()
    if init == 0:
        os.close(alive_write)
        for s in stop:
            signal.signal(s, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, stop)
        run_init(config, alive_read)
        return
    os.close(alive_read)
    os.close(config["fd"])
    init_fd = os.pidfd_open(init)  # signals through it can never reach a recycled pid

    def kill_init(*_: object) -> None:
        try:
            signal.pidfd_send_signal(init_fd, signal.SIGKILL)
        except ProcessLookupError:  # already gone: the namespace is empty
            pass

    for s in stop:
        signal.signal(s, kill_init)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, stop)
    while True:
        try:
            _, status = os.waitpid(init, 0)
            break
        except ChildProcessError:
            os._exit(ISOLATION_FAILED)
    os._exit(_exit_code(status))


def run_init(config: dict, alive: int) -> None:
    """PID 1 of the sandbox: build the root, fork the server, reap until the server exits."""
    _die_with_parent()
    if select.select([alive], [], [], 0)[0]:  # the supervisor died before PR_SET_PDEATHSIG
        os._exit(1)
    try:
        socket.sethostname("sandbox")
        build_root(config)
    except Exception as exc:  # noqa: BLE001 (fail closed: report and stop before any student code)
        print(f"nnedu sandbox: isolation failed: {exc}", file=sys.stderr, flush=True)
        os._exit(ISOLATION_FAILED)
    _libc().prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    server = os.fork()
    if server == 0:
        os.close(alive)
        return
    os.close(config["fd"])
    while True:  # orphans of the submission are reparented here: reap them (no zombies pile up)
        try:
            pid, status = os.wait()
        except ChildProcessError:
            os._exit(1)
        if pid == server:
            os._exit(_exit_code(status))


def confine(config: dict) -> None:
    """Resource limits, working folder and unprivileged uid: the last step before student code."""
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
    os.chdir(config["home"])
    if config.get("uid") is not None and os.geteuid() == 0:
        os.setgroups([])
        os.setgid(config["gid"])
        os.setuid(config["uid"])
        if os.getuid() == 0 or os.geteuid() == 0:
            raise SystemExit("could not drop privileges")
    libc = _libc()
    libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    _die_with_parent()  # after setuid, which clears it
    if config["isolation"] != "full" and os.getppid() == 1:  # the grader is already gone
        os._exit(1)
    os.environ.update({"HOME": config["home"], "TMPDIR": config["tmpdir"]})
    for name in ("nnedu.grading.sandbox", "nnedu.grading.runner", "nnedu.grading.grade"):
        sys.modules.pop(name, None)


def seed_everything(seed: int) -> None:
    np.random.seed(seed)
    random.seed(seed)
    torch = sys.modules.get("torch")
    if torch is not None:
        try:
            torch.manual_seed(seed)
        except Exception:  # noqa: BLE001, S110 (a student's torch that cannot be seeded stays unseeded)
            pass


def stub_name(exc: BaseException, in_notebook: Callable[[str], bool] = lambda f: f.startswith("<cell")) -> str:
    """The notebook function (``Dropout.forward``) in which ``exc`` was raised: the stub still to write.

    ``in_notebook(filename)`` tells the notebook's code (the child runs cells as ``<cell N>``) from libraries'.
    """
    name, tb = "", exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if in_notebook(code.co_filename):
            name = getattr(code, "co_qualname", code.co_name)
        tb = tb.tb_next
    return name


def short_error(exc: BaseException) -> dict:
    frames = traceback.extract_tb(exc.__traceback__)
    student = [f for f in frames if f.filename.startswith("<cell")]
    lines = traceback.format_list(student[-3:]) if student else []
    text = "".join(lines) + "".join(traceback.format_exception_only(type(exc), exc))
    return {"type": type(exc).__name__, "message": str(exc)[:500], "traceback": text[-2000:],
            "stub": stub_name(exc) if isinstance(exc, NotImplementedError) else ""}


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
                exec(compile(code, f"<cell {index + 1}>", "exec"), self.namespace)  # noqa: S102 (the sandbox's job)
            except BaseException as exc:  # noqa: BLE001 SystemExit and KeyboardInterrupt too: the next cell still runs
                errors.append({"cell": index, **short_error(exc), "kind": classify(exc)})
        names = sorted(k for k, v in self.namespace.items() if callable(v) and not k.startswith("_"))
        self.send({"event": "ready", "errors": errors, "names": names[:500]})

    def resolve(self, name: str):
        value = self.namespace.get(name)
        if not callable(value):
            raise NameError(f"{name} is not defined")  # noqa: TRY004 (to the student: a missing function)
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
        except Exception as exc:  # noqa: BLE001 (any failure to decode is reported, never raised)
            return {"ok": False, "kind": "error", "message": f"bad arguments: {exc}"}
        seed_everything(int(request.get("seed", 0)))
        try:
            value = function(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 (whatever the student's code raises is its answer)
            return {"ok": False, "kind": classify(exc), **short_error(exc)}
        if request.get("echo") is True:  # the arguments as the call left them: was an input changed in place?
            value = (value, args)
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
    if config["isolation"] == "full":
        try:
            supervise(config)
        except Exception as exc:  # noqa: BLE001 (fail closed: no student code has run)
            print(f"nnedu sandbox: isolation failed: {exc}", file=sys.stderr, flush=True)
            os._exit(ISOLATION_FAILED)
    sock = socket.socket(fileno=config["fd"])
    confine(config)
    sys.argv = ["notebook"]
    Server(sock).serve()
    os._exit(0)


if __name__ == "__main__":
    main()
