"""Renderer processes: run kustomize or Helm bounded in time and output, without network.

``run_bounded`` kills the renderer's whole process group when it passes the time limit or its
output passes the size limit, so a hostile input cannot hang the run or fill memory;
``no_network_env`` is the environment every renderer runs with.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Ran:
    """What a renderer subprocess did: ``status`` is ok, timeout or too-big (output over the limit)."""

    status: str
    returncode: int | None = None
    stdout: bytes = b""
    stderr: str = ""


def no_network_env() -> dict[str, str]:
    """The environment for renderer subprocesses: proxies point at a closed local port, git may
    only use local files, and kustomize finds no plugin directory."""
    import os

    env = dict(os.environ)
    blackhole = "http://127.0.0.1:9"
    env.update(
        HTTP_PROXY=blackhole, HTTPS_PROXY=blackhole, http_proxy=blackhole, https_proxy=blackhole,
        ALL_PROXY=blackhole, all_proxy=blackhole, NO_PROXY="", no_proxy="",
        GIT_TERMINAL_PROMPT="0", GIT_ALLOW_PROTOCOL="file",
        KUSTOMIZE_PLUGIN_HOME="/nonexistent-k8slint-no-plugins",
    )
    return env


def run_bounded(command: list[str], *, timeout: float, max_output: int, env: dict | None = None,
                stdin: bytes | None = None) -> Ran:
    """Run a renderer with a wall-clock limit and a cap on its output, killing its whole process
    group when either is passed, so a hostile input cannot hang the run or fill memory."""
    import os
    import signal
    import subprocess
    import tempfile
    import threading

    # Each child starts in a private empty working directory: never in the caller's cwd (in CI and
    # pre-commit that is the linted repository, whose files a child could otherwise pick up).
    with tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as feed, \
            tempfile.TemporaryDirectory(prefix="k8slint-cwd-") as private_cwd:
        if stdin is not None:
            feed.write(stdin)
            feed.seek(0)
        proc = subprocess.Popen(command, stdin=feed if stdin is not None else subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=err, env=env, cwd=private_cwd, start_new_session=True)
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
            proc.wait()
        finally:
            timer.cancel()
            if proc.poll() is None:
                kill()
                proc.wait()
        err.seek(0)
        stderr = err.read(1 << 16).decode("utf-8", "replace")
    if timed_out.is_set():
        return Ran("timeout", proc.returncode, b"", stderr)
    if too_big:
        return Ran("too-big", proc.returncode, b"", stderr)
    return Ran("ok", proc.returncode, b"".join(chunks), stderr)


def limit_message(what: str, status: str, settings) -> str:
    """One sentence for a render stopped by a limit, naming the setting and the flag."""
    if status == "timeout":
        return (f"{what} took longer than {settings.render_timeout:g}s and was stopped "
                "(limits.render-timeout; raise it with --render-timeout)")
    return (f"{what} produced more than {settings.max_file_size:,} bytes of output and was stopped "
            "(limits.max-file-size; raise it with --max-file-size)")
