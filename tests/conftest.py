"""Shared test helpers: run the real CLI in a subprocess, find fixtures and the shared corpus."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# The tests' own cache folder (the compiled rule catalogue): never the user's, shared by this
# session's runs (so the suite runs with the cache warm as a user does) and emptied with the system's temp.
import tempfile  # noqa: E402

os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="k8slint-test-cache-")

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"


class Result:
    def __init__(self, proc: subprocess.CompletedProcess) -> None:
        self.code = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    @property
    def json(self) -> dict:
        return json.loads(self.out)

    def findings(self) -> list[tuple[str, str, int]]:
        return sorted((f["rule"], f["location"]["file"], f["location"]["line"]) for f in self.json["findings"])


def k8slint(*args: str, cwd: Path | str | None = None, stdin: str | bytes | None = None, env: dict | None = None,
            timeout: float = 120) -> Result:
    full_env = dict(os.environ, K8SLINT_DEBUG="1")  # a bug shows as a traceback, never as the guard's sentence
    full_env.pop("GITHUB_ACTIONS", None)
    full_env.update(env or {})
    data = stdin.encode() if isinstance(stdin, str) else stdin
    proc = subprocess.run(
        [sys.executable, "-m", "k8slint", *args],
        cwd=str(cwd or ROOT), input=data if data is not None else b"", capture_output=True, timeout=timeout, env=full_env,
    )
    return Result(subprocess.CompletedProcess(proc.args, proc.returncode, proc.stdout.decode("utf-8", "replace"),
                                              proc.stderr.decode("utf-8", "replace")))


@pytest.fixture
def run():
    return k8slint


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A fresh, empty user cache folder for this test (XDG_CACHE_HOME); the k8slint folder inside
    it (render entries: ``home / "render"``)."""
    from k8slint.plan import cache

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("K8SLINT_NO_CACHE", raising=False)
    monkeypatch.setattr(cache, "_warned", set())
    return tmp_path / "xdg" / "k8slint"


def cli(*args: str, cwd: Path | str | None = None, stdin: str | bytes | None = None, env: dict | None = None) -> Result:
    """``k8slint *args`` through its click commands in this process (stdout, stderr, exit code as the
    CLI gives them; a traceback fails the test). Use ``k8slint()`` where the process is the point:
    ``python -m k8slint``, signals and limits, environment variables read at start-up, plugins on
    PYTHONPATH, nothing from the linted repository executed."""
    import contextlib

    from click.testing import CliRunner

    from k8slint import cli as command

    import signal

    full_env = {"GITHUB_ACTIONS": None, **(env or {})}
    handlers = {name: signal.getsignal(getattr(signal, name)) for name in ("SIGTERM", "SIGINT", "SIGHUP")}
    try:
        with contextlib.chdir(cwd or ROOT):
            outcome = CliRunner().invoke(command.main, list(args), input=stdin if stdin is not None else b"", env=full_env,
                                         catch_exceptions=False, prog_name="k8slint")
    finally:  # `check` sets its own (it stops the renderers): the next test gets this process's handlers back
        for name, handler in handlers.items():
            signal.signal(getattr(signal, name), handler)
    return Result(subprocess.CompletedProcess(args, outcome.exit_code, outcome.stdout, outcome.stderr))


class Linted(Result):
    """``k8slint.lint`` run in this process, with what ``k8slint check`` would show: ``code`` (0, 1,
    or 2 with ``err`` the one sentence), ``out`` (the report in ``fmt``), ``json``, ``report``."""

    def __init__(self, code: int, out: str, err: str, report=None) -> None:
        self.code, self.out, self.err, self.report = code, out, err, report


def lint(*paths: str, cwd: Path | str | None = None, fmt: str = "json", **options) -> Linted:
    """The in-process twin of ``k8slint("check", *paths, "--format", fmt, cwd=cwd)``: options are
    ``k8slint.lint`` keywords (env, select, config, repo_root, stdin as bytes or str, ...). Use it for
    anything but the CLI's own behaviour (argument parsing, exit codes, stdout/stderr, the process)."""
    import contextlib
    import io

    import k8slint as api
    from k8slint import formatters

    if isinstance(options.get("stdin"), str):
        options["stdin"] = options["stdin"].encode()
    with contextlib.chdir(cwd or ROOT):
        try:
            report = api.lint(list(paths), **options)
        except api.K8slintError as exc:
            return Linted(2, "", f"k8slint: error: {exc}\n")
        stream = io.StringIO()
        formatter = formatters.get(fmt)(stream, color=False)
        formatter.start(report)
        for finding in report.findings:
            formatter.finding(finding)
        formatter.finish(report.summary)
    return Linted(report.exit_code, stream.getvalue(), "", report)


def write(root: Path, files: dict[str, str]) -> Path:
    """A tree of text files under ``root`` ({relative path: text}); ``root``."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def needs_corpus():
    return pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus not present")


class Bounded(Result):
    """A CLI run with its wall time and the peak memory of the process tree (ru_maxrss, MB)."""

    def __init__(self, code: int, out: str, err: str, seconds: float, max_rss_mb: float) -> None:
        self.code, self.out, self.err = code, out, err
        self.seconds = seconds
        self.max_rss_mb = max_rss_mb


HANG_SECONDS = 300  # a child still running after this long is hung, however slow or busy the machine


def bounded_k8slint(*args: str, cwd: Path | str, stdin: Path | bytes | None = None, env: dict | None = None,
                    timeout: float = HANG_SECONDS, address_space_mb: int | None = None, drop_dac: bool = False,
                    hang_seconds: float | None = None) -> Bounded:
    """Run the CLI in a child process that is killed as hung after ``timeout`` seconds, but never
    before HANG_SECONDS (a slow machine must not fail a test; only a hang does; ``hang_seconds``
    overrides both, for the test of this harness), failing the test with a clear message;
    optionally under RLIMIT_AS and without root's power to read any file (``drop_dac``); measure
    its peak RSS with wait4 (the child and the renderers it waited for, not the other tests'
    children). Compare memory with ``rss_bound``, never with a fixed number of MB."""
    timeout = hang_seconds if hang_seconds is not None else max(timeout, HANG_SECONDS)
    import resource
    import tempfile
    import threading
    import time

    full_env = dict(os.environ, K8SLINT_DEBUG="1")
    full_env.pop("GITHUB_ACTIONS", None)
    full_env.update(env or {})

    def limit() -> None:
        if address_space_mb:
            resource.setrlimit(resource.RLIMIT_AS, (address_space_mb << 20, address_space_mb << 20))
        if drop_dac:
            drop_file_read_override()

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as feed:
        if isinstance(stdin, Path):
            source = open(stdin, "rb")
        else:
            feed.write(stdin or b"")
            feed.seek(0)
            source = feed
        started = time.monotonic()
        try:
            proc = subprocess.Popen([sys.executable, "-m", "k8slint", *args], cwd=str(cwd), stdin=source, stdout=out,
                                    stderr=err, env=full_env, preexec_fn=limit, start_new_session=True)
        finally:
            if source is not feed:
                source.close()
        killed = threading.Event()

        def kill() -> None:
            killed.set()
            try:
                os.killpg(proc.pid, 9)
            except OSError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        result = Bounded(proc.returncode, out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"),
                         seconds, usage.ru_maxrss / 1024)
    assert not killed.is_set(), f"k8slint {' '.join(args)} did not finish within {timeout}s (a hang)"
    assert result.code >= 0, f"k8slint {' '.join(args)} was killed by signal {-result.code} (a crash): {result.err[-500:]}"
    return result


_BASELINE_RSS: list[float] = []


def rss_bound(factor: float) -> float:
    """``factor`` times the peak memory (MB) of the CLI checking one small ConfigMap on this machine,
    measured once per session: memory bounds relative to what the interpreter itself needs here."""
    if not _BASELINE_RSS:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / ".k8slint.yaml").write_text("{}\n")
            (Path(tmp) / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: b}\n")
            result = bounded_k8slint("check", "cm.yaml", "--env", "dev", cwd=tmp)
            assert result.code == 0, result.err
            _BASELINE_RSS.append(result.max_rss_mb)
    return factor * _BASELINE_RSS[0]


def assert_clear(result: Result) -> None:
    """Never a traceback; exit 2 is exactly one sentence on stderr."""
    assert "Traceback" not in result.err and "Traceback" not in result.out, result.err
    assert result.code in (0, 1, 2), (result.code, result.err)
    if result.code == 2:
        assert result.err.startswith("k8slint: error: ") and result.err.count("\n") == 1, result.err


def drop_file_read_override() -> None:
    """Linux: drop CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from this process (capset), so even
    root gets "Permission denied" on a chmod 000 file. A no-op when not root."""
    import ctypes

    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):  # out of the bounding set too, or exec gives root its full set back
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = (ctypes.c_uint32 * 6)()  # two {effective, permitted, inheritable}
    if libc.capget(header, data) != 0:
        raise OSError(ctypes.get_errno(), "capget")
    mask = ~((1 << 1) | (1 << 2)) & 0xFFFFFFFF  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
    data[0] &= mask
    data[1] &= mask
    if libc.capset(header, data) != 0:
        raise OSError(ctypes.get_errno(), "capset")


def pytest_addoption(parser):
    parser.addoption("--snapshot-update", action="store_true", default=False,
                     help="rewrite tests/snapshots/<rule>.yaml from what the rules find now (review the diff)")
