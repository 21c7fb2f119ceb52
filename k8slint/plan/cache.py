"""The user's cache folder: entries of plain data that spare later runs work (the compiled rule
catalogue, renders, the Kubernetes definitions index), never needed for a correct answer.

The folder is ``$XDG_CACHE_HOME/k8slint`` (an absolute ``XDG_CACHE_HOME``), else
``~/.cache/k8slint``, created ``0700``. It is used only when it is a real folder owned by the
user running k8slint and writable by nobody else: otherwise one line on stderr says why and the
run goes on without it. ``K8SLINT_NO_CACHE=1`` (or ``k8slint check --no-cache``) turns it off.

An entry is named by a key the caller derives from everything the cached result depends on, is
written atomically (``0600``) and is read as bytes the caller decodes and checks: an entry that
cannot be read or decoded is ignored and written again. Each kind of entry keeps at most a fixed
number of files, or of bytes (:func:`prune_size`); the least recently used go first.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

MAX_ENTRY = 32 * 1024 * 1024  # bytes: a larger file is not an entry k8slint wrote
_warned: set[str] = set()


def disabled() -> bool:
    return os.environ.get("K8SLINT_NO_CACHE", "").strip().lower() not in ("", "0", "false", "no")


def location() -> Path:
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not base or not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "k8slint"


def _refused(path: Path, reason: str) -> None:
    if str(path) not in _warned:
        _warned.add(str(path))
        sys.stderr.write(f"k8slint: note: cache folder {path} not used: {reason}\n")


def folder(kind: str) -> Path | None:
    """``<cache>/<kind>``, created when missing; None when caching is off or the folder is not safe."""
    if disabled():
        return None
    top = location()
    try:
        os.makedirs(top, mode=0o700, exist_ok=True)
        info = os.lstat(top)
    except OSError as exc:
        _refused(top, exc.strerror or "cannot be created")
        return None
    if not stat.S_ISDIR(info.st_mode):
        _refused(top, "it is not a folder (a symbolic link or a file)")
        return None
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        _refused(top, "it belongs to another user")
        return None
    if info.st_mode & 0o022:
        _refused(top, "other users can write to it (it must be mode 0700)")
        return None
    path = top / kind
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError:
        return None
    try:
        if not stat.S_ISDIR(os.lstat(path).st_mode):
            return None
    except OSError:
        return None
    return path


def read(kind: str, name: str) -> bytes | None:
    """The bytes of an entry (its use time refreshed), or None."""
    where = folder(kind)
    if where is None:
        return None
    path = where / name
    try:
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_ENTRY:
            return None
        with os.fdopen(handle, "rb", closefd=False) as stream:
            data = stream.read(MAX_ENTRY + 1)
        try:
            os.utime(handle)
        except OSError:
            pass
        return data
    except OSError:
        return None
    finally:
        os.close(handle)


def write(kind: str, name: str, data: bytes, keep: int | None = None) -> None:
    """Store an entry (atomically), then drop the least recently used beyond ``keep`` (None: the
    caller bounds the folder with :func:`prune_size`). Failures are ignored: the cache only spares work."""
    where = folder(kind)
    if where is None or len(data) > MAX_ENTRY:
        return
    temporary = where / f".{name}.{os.getpid()}.tmp"
    try:
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        try:
            _write_all(handle, data)
        finally:
            os.close(handle)
        os.replace(temporary, where / name)
    except OSError:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        return
    if keep is not None:
        _prune(where, keep)


def _write_all(handle: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(handle, view):]


def _prune(where: Path, keep: int) -> None:
    try:
        entries = [(e.stat(follow_symlinks=False).st_mtime_ns, e.path) for e in os.scandir(where)
                   if not e.name.startswith(".") and e.is_file(follow_symlinks=False)]
    except OSError:
        return
    if len(entries) <= keep:
        return
    for _, path in sorted(entries)[: len(entries) - keep]:
        try:
            os.unlink(path)
        except OSError:
            pass


def prune_size(kind: str, max_bytes: int) -> None:
    """Drop the least recently used entries of ``kind`` until the rest take at most ``max_bytes``."""
    where = folder(kind)
    if where is None:
        return
    try:
        entries = []
        for entry in os.scandir(where):
            if entry.is_file(follow_symlinks=False) and not entry.name.startswith("."):
                info = entry.stat(follow_symlinks=False)
                entries.append((info.st_mtime_ns, entry.name, info.st_size))
    except OSError:
        return
    total = sum(size for _, _, size in entries)
    for _, name, size in sorted(entries):
        if total <= max_bytes:
            break
        try:
            os.unlink(where / name)
        except OSError:
            pass
        total -= size
