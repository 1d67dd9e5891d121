"""Issue 17's isolation classes, one attack each: nothing outlives a submission, isolation fails
closed, the sandbox sees a minimal root, one submission cannot fill the grader's disk, a reply
cannot exhaust the grader's memory, nothing leaks between students or into hidden-test
feedback, and uids, hard links and zombies do not carry over.

Each attack is built so that it succeeds against the grader of the first edition (blacklist of
covered folders, one ``/proc`` sweep, ``/tmp`` shared with the host). Tests that need root or
namespaces skip with the reason.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import textwrap
import tracemalloc
from pathlib import Path

import pytest
from conftest import REPO
from hostile.builders import solution_cells, with_extra

from nnedu.grading import protocol
from nnedu.grading.grade import grade, read_results
from nnedu.grading.sandbox import (
    SANDBOX_UID_BASE,
    STATE,
    Limits,
    Sandbox,
    claim_uid,
    copy_submission,
    isolation_level,
    python_hidden_from_others,
)

LIMITS = Limits(timeout=10, submission_timeout=90, memory_mb=1024)
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="sandbox uids and namespaces need the grader to run as root")
needs_full = pytest.mark.skipif(
    os.geteuid() != 0 or isolation_level() != "full",
    reason="full isolation (root with CAP_SYS_ADMIN: PID/mount namespaces, pivot_root) is not available here")
MARK = "nnedu-leftover-7f3a"


def graded(tmp_path: Path, notebooks: dict[str, str], jobs: int = 1, hidden: Path | None = None
           ) -> tuple[Path, dict[str, dict[str, dict]]]:
    """Grade ``{name: notebook text}`` for exercise 04; the results folder and ``{student: {test: record}}``."""
    subs, out = tmp_path / "submissions", tmp_path / "results"
    subs.mkdir()
    for name, text in notebooks.items():
        (subs / f"{name}.ipynb").write_text(text)
    grade(subs, "04", out, hidden=hidden, jobs=jobs, limits=LIMITS, progress=lambda _: None)
    records: dict[str, dict[str, dict]] = {}
    for r in read_results(out / "results.jsonl"):
        if r.get("type") == "test":
            records.setdefault(r["student"], {})[r["name"]] = r
    return out, records


def statuses(records: dict[str, dict]) -> dict[str, str]:
    return {name: r["status"] for name, r in records.items()}


def all_passed(records: dict[str, dict]) -> bool:
    return bool(records) and all(r["status"] == "passed" for r in records.values())


def marked_processes() -> list[int]:
    """Processes on the whole machine whose command line carries :data:`MARK`."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if MARK.encode() in f.read():
                        found.append(int(entry))
            except OSError:
                pass
    return found


# 1. a process cannot outlive its submission ------------------------------------------------
LEAVE_BEHIND = textwrap.dedent('''
    import subprocess, sys, time
    MARK = "{mark}"
    sleeper = "import time  # " + MARK + "\\ntime.sleep(1000)"
    double_fork = "import os, time  # " + MARK + "\\nif os.fork() == 0:\\n    os.setsid()\\n    time.sleep(1000)"
    hopper = ("import os, time  # " + MARK + "\\nos.setsid()\\nwhile True:\\n"
              "    if os.fork():\\n        os._exit(0)\\n    time.sleep(0.002)")
    subreaper = ("import ctypes, os, time  # " + MARK + "\\nctypes.CDLL(None).prctl(36, 1, 0, 0, 0)\\n"
                 "if os.fork() == 0:\\n    time.sleep(1000)\\ntime.sleep(1000)")
    subprocess.Popen([sys.executable, "-c", sleeper], start_new_session=True)
    subprocess.Popen([sys.executable, "-c", double_fork]).wait()
    subprocess.Popen([sys.executable, "-c", hopper], start_new_session=True)
    subprocess.Popen([sys.executable, "-c", subreaper], start_new_session=True)
    time.sleep(3)
''').format(mark=MARK)


@needs_full
def test_processes_left_behind_are_dead_before_the_next_submission_and_after_grade(tmp_path, monkeypatch):
    seen: dict[str, list[int]] = {"while graded": [], "at next start": []}
    spawn, call = Sandbox._spawn, Sandbox.call

    def spying_spawn(self):
        if "leaver" not in self.submission.name:
            seen["at next start"].append(len(marked_processes()))
        spawn(self)

    def spying_call(self, *args, **kwargs):
        if "leaver" in self.submission.name:
            seen["while graded"].append(len(marked_processes()))
        return call(self, *args, **kwargs)

    monkeypatch.setattr(Sandbox, "_spawn", spying_spawn)
    monkeypatch.setattr(Sandbox, "call", spying_call)
    try:
        _, records = graded(tmp_path, {"a_leaver": with_extra(LEAVE_BEHIND), "b_good": with_extra(),
                                         "c_good": with_extra()})
        left = marked_processes()
    finally:
        for pid in marked_processes():  # never leave the attack running on the machine
            os.kill(pid, 9)
    assert max(seen["while graded"]) >= 3, f"the attack did not start its processes: {seen}"
    assert seen["at next start"] and not any(seen["at next start"]), f"processes of a_leaver outlived it: {seen}"
    assert left == [], f"processes still running after grade returned: {left}"
    assert all_passed(records["b_good"]) and all_passed(records["c_good"])


# 2. isolation fails closed --------------------------------------------------------------------
REFUSAL = textwrap.dedent('''
    import csv, json, sys
    from pathlib import Path
    from nnedu.grading.grade import grade
    from nnedu.grading.sandbox import IsolationUnavailable, Sandbox, require_isolation
    subs, out, out2 = (Path(p) for p in sys.argv[1:4])
    caps = int(next(line for line in open("/proc/self/status") if line.startswith("CapEff")).split()[1], 16)
    report = {"sys_admin": bool(caps & (1 << 21))}
    try:
        report["level"] = require_isolation()
    except IsolationUnavailable as exc:
        report["message"] = str(exc)
    try:
        Sandbox(subs / "good.ipynb", [])
        report["sandbox"] = "built"
    except IsolationUnavailable:
        report["sandbox"] = "refused"
    try:
        grade(subs, "04", out, progress=lambda _: None)
        report["grade"] = "graded"
    except IsolationUnavailable:
        report["grade"] = "refused"
    try:
        report["insecure"] = require_isolation(insecure=True)
        grade(subs, "04", out2, insecure=True, progress=lambda _: None)
        report["insecure_rows"] = list(csv.DictReader((out2 / "grades.csv").open()))
    except IsolationUnavailable as exc:
        report["insecure_refused"] = str(exc)
    print(json.dumps(report))
''')


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("capsh") is None,
                    reason="needs root and capsh (Debian: libcap2-bin) to drop CAP_SYS_ADMIN")
def test_without_cap_sys_admin_the_grader_refuses_unless_insecure_is_asked(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "good.ipynb").write_text(with_extra())
    command = ["capsh", "--drop=cap_sys_admin", "--", "-c", 'exec "$0" "$@"', sys.executable, "-c", REFUSAL,
               str(subs), str(tmp_path / "out"), str(tmp_path / "out-insecure")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=REPO, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["sys_admin"] is False, "capsh did not drop CAP_SYS_ADMIN"
    assert "level" not in report, f"isolation claimed without CAP_SYS_ADMIN: {report}"
    for needed in ("CAP_SYS_ADMIN", "--cap-add SYS_ADMIN", "--privileged", "--insecure"):
        assert needed in report["message"], f"the refusal does not mention {needed}: {report['message']}"
    assert report["sandbox"] == "refused" and report["grade"] == "refused"
    assert not (tmp_path / "out" / "grades.csv").exists(), "a refused grade wrote grades"
    hidden = python_hidden_from_others()
    if hidden is None:  # insecure mode works, under a uid of the submission's own
        assert report["insecure"] == "insecure"
        [row] = report["insecure_rows"]
        assert row["total"] == row["max"] and row.get("isolation", "insecure") == "insecure", row
    else:  # this Python lives where a sandbox uid cannot read it: refused, never run as root
        assert hidden in report["insecure_refused"] and "readable" in report["insecure_refused"], report


@needs_full
def test_a_mount_that_fails_while_building_the_sandbox_stops_it_before_any_student_code(tmp_path, monkeypatch):
    from nnedu.grading import sandbox

    real = sandbox.python_paths
    monkeypatch.setattr(sandbox, "python_paths", lambda: (real()[0] + ["/nonexistent-nnedu-bind"], real()[1]))
    nb = tmp_path / "good.ipynb"
    nb.write_text(with_extra())
    with pytest.raises(sandbox.SandboxFailed, match="isolation failed"), Sandbox(nb, solution_cells(), LIMITS):
        pass  # not a student's crash: the grader's
    out, _ = graded(tmp_path, {"good": with_extra()})
    [summary] = [r for r in read_results(out / "results.jsonl") if r.get("type") == "submission"]
    assert summary["status"] == "grader error" and "isolation failed" in summary["message"], summary


@needs_full
def test_a_sandbox_that_cannot_be_rebuilt_mid_submission_is_a_grader_error_not_a_failed_test(tmp_path, monkeypatch):
    from nnedu.grading import sandbox

    real, built = sandbox.python_paths, []

    def second_build_fails() -> tuple[list[str], dict[str, str]]:
        built.append(1)
        binds, links = real()
        return (binds + ["/nonexistent-nnedu-bind"] if len(built) > 1 else binds), links

    monkeypatch.setattr(sandbox, "python_paths", second_build_fails)
    crash = "def relu(z):\n    import os\n    os._exit(3)"  # the restart after this call cannot be built
    out, records = graded(tmp_path, {"crasher": with_extra(crash)})
    [summary] = [r for r in read_results(out / "results.jsonl") if r.get("type") == "submission"]
    assert summary["status"] == "grader error" and "isolation failed" in summary["message"], summary
    assert records["crasher"]["test_relu"]["status"] == "crashed"
    assert "test_relu_grad" not in records["crasher"], "the grader's failure was recorded as the student's"


# 3. a minimal root, not the host minus a blacklist ---------------------------------------
SNOOP_COPY = textwrap.dedent('''
    import glob
    def relu(z):
        leaks = []
        try:
            leaks.append(open({copy!r}).read(40))
        except OSError:
            pass
        for path in glob.glob("/proc/*/cmdline"):
            try:
                if b"pytest" in open(path, "rb").read():
                    leaks.append(path)
            except OSError:
                pass
        if leaks:
            raise RuntimeError(f"leaked: {{leaks}}")
        return np.maximum(z, 0)
''')


@needs_full
@pytest.mark.skipif(shutil.which("setpriv") is None, reason="needs setpriv (util-linux)")
def test_a_second_copy_of_the_solutions_and_the_graders_command_line_are_invisible(tmp_path):
    elsewhere = Path(tempfile.mkdtemp(prefix="nnedu-course-copy-", dir="/var/tmp"))
    try:
        os.chmod(elsewhere, 0o755)
        copy = elsewhere / "04_activations.ipynb"
        shutil.copy(REPO / "solutions" / "04_activations.ipynb", copy)
        os.chmod(copy, 0o644)
        stranger = SANDBOX_UID_BASE + 4000
        readable = subprocess.run(["setpriv", f"--reuid={stranger}", f"--regid={stranger}", "--clear-groups",
                                   "cat", str(copy)], capture_output=True, check=False)
        assert readable.returncode == 0, "the copy must be readable to any uid on the host, else this proves nothing"
        _, records = graded(tmp_path, {"snoop": with_extra(SNOOP_COPY.format(copy=str(copy)))})
    finally:
        shutil.rmtree(elsewhere)
    assert statuses(records["snoop"])["test_relu"] == "passed", records["snoop"]["test_relu"]["message"]


# 4. one submission cannot fill the grader's disk ------------------------------------------
FILL = textwrap.dedent('''
    import os
    def fill(folder, most_bytes=200 << 20, most_files=6000):
        written = files = 0
        block = b"x" * (1 << 20)
        try:
            while written < most_bytes:
                with open(os.path.join(folder, f"big{files}"), "wb") as f:
                    for _ in range(8):
                        f.write(block)
                        f.flush()
                        written += len(block)
                files += 1
        except OSError:
            pass
        try:
            while files < most_files:
                open(os.path.join(folder, f"empty{files}"), "w").close()
                files += 1
        except OSError:
            pass
        return written, files
    FILLED = {folder: fill(folder) for folder in ("/tmp", "/dev/shm", os.path.expanduser("~"))}
    def relu(z):
        unbounded = {k: v for k, v in FILLED.items() if v[0] > 72 << 20 or v[1] > 2100}
        if unbounded:
            raise RuntimeError(f"wrote more than the sandbox allows: {unbounded}")
        return np.maximum(z, 0)
''')


@needs_full
def test_filling_tmp_shm_and_home_is_bounded_and_the_batch_goes_on(tmp_path):
    out, records = graded(tmp_path, {"a_filler": with_extra(FILL), "b_good": with_extra()}, jobs=2)
    assert all_passed(records["a_filler"]), {k: r["message"][:300] for k, r in records["a_filler"].items()}
    assert all_passed(records["b_good"])
    assert (out / "grades.csv").exists()


# 5. a reply cannot exhaust the grader's memory --------------------------------------------
HUGE_REPLY = textwrap.dedent('''
    import os, stat
    def relu(z):
        line = b"[" + b"[]," * 21_000_000 + b"[]]\\n"
        for fd in range(3, 256):
            try:
                if stat.S_ISSOCK(os.fstat(fd).st_mode):
                    view = memoryview(line)
                    while view:
                        view = view[os.write(fd, view):]
            except OSError:
                pass
        return np.maximum(z, 0)
''')


def test_a_reply_of_millions_of_values_is_refused_before_parsing():
    line = b"[" + b"[]," * 10_000_000 + b"[]]"
    tracemalloc.start()
    try:
        with pytest.raises(protocol.ProtocolError, match="values"):
            protocol.loads(line)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 3 * len(line), f"refusing a {len(line) >> 20} MB reply took {peak >> 20} MB"
    assert protocol.loads(b'{"t":"list","v":[1,2,3]}') == {"t": "list", "v": [1, 2, 3]}


@needs_full
def test_an_oversized_nested_reply_fails_that_test_only(tmp_path):
    _, records = graded(tmp_path, {"huge": with_extra(HUGE_REPLY)})
    got = statuses(records["huge"])
    assert got.pop("test_relu") == "error"
    assert "values" in records["huge"]["test_relu"]["message"] or "larger" in records["huge"]["test_relu"]["message"]
    assert set(got.values()) == {"passed"}, got


# 6. nothing leaks between students or into hidden-test feedback ----------------------------
TALKER = textwrap.dedent('''
    import time
    secret = "talker-" + "secret-" + "5d2c"
    for _ in range(400):
        print(secret, flush=True)
        time.sleep(0.01)
''')
SNOOP_LOGS = textwrap.dedent('''
    import glob, os, time
    needle = ("talker-" + "secret-" + "5d2c").encode()
    FOUND = []
    end = time.time() + 4
    while time.time() < end and not FOUND:
        paths = glob.glob("/tmp/nnedu-grade-*/**", recursive=True) + glob.glob("/run/nnedu-grader/**", recursive=True)
        for root, dirs, files in os.walk("/"):
            dirs[:] = [d for d in dirs if os.path.join(root, d) not in ("/proc", "/sys")]
            paths += [os.path.join(root, f) for f in files]
        for path in paths:
            try:
                with open(path, "rb") as f:
                    if needle in f.read(1 << 20):
                        FOUND.append(path)
            except OSError:
                pass
        time.sleep(0.05)
    def relu(z):
        if FOUND:
            raise RuntimeError(f"read another student's output: {FOUND[:3]}")
        return np.maximum(z, 0)
''')


@needs_full
def test_a_sandbox_cannot_read_another_sandboxs_log_while_both_run(tmp_path):
    _, records = graded(tmp_path, {"a_talker": with_extra(TALKER), "b_snoop": with_extra(SNOOP_LOGS)}, jobs=2)
    assert all_passed(records["a_talker"])
    assert statuses(records["b_snoop"])["test_relu"] == "passed", records["b_snoop"]["test_relu"]["message"]


@needs_full
def test_logs_are_private_to_their_sandbox_and_stale_scratch_is_removed(tmp_path):
    planted = []
    for uid in range(SANDBOX_UID_BASE, SANDBOX_UID_BASE + 8):  # the uids a new sandbox may get
        lock = STATE / "uids" / str(uid)
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600) if lock.parent.exists() else None
        try:
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # in use by a running sandbox: leave it alone
        finally:
            if fd is not None:
                os.close(fd)
        stale = STATE / "scratch" / str(uid) / "work"
        stale.mkdir(parents=True, exist_ok=True)
        (stale / "other-student.txt").write_text("answers of a killed run\n")
        os.chmod(stale, 0o755)
        planted.append(uid)
    assert planted, "every candidate uid is busy"
    nb = tmp_path / "good.ipynb"
    nb.write_text(with_extra())
    try:
        with Sandbox(nb, solution_cells(), LIMITS) as box:
            log, folder = box.log_path.stat(), box.log_path.parent.stat()
            assert (stat.S_IMODE(log.st_mode), log.st_uid) == (0o600, box.uid)
            assert (stat.S_IMODE(folder.st_mode), folder.st_uid) == (0o700, box.uid)
            assert box.uid in planted, f"got uid {box.uid}, planted stale scratch for {planted}"
            assert not (STATE / "scratch" / str(box.uid) / "work" / "other-student.txt").exists()
            assert box.call("relu", ([-1.0, 2.0],), {}, 0).tolist() == [0.0, 2.0]
    finally:
        for uid in planted:
            if (STATE / "scratch" / str(uid) / "work" / "other-student.txt").exists():
                shutil.rmtree(STATE / "scratch" / str(uid), ignore_errors=True)


@needs_root
def test_a_new_grader_removes_the_scratch_of_every_uid_no_sandbox_holds(tmp_path):
    uid = SANDBOX_UID_BASE + 4001  # far above what the machine's running sandboxes use
    stale = STATE / "scratch" / str(uid) / "log"
    stale.mkdir(parents=True, exist_ok=True)
    (stale / "output.log").write_text("another student's output, from a killed run\n")
    claim = subprocess.run([sys.executable, "-c", "from nnedu.grading.sandbox import claim_uid; claim_uid()"],
                           capture_output=True, text=True, cwd=REPO, check=False)
    assert claim.returncode == 0, claim.stderr[-2000:]
    assert not (STATE / "scratch" / str(uid)).exists()


HIDDEN_TESTS = textwrap.dedent('''
    import numpy as np
    from nnedu.grading import expect_close, points

    Z = np.array([123.456, -7.0])

    @points(1, question="q9")
    def test_hidden_relu_crash(student):
        expect_close(student.relu(Z), np.maximum(Z, 0))

    @points(1, question="q9")
    def test_hidden_relu_again(student):
        expect_close(student.relu(Z), np.maximum(Z, 0))
''')
CARRIER = textwrap.dedent('''
    import os
    for path in ("/tmp/leak.txt", os.path.expanduser("~/leak.txt")):
        if os.path.exists(path):
            raise ValueError("leaked " + open(path).read())
    _relu = relu
    def relu(z):
        text = " ".join(str(x) for x in np.asarray(z).ravel())
        print("input:", text, flush=True)
        for path in ("/tmp/leak.txt", os.path.expanduser("~/leak.txt")):
            try:
                with open(path, "w") as f:
                    f.write(text)
            except OSError:
                pass
        if "123.456" in text:
            os._exit(1)
        return _relu(z)
''')


@needs_full
def test_text_produced_after_a_hidden_test_call_never_reaches_feedback(tmp_path):
    hidden = tmp_path / "hidden"
    hidden.mkdir()
    (hidden / "ex04_hidden.py").write_text(HIDDEN_TESTS)
    out, records = graded(tmp_path, {"carrier": with_extra(CARRIER)}, hidden=hidden)
    got = statuses(records["carrier"])
    assert got["hidden/test_hidden_relu_crash"] == "crashed" and got["test_relu"] == "passed", got
    summary = [r for r in read_results(out / "results.jsonl") if r.get("type") == "submission"][-1]
    seen_by_student = [summary.get("output_tail", ""), json.dumps(summary.get("cells", []))]
    seen_by_student += [p.read_text() for p in (out / "feedback").rglob("*") if p.is_file()]
    seen_by_student += [p.read_text() for p in (out / "gradescope").rglob("*") if p.is_file()]
    assert "input:" in summary.get("output_tail", ""), "output printed before the hidden tests should stay"
    leaked = [text[:300] for text in seen_by_student if "123.456" in text]
    assert not leaked, leaked


# 8. uids, hard links and zombies -----------------------------------------------------------
def test_hard_linked_files_of_a_folder_submission_are_not_copied(tmp_path):
    secret = tmp_path / "root-only.txt"
    secret.write_text("not the student's\n")
    os.chmod(secret, 0o600)
    folder = tmp_path / "alice"
    folder.mkdir()
    (folder / "04_activations.ipynb").write_text(with_extra())
    (folder / "notes.txt").write_text("mine\n")
    os.link(secret, folder / "innocent.txt")
    target = tmp_path / "copy"
    target.mkdir()
    copy_submission(folder, target)
    assert sorted(p.name for p in target.iterdir()) == ["04_activations.ipynb", "notes.txt"]


CLAIM = textwrap.dedent('''
    import sys
    from nnedu.grading.sandbox import claim_uid
    uid, fd = claim_uid()
    print(uid, flush=True)
    sys.stdin.read()
''')


SYSTEM_PYTHON = "/usr/bin/python3"  # readable by any uid, unlike a Python under /root


@needs_root
@pytest.mark.skipif(shutil.which("setpriv") is None or not os.access(SYSTEM_PYTHON, os.X_OK),
                    reason="needs setpriv (util-linux) and /usr/bin/python3")
def test_graders_with_different_tmpdirs_and_live_processes_never_share_a_uid(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    holder = subprocess.Popen([sys.executable, "-c", CLAIM], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "TMPDIR": str(tmp_path / "a")}, cwd=REPO)
    sleeper = None
    try:
        held = int(holder.stdout.readline())
        tempfile.tempdir = str(tmp_path / "b")
        first, fd = claim_uid()
        os.close(fd)  # released, but a process of that uid keeps running
        # non-dumpable, so the files in /proc/PID are root's (on some kernels the folder too): its status still tells
        hide = "import ctypes, time; ctypes.CDLL(None).prctl(4, 0, 0, 0, 0); print('ready', flush=True); time.sleep(60)"
        sleeper = subprocess.Popen(["setpriv", f"--reuid={first}", f"--regid={first}", "--clear-groups",
                                    SYSTEM_PYTHON, "-I", "-c", hide], stdout=subprocess.PIPE, text=True)
        assert sleeper.stdout is not None and sleeper.stdout.readline().strip() == "ready"
        second, fd2 = claim_uid()
        os.close(fd2)
    finally:
        tempfile.tempdir = None
        holder.communicate("")
        if sleeper is not None:
            sleeper.kill()
            sleeper.wait()
    assert first != held, "two graders with different TMPDIR handed out the same uid"
    assert second not in (held, first), "a uid was handed out while a process of it was running"


ZOMBIES = textwrap.dedent('''
    import os, subprocess, sys
    farm = ("import os, time\\nfor _ in range(24):\\n    if os.fork() == 0:\\n        os._exit(0)\\n"
            "time.sleep(1000)")
    subprocess.Popen([sys.executable, "-c", farm], start_new_session=True)
    children = []
    for _ in range(4):
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        children.append(pid)  # never waited for: zombies
    import time
    time.sleep(2)
''')
FORKER = textwrap.dedent('''
    import subprocess
    def relu(z):
        procs = [subprocess.Popen(["sleep", "0.5"]) for _ in range(24)]
        for p in procs:
            p.wait()
        return np.maximum(z, 0)
''')


@needs_full
def test_zombies_of_one_submission_do_not_count_against_the_next(tmp_path):
    _, records = graded(tmp_path, {"a_zombies": with_extra(ZOMBIES), "b_forker": with_extra(FORKER)})
    assert statuses(records["b_forker"])["test_relu"] == "passed", records["b_forker"]["test_relu"]["message"]
