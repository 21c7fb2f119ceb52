"""The repository's files for one run: listed once, each read within the limits and parsed once.

Every stage that reads a file of the linted repository by itself (discovery and ``--changed``
reading kustomizations, the kustomize preflight, the locator, the templates through their
context) goes through one :class:`Sources` per run, so that

- a file is read only if it is a regular file within ``limits.max-file-size``, and never
  through a symlink (or a symlinked folder) that leads out of the repository;
- each YAML text is parsed at most once per run, whoever asks first (parsing is the
  :class:`~k8slint.locate.SourceCache`'s; renders run in threads, so access is locked).

Paths are repo-relative POSIX strings. Nothing outside the repository root is read (a
kustomization's ``../../other``, an absolute path), except what the command line named
(``named``: a target, a values file given outside the repository): see SECURITY.md.
"""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path, PurePosixPath

from .load import decode
from .documents import SourceCache

SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__", ".terraform", "vendor"}
DEFAULT_MAX_FILE_SIZE = 16 * 1024 * 1024  # per file read and per rendered stream; ~300 MB of memory to load


def relative(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` as a POSIX string (``../x`` outside it)."""
    try:
        return Path(os.path.relpath(path, root)).as_posix() if path.is_absolute() else path.as_posix()
    except ValueError:  # another drive (Windows)
        return path.as_posix()


def walk(root: Path):
    """(folder, sorted file names) for every folder under ``root``, skipping SKIP_DIRS; symlinked
    folders are not followed."""
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        yield Path(dirpath), sorted(filenames)


def within(path: Path, root: Path) -> bool:
    """``path`` is ``root`` or under it, by their parts as written (``root in path.parents``),
    compared as text for absolute POSIX paths (building ``path.parents`` cost more than the
    reads it guards)."""
    if path == root:
        return True
    if (os.sep == "/" and isinstance(path, PurePosixPath) and isinstance(root, PurePosixPath) and root.root == "/"
            and path.root == "/"):
        top = str(root)
        return str(path).startswith(top if top.endswith("/") else top + "/")
    return root in path.parents


OUTSIDE = ("is outside the repository; k8slint reads nothing outside the repository root unless the command "
           "line names it (check it from a wider --repo-root)")


class Sources(SourceCache):
    """Files of one repository for one run (see the module docstring)."""

    def __init__(self, root: Path, max_file_size: int = DEFAULT_MAX_FILE_SIZE, named: tuple = (),
                 scope: list[Path] | None = None) -> None:
        super().__init__(root)
        self.max_file_size = max_file_size
        self.scope = scope  # None: the whole root; else only these files and folders are listed
        self._real_root = Path(os.path.realpath(root))
        self._norm_root = Path(os.path.normpath(root))
        self._real_dirs: dict[Path, Path] = {}  # folder -> its real path, resolved once a run
        self._named = tuple(Path(os.path.normpath(p)) for p in named)
        self._lock = threading.RLock()
        self._files: list[str] | None = None

    # -- reading -----------------------------------------------------------------------------
    def read_bytes(self, rel: str) -> tuple[bytes | None, str | None]:
        """(bytes, None), or (None, why they are not read): missing or unreadable, not a regular
        file, over the size limit, or a symlink leaving the repository."""
        path = Path(os.path.normpath(self.root / rel))
        try:
            if not within(path, self._norm_root):
                if not any(within(path, named) for named in self._named):
                    return None, OUTSIDE
            elif not within(self._realpath(path), self._real_root):
                return None, "is a symlink that leaves the repository; k8slint does not follow it"
            info = path.stat()
            if not stat.S_ISREG(info.st_mode):
                return None, "is not a regular file; not read"
            if info.st_size > self.max_file_size:
                return None, (f"({info.st_size:,} bytes) is over limits.max-file-size ({self.max_file_size:,} bytes): "
                              "not read; raise it with --max-file-size or limits.max-file-size")
            return path.read_bytes(), None
        except OSError as exc:
            return None, f"cannot be read: {exc.strerror or exc}"

    def _realpath(self, path: Path) -> Path:
        """``os.path.realpath(path)``, with each folder's real path worked out once a run (a
        file's own name is still looked at every time: it may be a symlink)."""
        if os.path.islink(path):
            return Path(os.path.realpath(path))
        folder = path.parent
        real = self._real_dirs.get(folder)
        if real is None:
            real = self._real_dirs[folder] = Path(os.path.realpath(folder))
        return real / path.name if path.name else real

    def read(self, rel: str) -> tuple[str | None, str | None]:
        """(text, None), or (None, why): :meth:`read_bytes`, then bytes that are not text."""
        raw, why = self.read_bytes(rel)
        if raw is None:
            return None, why
        text, error = decode(raw)
        if error is not None:
            return None, error.message
        return text, None

    def text(self, rel: str) -> str:
        return self.read(rel)[0] or ""

    def docs(self, rel: str):
        with self._lock:
            return super().docs(rel)

    def parsed(self, rel: str):
        with self._lock:
            return super().parsed(rel)

    def errors(self, rel: str) -> list:
        with self._lock:
            return super().errors(rel)

    def lines(self, rel: str) -> list[str]:
        with self._lock:
            return super().lines(rel)

    def find(self, rel: str, obj, names: tuple = ()):
        with self._lock:
            return super().find(rel, obj, names)

    # -- the tree ----------------------------------------------------------------------------
    def files(self) -> list[str]:
        """Every file of the repository (repo-relative, sorted by folder), listed once per run."""
        with self._lock:
            if self._files is None:
                self._files = self._scan()
            return self._files

    def _scan(self) -> list[str]:
        if self.scope is None:
            return self._scan_folder(self.root)
        out: list[str] = []
        for path in self.scope:  # files and folders given on the command line, without a repository around them
            if not within(path, self.root):
                continue
            if path.is_dir():
                out.extend(self._scan_folder(path))
            elif path.is_file():
                out.append(path.relative_to(self.root).as_posix())
        return list(dict.fromkeys(out))

    def _scan_folder(self, top: Path) -> list[str]:
        out: list[str] = []
        seen: set[tuple[int, int]] = set()
        root = self.root
        for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
            try:
                info = os.stat(dirpath)
                if (info.st_dev, info.st_ino) in seen:
                    dirnames[:] = []
                    continue
                seen.add((info.st_dev, info.st_ino))
            except OSError:
                continue
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
            rel_dir = Path(dirpath).relative_to(root).as_posix()
            for name in sorted(filenames):
                out.append(name if rel_dir == "." else f"{rel_dir}/{name}")
        return out

    def is_dir(self, rel: str) -> bool:
        return (self.root / rel).is_dir()
