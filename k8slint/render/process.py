"""Renderer processes: isolated, bounded in time, memory and output, and gone when k8slint is.

Every child k8slint starts (kustomize/kubectl, the helm binary, the Helm SDK worker) goes
through :func:`run_bounded`, which starts it through a small launcher (an isolated Python,
``-I -S``, that sets things up and then ``exec``\\ s the renderer) so that it

- runs in a private, empty temporary working directory, with ``HOME`` and ``TMPDIR`` inside it,
  never in the caller's cwd (in CI and pre-commit that is the repository under check);
- sees a minimal environment (:func:`child_env`): ``PATH``, locale, that ``HOME``; no proxy
  credentials, no cloud, kube or GitHub credentials; proxies point at a closed local port;
- has no network where the platform allows it: a new network namespace (``unshare``; as root
  directly, else inside a new user namespace), which holds only a loopback that is down; where
  that is refused the closed-port proxy stays the only barrier (never an error);
- may use at most ``limits.render-memory`` bytes of data memory (``RLIMIT_DATA``; Go's runtime
  reserves address space it never touches, so ``RLIMIT_AS`` does not suit it; ``GOMEMLIMIT`` makes
  Go's collector work before the hard cap, ``GOGC=400`` less often below it), no core files, and is
  killed at the time limit;
- dies with k8slint: the kernel kills it if k8slint dies (``PR_SET_PDEATHSIG``); on SIGTERM or
  SIGINT :func:`shutdown` kills every child's process group and removes every temporary folder.

``run_bounded`` kills the renderer's whole process group when it passes the time limit or its
output passes the size limit, so a hostile input cannot hang the run or fill memory.

:func:`ask` does the same for a renderer that answers many requests, one line each (the Helm SDK
worker: its interpreter and Go runtime start once per render thread, not once per chart). It is
started exactly like ``run_bounded``'s children and is kept, per render thread, for that run's
next request only (``settings.cache``): never shared between runs or repositories. Each request
has its own time limit and output cap; a worker that passes one is killed and the next request
starts a new one; :func:`release` (at the end of the render stage) ends them all.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path

from ..records import record

BLACKHOLE = "http://127.0.0.1:9"  # a closed port: what every proxy variable points at
_PASSED = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "SYSTEMROOT")  # what a child keeps of k8slint's environment
_PROXY = ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR")

# The launcher: an isolated interpreter (no cwd on sys.path, no PYTHON* variables, no user site;
# no site at all unless it runs a module) that asks the kernel to kill it with its parent, caps
# data memory and core files, leaves the network namespace when it can, and execs the renderer
# (or runs the Python module ``python -I -m <module>`` would, in itself: one interpreter start
# less per Helm render). argv: launcher, memory, isolate-network, command...
_LAUNCHER = r"""
import os, sys
memory, isolate, command = int(sys.argv[1]), sys.argv[2] == "1", sys.argv[3:]
try:
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, 9, 0, 0, 0)  # PR_SET_PDEATHSIG, SIGKILL: die with k8slint
    if isolate and libc.unshare(0x40000000) != 0:  # CLONE_NEWNET (root)
        libc.unshare(0x10000000 | 0x40000000)  # CLONE_NEWUSER | CLONE_NEWNET (unprivileged)
except (OSError, AttributeError):
    pass
if os.getppid() == 1:
    os._exit(137)  # k8slint is already gone
try:
    import resource
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if memory > 0:
        resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))
except (ImportError, ValueError, OSError):
    pass
if command[0] == "--module":  # a Python child (the Helm SDK worker): run it here, one interpreter start saved
    import runpy
    sys.argv = command[1:]
    runpy.run_module(command[1], run_name="__main__", alter_sys=True)
    sys.exit(0)
try:
    os.execvp(command[0], command)
except OSError as exc:
    sys.stderr.write(f"could not run {os.path.basename(command[0])}: {exc.strerror}\n")
    os._exit(127)
"""

_LOCK = threading.Lock()
_CHILDREN: set[int] = set()  # process groups of running children
_SCRATCH: set[str] = set()  # temporary folders of this process
_CLOSED = threading.Event()  # shutdown() ran: start nothing more
# The render cache's scope of the target this thread renders (k8slint.render.cache sets ``current``;
# ``scratch`` records the temporary folders a render makes, ``private`` a child's own folder)
_SCOPE = threading.local()
_PRIVATE = "k8slint-run-"  # the prefix of a child's own folder
RUNS = [0]  # renders asked of renderer children by this process, kept workers included (tests count renders with it)


class NeedsChild(BaseException):
    """Raised where a renderer child would start while this thread only tries answers from the
    render cache (:func:`cache_only`): the target is rendered again where children may run. A
    BaseException, so that no handler of a render's own errors mistakes it for one."""


@contextmanager
def cache_only():
    """In this thread, render from the render cache only: starting a renderer child (a cache
    miss, an uncacheable target) raises :class:`NeedsChild` instead."""
    _SCOPE.cache_only = True
    try:
        yield
    finally:
        _SCOPE.cache_only = False


def child_allowed() -> None:
    """Raise :class:`NeedsChild` if this thread may not start a renderer child (see :func:`cache_only`)."""
    if getattr(_SCOPE, "cache_only", False):
        raise NeedsChild


@record
class Ran:
    """What a renderer subprocess did: ``status`` is ok, timeout or too-big (output over the limit)."""

    status: str
    returncode: int | None = None
    stdout: bytes = b""
    stderr: str = ""

    def __init__(self, status: str, returncode: int | None = None, stdout: bytes = b"", stderr: str = "") -> None:
        self.status = status
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr


def child_env(home: str | Path, network: bool = False) -> dict[str, str]:
    """The environment of a renderer: ``PATH`` and locale from k8slint's, ``HOME``/``TMPDIR`` and
    Helm's folders in the child's private folder, git limited to local files, no plugin folder,
    proxies at a closed port. With ``network`` (--allow-remote, from the command line only) the
    environment's proxy settings pass instead of the closed port. Nothing else passes: no
    credentials of any kind (cloud, kube, registry, GitHub), no KUBECONFIG, no PYTHON* variables."""
    env = {key: os.environ[key] for key in _PASSED if key in os.environ}
    env.setdefault("PATH", os.defpath)
    env.setdefault("LANG", "C.UTF-8")
    home = str(home)
    env.update(
        HOME=home, TMPDIR=home, XDG_CONFIG_HOME=f"{home}/.config", XDG_CACHE_HOME=f"{home}/.cache",
        XDG_DATA_HOME=f"{home}/.local/share", HELM_CONFIG_HOME=f"{home}/helm", HELM_CACHE_HOME=f"{home}/helm-cache",
        HELM_DATA_HOME=f"{home}/helm-data", KUBECONFIG=f"{home}/no-kubeconfig",
        GIT_TERMINAL_PROMPT="0", GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL="/dev/null",
        KUSTOMIZE_PLUGIN_HOME="/nonexistent-k8slint-no-plugins",
    )
    if network:
        env.update({key: os.environ[key] for key in _PROXY if key in os.environ})
    else:
        env.update(HTTP_PROXY=BLACKHOLE, HTTPS_PROXY=BLACKHOLE, http_proxy=BLACKHOLE, https_proxy=BLACKHOLE,
                   ALL_PROXY=BLACKHOLE, all_proxy=BLACKHOLE, NO_PROXY="", no_proxy="", GIT_ALLOW_PROTOCOL="file")
    return env


def _go_memory(env: dict[str, str], memory: int | None) -> None:
    """Go's collector for a child with a memory cap: ``GOMEMLIMIT`` at 3/4 of the cap, so it
    collects hard before the kernel's limit, and ``GOGC=400``, so below that it collects a fifth
    as often (a renderer's heap is short-lived: kustomize building 25 overlays, ~20% less CPU
    for ~40% more memory, which GOMEMLIMIT still bounds)."""
    if memory:
        env["GOMEMLIMIT"] = str(max(memory * 3 // 4, 64 << 20))
        env["GOGC"] = "400"


@contextmanager
def scratch(prefix: str = "k8slint-"):
    """A temporary folder removed on exit, and by :func:`shutdown` if k8slint is stopped first."""
    import shutil
    import tempfile

    path = tempfile.mkdtemp(prefix=prefix)
    with _LOCK:
        _SCRATCH.add(path)
    current = getattr(_SCOPE, "current", None)
    if current is not None:
        if prefix == _PRIVATE:
            current.private = path
        else:
            current.scratch.append(path)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        with _LOCK:
            _SCRATCH.discard(path)


def kill_children() -> None:
    """Kill every running child's process group (the run's deadline passed)."""
    import signal

    with _LOCK:
        groups = list(_CHILDREN)
    for group in groups:
        try:
            os.killpg(group, signal.SIGKILL)
        except OSError:
            pass


def shutdown() -> None:
    """Start no more children, kill the running ones and remove every temporary folder: what a
    stopped k8slint (SIGTERM, SIGINT, its hard deadline) leaves behind is nothing."""
    import shutil

    _CLOSED.set()
    kill_children()
    with _LOCK:
        folders = list(_SCRATCH)
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


def _memory(settings_memory: int | None) -> int:
    return int(settings_memory) if settings_memory else 0


def budget(settings) -> float:
    """Seconds one render may take: limits.render-timeout, or what is left of the run's deadline."""
    import time

    deadline_at = settings.cache.get("deadline-at")
    left = deadline_at - time.monotonic() if deadline_at is not None else settings.render_timeout
    return max(0.001, min(settings.render_timeout, left))


def past_deadline(settings) -> bool:
    import time

    deadline_at = settings.cache.get("deadline-at")
    return deadline_at is not None and time.monotonic() >= deadline_at


def _must_be_runnable(program: str, path: str) -> None:
    import errno
    import shutil

    if shutil.which(program, path=path) is None:
        code = errno.EACCES if os.sep in program and os.path.exists(program) else errno.ENOENT
        raise OSError(code, os.strerror(code), program)


def run_bounded(command: list[str], *, timeout: float, max_output: int, stdin: bytes | None = None,
                memory: int | None = None, network: bool = False) -> Ran:
    """Run a renderer isolated (see the module docstring) with a wall-clock limit, a memory cap
    and a cap on its output, killing its whole process group when a limit is passed. ``network``
    (--allow-remote, from the command line only) keeps the network and the environment's proxies.
    Inside a render cache scope (:mod:`k8slint.render.cache`), an unchanged run's answer is the
    cached one."""
    current = getattr(_SCOPE, "current", None)
    if current is not None:  # a render cache scope (k8slint.render.cache.Scope)
        return current.answer(command, stdin, timeout, max_output, memory, network,
                              lambda: _run_bounded(command, timeout=timeout, max_output=max_output, stdin=stdin,
                                                   memory=memory, network=network))
    return _run_bounded(command, timeout=timeout, max_output=max_output, stdin=stdin, memory=memory, network=network)


def _run_bounded(command: list[str], *, timeout: float, max_output: int, stdin: bytes | None = None,
                 memory: int | None = None, network: bool = False) -> Ran:
    import signal
    import subprocess
    import sys
    import tempfile

    child_allowed()
    if _CLOSED.is_set():
        return Ran("stopped")
    with tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as feed, scratch(_PRIVATE) as private:
        cwd = Path(private) / "cwd"
        home = Path(private) / "home"
        cwd.mkdir()
        home.mkdir()
        full_env = child_env(home, network)
        _go_memory(full_env, memory)
        if stdin is not None:
            feed.write(stdin)
            feed.seek(0)
        python_module = command[:3] == [sys.executable, "-I", "-m"]
        site = [] if python_module else ["-S"]  # a module needs site-packages to be importable
        launcher = [sys.executable, "-I", *site, "-c", _LAUNCHER, str(_memory(memory)), "0" if network else "1"]
        if python_module:
            command = ["--module", *command[3:]]
        else:  # a missing renderer is the caller's OSError (exit 2), as if it were started directly
            _must_be_runnable(command[0], full_env["PATH"])
        with _LOCK:
            if _CLOSED.is_set():
                return Ran("stopped")
            proc = subprocess.Popen([*launcher, *command], stdin=feed if stdin is not None else subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=err, env=full_env, cwd=str(cwd), start_new_session=True)
            _CHILDREN.add(proc.pid)
            RUNS[0] += 1
        timed_out = threading.Event()

        def kill() -> None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass

        def on_timeout() -> None:
            timed_out.set()
            kill()

        timer = threading.Timer(timeout, on_timeout)
        timer.daemon = True
        timer.start()
        chunks: list[bytes] = []
        size = 0
        too_big = False
        try:
            assert proc.stdout is not None
            while chunk := proc.stdout.read(1 << 16):
                size += len(chunk)
                if size > max_output:
                    too_big = True
                    kill()
                    break
                chunks.append(chunk)
            proc.stdout.close()
            if hasattr(os, "waitid"):  # wait without reaping, so the group id cannot be reused yet
                os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
        finally:
            timer.cancel()
            kill()  # whatever the renderer left running in its group
            proc.wait()
            with _LOCK:
                _CHILDREN.discard(proc.pid)
        err.seek(0)
        stderr = err.read(1 << 16).decode("utf-8", "replace")
    if _CLOSED.is_set():
        return Ran("stopped", proc.returncode)
    if timed_out.is_set():
        return Ran("timeout", proc.returncode, b"", stderr)
    if too_big:
        return Ran("too-big", proc.returncode, b"", stderr)
    if memory and proc.returncode and _out_of_memory(stderr):
        return Ran("memory", proc.returncode, b"", stderr)
    return Ran("ok", proc.returncode, b"".join(chunks), stderr)


def _out_of_memory(stderr: str) -> bool:
    """A renderer that stopped because it could not get memory (Go: 'out of memory' / 'cannot
    allocate memory'; Python: MemoryError)."""
    return any(mark in stderr for mark in ("out of memory", "cannot allocate memory", "MemoryError", "pthread_create failed"))


def limit_message(what: str, status: str, settings) -> str:
    """One sentence for a render stopped by a limit, naming the setting and the flag."""
    if status == "timeout" and past_deadline(settings):
        return (f"{what} was stopped at the run's deadline of {settings.deadline:g}s "
                "(limits.deadline; raise it with --deadline)")
    if status == "timeout":
        return (f"{what} took longer than {settings.render_timeout:g}s and was stopped "
                "(limits.render-timeout; raise it with --render-timeout)")
    if status == "memory":
        return (f"{what} needed more than {settings.render_memory:,} bytes of memory and was stopped "
                "(limits.render-memory; raise it with --render-memory)")
    if status == "stopped":
        return f"{what} was stopped: k8slint is shutting down"
    return (f"{what} produced more than {settings.max_file_size:,} bytes of output and was stopped "
            "(limits.max-file-size; raise it with --max-file-size)")


# -- renderers that answer many requests -----------------------------------------------------------

_SERVED_RENDERS = 50  # requests one worker answers before a fresh one takes over (bounds what builds up in it)


class Served:
    """One isolated renderer child answering requests, one line of input -> one line of output,
    started as :func:`run_bounded` starts a child (launcher, private folder, environment, memory
    cap, dies with k8slint). Used by the thread that started it only (the kernel kills it with
    that thread: ``PR_SET_PDEATHSIG``)."""

    def __init__(self, command: list[str], memory: int | None, network: bool) -> None:
        import subprocess
        import sys
        import tempfile

        self.renders = 0
        self.proc = None
        self._private = tempfile.mkdtemp(prefix="k8slint-run-")
        with _LOCK:
            _SCRATCH.add(self._private)
        cwd, home = Path(self._private) / "cwd", Path(self._private) / "home"
        cwd.mkdir()
        home.mkdir()
        env = child_env(home, network)
        _go_memory(env, memory)
        self._err = tempfile.TemporaryFile()
        launcher = [sys.executable, "-I", "-c", _LAUNCHER, str(_memory(memory)), "0" if network else "1"]
        with _LOCK:
            if _CLOSED.is_set():
                return
            self.proc = subprocess.Popen([*launcher, "--module", *command], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=self._err, env=env, cwd=str(cwd),
                                         start_new_session=True)
            _CHILDREN.add(self.proc.pid)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def ask(self, request: bytes, timeout: float, max_output: int) -> Ran:
        """The answer line to ``request`` (one line, no newline in it); a worker that passes the time
        limit or output cap, or stops, is closed (status and stderr as :func:`run_bounded` gives)."""
        if self.proc is None or _CLOSED.is_set():
            return Ran("stopped")
        timed_out = threading.Event()

        def on_timeout() -> None:
            timed_out.set()
            self._kill()

        self._err.seek(0)
        self._err.truncate()
        timer = threading.Timer(timeout, on_timeout)
        timer.daemon = True
        timer.start()
        try:
            assert self.proc.stdin is not None and self.proc.stdout is not None
            self.proc.stdin.write(request + b"\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline(max_output + 2)
        except (OSError, ValueError):  # it stopped before reading the request (a broken pipe)
            line = b""
        finally:
            timer.cancel()
        self.renders += 1
        if line.endswith(b"\n") and len(line) <= max_output + 1 and not timed_out.is_set():
            return Ran("ok", None, line[:-1], "")
        too_big = len(line) > max_output and not timed_out.is_set()
        self.close()
        self._err.seek(0)
        stderr = self._err.read(1 << 16).decode("utf-8", "replace")
        returncode = self.proc.returncode if self.proc is not None else None
        if _CLOSED.is_set():
            return Ran("stopped", returncode)
        if timed_out.is_set():
            return Ran("timeout", returncode, b"", stderr)
        if too_big:
            return Ran("too-big", returncode, b"", stderr)
        if returncode and _out_of_memory(stderr):
            return Ran("memory", returncode, b"", stderr)
        return Ran("ok", returncode, b"", stderr)

    def _kill(self) -> None:
        import signal

        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass

    def close(self) -> None:
        """Kill it (its whole group) and remove its private folder."""
        import shutil

        if self.proc is not None:
            self._kill()
            for pipe in (self.proc.stdin, self.proc.stdout):
                try:
                    pipe.close()
                except OSError:
                    pass
            self.proc.wait()
            with _LOCK:
                _CHILDREN.discard(self.proc.pid)
        shutil.rmtree(self._private, ignore_errors=True)
        with _LOCK:
            _SCRATCH.discard(self._private)


def ask(settings, command: list[str], request: bytes, *, timeout: float, max_output: int,
        memory: int | None = None, network: bool = False) -> Ran:
    """``request`` answered by this thread's worker running the Python module ``command[0]`` (with
    ``command[1:]`` as its arguments), started on first use; see :class:`Served`. A worker that
    had answered before and ran out of memory is replaced and asked once more, so a render is never
    refused for what earlier ones left behind. Inside a render cache scope
    (:mod:`k8slint.render.cache`), an unchanged request's answer is the cached one, keyed as
    :func:`run_bounded` keys the same module run as a child of its own."""
    current = getattr(_SCOPE, "current", None)
    if current is not None:
        import sys

        def fresh() -> Ran:
            ran, worker = _ask(settings, command, request, timeout, max_output, memory, network)
            current.private = worker._private if worker is not None else None  # its paths kept out of the entry
            return ran

        return current.answer([sys.executable, "-I", "-m", *command], request, timeout, max_output, memory,
                              network, fresh)
    return _ask(settings, command, request, timeout, max_output, memory, network)[0]


def _ask(settings, command: list[str], request: bytes, timeout: float, max_output: int,
         memory: int | None, network: bool) -> tuple[Ran, "Served | None"]:
    child_allowed()
    key = (threading.get_ident(), tuple(command), memory, network)
    with _LOCK:
        workers = settings.cache.get("served")
        if workers is None:
            import weakref

            workers = settings.cache["served"] = {}
            # a run whose render stage never came (a plan made and dropped) still ends its workers
            weakref.finalize(settings, _close_all, workers)
    worker = workers.get(key)
    if worker is not None and (not worker.alive() or worker.renders >= _SERVED_RENDERS):
        worker.close()
        worker = None
    for attempt in range(2):
        if worker is None:
            worker = Served(command, memory, network)
            with _LOCK:
                workers[key] = worker
        with _LOCK:
            RUNS[0] += 1
        ran = worker.ask(request, timeout, max_output)
        if ran.status == "memory" and worker.renders > 1 and attempt == 0:
            worker = None
            continue
        return ran, worker
    return ran, worker  # pragma: no cover - the loop returns


def release(settings) -> None:
    """End every worker :func:`ask` started for this run (the render stage is over)."""
    with _LOCK:
        workers = settings.cache.pop("served", {})
    _close_all(workers)


def _close_all(workers: dict) -> None:
    with _LOCK:
        listed = list(workers.values())
        workers.clear()
    for worker in listed:
        worker.close()
