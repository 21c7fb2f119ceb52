"""``--diff-base REF``: the repository as it is at a git revision, in a private temporary folder.

The linted repository is untrusted, so git only reads its object database, as a reader that runs
nothing of the repository's: no hooks (``core.hooksPath=/dev/null``), no fsmonitor, no system
configuration (``GIT_CONFIG_NOSYSTEM``), no ``GIT_*`` variables of the caller, no pager, no
prompt and no network (a partial clone does not fetch missing objects: ``protocol.allow=never``,
``GIT_NO_LAZY_FETCH``). The files are written from ``git ls-tree`` and ``git cat-file --batch``
(raw blobs) rather than by a checkout, so no checkout filter, LFS smudge, attribute or
post-checkout hook can run. The folder (mode 0700) is removed afterwards, also when the run fails
or the process gets SIGTERM, SIGHUP or SIGINT.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..errors import K8slintError

SAFE_CONFIG = ("-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false", "-c", "protocol.allow=never",
               "-c", "core.untrackedCache=false", "-c", "credential.helper=", "-c", "core.pager=cat")
BLOB_MODES = {"100644": 0o644, "100755": 0o755}
SYMLINK_MODE = "120000"
TIMEOUT = 300


@dataclass
class BaseTree:
    """The revision checked out: ``root`` is the repository root as it was at ``commit`` (None: the
    revision has no commit yet - an unborn HEAD - so nothing was there)."""

    ref: str
    commit: str | None
    root: Path | None


def git_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_TERMINAL_PROMPT="0", GIT_NO_LAZY_FETCH="1", GIT_PAGER="cat",
               GIT_OPTIONAL_LOCKS="0", GIT_ATTR_NOSYSTEM="1", LC_ALL="C")
    return env


def git(root: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    """Run git in ``root`` as a reader (see the module docstring); never raises for git's own errors."""
    try:
        return subprocess.run(["git", *SAFE_CONFIG, "-C", str(root), *args], input=stdin if stdin is not None else b"",
                              capture_output=True, env=git_environment(), timeout=TIMEOUT, check=False)
    except FileNotFoundError:
        raise K8slintError("--diff-base needs git, which is not installed (not on PATH)") from None
    except subprocess.TimeoutExpired:
        raise K8slintError(f"--diff-base: git took more than {TIMEOUT} s in {root}") from None


def _first_line(proc: subprocess.CompletedProcess) -> str:
    text = proc.stderr.decode("utf-8", "replace").strip().splitlines()
    return text[0].removeprefix("fatal: ").strip() if text else f"git exited with {proc.returncode}"


def resolve(root: Path, ref: str) -> tuple[str | None, str]:
    """(commit of ``ref``, or None for an unborn HEAD; the repository root's path inside the git work tree)."""
    if not ref or ref.startswith("-") or any(c in ref for c in "\0\n\r") or ref.strip() != ref:
        raise K8slintError(f"--diff-base {ref!r}: not a git revision")
    prefix = git(root, "rev-parse", "--show-prefix")
    if prefix.returncode != 0:
        raise K8slintError(f"--diff-base {ref}: {root} is not in a git work tree ({_first_line(prefix)})")
    found = git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    if found.returncode == 0:
        return found.stdout.decode().strip(), prefix.stdout.decode("utf-8", "surrogateescape").strip()
    if ref == "HEAD" and git(root, "symbolic-ref", "--quiet", "HEAD").returncode == 0:
        return None, prefix.stdout.decode("utf-8", "surrogateescape").strip()  # an unborn branch: nothing was there yet
    raise K8slintError(f"--diff-base {ref}: no such commit in the repository at {root} "
                       "(a shallow clone may lack it: fetch it first, e.g. git fetch --depth=1 origin <sha>)")


def _safe_parts(path: str) -> list[str] | None:
    parts = path.split("/")
    if any(p in ("", ".", "..") or p.lower() == ".git" or "\\" in p for p in parts):
        return None
    return parts


def _tree(root: Path, commit: str, prefix: str) -> tuple[dict[str, list[tuple[Path, int]]], list[tuple[Path, str]]]:
    """(blob sha -> [(path under the prefix, mode)], [(symlink path, blob sha)]) of ``commit``."""
    listed = git(root, "ls-tree", "-r", "-z", "--full-tree", commit)
    if listed.returncode != 0:
        raise K8slintError(f"--diff-base: cannot list {commit[:12]} ({_first_line(listed)})")
    blobs: dict[str, list[tuple[Path, int]]] = {}
    links: list[tuple[Path, str]] = []
    for entry in listed.stdout.split(b"\0"):
        if not entry:
            continue
        meta, _, raw = entry.partition(b"\t")
        fields = meta.decode("ascii", "replace").split()
        if len(fields) != 3:
            continue
        mode, kind, sha = fields
        path = raw.decode("utf-8", "surrogateescape")
        if kind != "blob" or not path.startswith(prefix):
            continue  # submodules (commits) are not there to read
        parts = _safe_parts(path[len(prefix):])
        if parts is None:
            continue
        rel = Path(*parts)
        if mode in BLOB_MODES:
            blobs.setdefault(sha, []).append((rel, BLOB_MODES[mode]))
        elif mode == SYMLINK_MODE:
            links.append((rel, sha))
    return blobs, links


def _cat(root: Path, shas: list[str]) -> Iterator[tuple[str, bytes]]:
    """(sha, content) of each blob, raw (no filter, no conversion), from one git process."""
    proc = subprocess.Popen(["git", *SAFE_CONFIG, "-C", str(root), "cat-file", "--batch"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=git_environment())
    feeder = threading.Thread(target=_feed, args=(proc.stdin, shas), daemon=True)
    feeder.start()
    try:
        out = proc.stdout
        for _ in shas:
            header = out.readline().split()
            if len(header) != 3 or header[1] != b"blob":
                raise K8slintError(f"--diff-base: git could not read object {header[0].decode('ascii', 'replace') if header else '?'}")
            size = int(header[2])
            data = out.read(size)
            out.read(1)  # the newline after each object
            yield header[0].decode("ascii"), data
    finally:
        proc.kill()
        proc.wait()
        feeder.join(timeout=5)


def _feed(stream, shas: list[str]) -> None:
    try:
        for sha in shas:
            stream.write(sha.encode("ascii") + b"\n")
        stream.close()
    except (BrokenPipeError, OSError, ValueError):
        pass


def _write(folder: Path, commit: str, root: Path, prefix: str) -> None:
    blobs, links = _tree(root, commit, prefix)
    for sha, data in _cat(root, sorted(blobs)):
        for rel, mode in blobs.get(sha, ()):
            target = folder / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            # no symlink exists yet (they come last), so nothing written here lands outside the folder
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), mode)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
    if links:
        targets = dict(_cat(root, sorted({sha for _, sha in links})))
        for rel, sha in links:
            where = folder / rel
            if os.path.lexists(where):
                continue
            if any((folder / Path(*rel.parts[:i])).is_symlink() for i in range(1, len(rel.parts))):
                continue  # a link inside a folder that is itself a link: it would land elsewhere
            where.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.symlink(os.fsdecode(targets[sha]), where)
            except (OSError, ValueError):
                continue  # k8slint reads no link that leaves the repository anyway


@contextmanager
def _removed_on_signals(folder: Path) -> Iterator[None]:
    """SIGTERM/SIGHUP end the run through the ``finally`` that removes ``folder`` (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}

    def stop(signum, frame):  # noqa: ARG001
        raise SystemExit(128 + signum)

    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None:
            previous[number] = signal.signal(number, stop)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


@contextmanager
def checkout(ref: str, root: Path) -> Iterator[BaseTree]:
    """The repository rooted at ``root`` as it was at ``ref``, in a temporary folder removed on exit."""
    commit, prefix = resolve(root, ref)
    if commit is None:
        yield BaseTree(ref, None, None)
        return
    folder = Path(tempfile.mkdtemp(prefix="k8slint-base-")).resolve()
    try:
        with _removed_on_signals(folder):
            base_root = folder / "tree"
            base_root.mkdir()
            _write(base_root, commit, root, prefix)
            yield BaseTree(ref, commit, base_root)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
