"""Repository paths as Argo CD and Flux resolve them, and the two glob dialects they use.

Every path is repo-relative and posix (``.`` is the root). A path that leaves the repository
(``..`` too far, or a symlink pointing outside) resolves to None: nothing outside the
repository is ever read.
"""

from __future__ import annotations

import functools
import os
import posixpath
import re
from pathlib import Path

SKIP_DIRS = {".git"}
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


def join(base: str, rel: str) -> str | None:
    """``rel`` resolved against the repo-relative directory ``base``; a leading ``/`` means the
    repository root (as Argo CD reads it). None when the result leaves the repository."""
    rel = rel.strip()
    if rel.startswith("/"):
        base, rel = ".", rel.lstrip("/")
    joined = posixpath.normpath(posixpath.join(base or ".", rel or "."))
    if joined == ".." or joined.startswith("../") or joined.startswith("/"):
        return None
    return joined


def strip_dot(rel: str) -> str:
    """Flux writes ``./apps/production``; the repo-relative form is ``apps/production``."""
    return join(".", rel) or rel


class Tree:
    """The repository's folders and files, walked once (``.git`` left out, symlinks not followed
    out of it): every existence check is a set lookup. A symlink that stays inside the
    repository is its target; one that points outside does not exist."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._dirs: set[str] | None = None
        self._files: set[str] = set()
        self._links: dict[str, str] = {}  # symlinked folder -> its target folder (both repo-relative)

    def _walk(self) -> set[str]:
        if self._dirs is not None:
            return self._dirs
        dirs: set[str] = set()
        real_root = self.root.resolve()
        stack = [(self.root, "")]
        while stack:
            folder, base = stack.pop()
            try:
                entries = list(os.scandir(folder))
            except OSError:
                continue
            for entry in entries:
                rel = base + entry.name
                try:
                    if entry.is_symlink():
                        target = self._inside_target(Path(entry.path), real_root)
                        if target is None:
                            continue  # points outside the repository: as if it were not there
                        if entry.is_dir():
                            self._links[rel] = target
                            dirs.add(rel)
                        else:
                            self._files.add(rel)
                    elif entry.is_dir(follow_symlinks=False):
                        if entry.name not in SKIP_DIRS:
                            dirs.add(rel)
                            stack.append((Path(entry.path), rel + "/"))
                    else:
                        self._files.add(rel)
                except OSError:
                    continue
        self._dirs = dirs
        return dirs

    @staticmethod
    def _inside_target(path: Path, real_root: Path) -> str | None:
        try:
            return path.resolve().relative_to(real_root).as_posix()
        except (ValueError, OSError):
            return None

    def _unlink(self, rel: str) -> str:
        """``rel`` with a symlinked folder on its way replaced by its target (a few hops at most)."""
        for _ in range(8):
            for link, target in self._links.items():
                if rel.startswith(link + "/"):
                    rel = target + rel[len(link):]
                    break
            else:
                return rel
        return rel

    def is_dir(self, rel: str | None) -> bool:
        if rel is None:
            return False
        dirs = self._walk()
        return rel == "." or rel in dirs or self._unlink(rel) in dirs or self._unlink(rel) == "."

    def is_file(self, rel: str | None) -> bool:
        if rel is None:
            return False
        self._walk()
        return rel in self._files or self._unlink(rel) in self._files

    def all_dirs(self) -> list[str]:
        """Every folder (not the root), sorted; what the git directories generator lists."""
        return sorted(d for d in self._walk() if d not in self._links)

    def all_files(self, under: str = ".") -> list[str]:
        self._walk()
        if under == ".":
            return sorted(self._files)
        real = self._unlink(under)
        prefix = real + "/"
        found = sorted(f for f in self._files if f.startswith(prefix))
        return found if real == under else [under + f[len(real):] for f in found]

    def kustomization_file(self, rel: str) -> str | None:
        """The kustomization file of a repo-relative folder (repo-relative), or None."""
        for name in KUSTOMIZATION_FILES:
            candidate = name if rel == "." else f"{rel}/{name}"
            if self.is_file(candidate):
                return candidate
        return None

    def directory_files(self, rel: str, recurse: bool, include: str | None = None, exclude: str | None = None,
                        suffixes: tuple[str, ...] = MANIFEST_SUFFIXES) -> tuple[str, ...]:
        """The manifest files a directory source deploys (Argo CD: .yaml, .yml, .json; include and
        exclude globs are matched against the path below ``rel``), repo-relative, sorted."""
        out = []
        for found in self.all_files(rel):
            inner = found[len(rel) + 1:] if rel != "." else found
            if not recurse and "/" in inner:
                continue
            if not found.endswith(suffixes):
                continue
            if exclude and glob_match(exclude, inner):
                continue
            if include and not glob_match(include, inner):
                continue
            out.append(found)
        return tuple(out)

    def read_text(self, rel: str, limit: int) -> str | None:
        """A file as text (UTF-8, or UTF-16 with a BOM), or None when it is not a file of the
        repository, is larger than ``limit`` bytes, binary or undecodable."""
        from ...load import decode

        if not self.is_file(rel):
            return None
        path = self.root / rel
        try:
            if path.stat().st_size > limit:
                return None
            content, error = decode(path.read_bytes())
        except OSError:
            return None
        return None if error else content


@functools.lru_cache(maxsize=512)
def _go_match_regex(pattern: str) -> re.Pattern | None:
    """Go's ``path.Match``: ``*`` and ``?`` never cross ``/``; ``[...]`` classes with ``^``."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        elif c == "[":
            end = pattern.find("]", i + 2)
            if end == -1:
                return None  # Go: ErrBadPattern
            body = pattern[i + 1:end]
            negate = body.startswith("^")
            body = body[1:] if negate else body
            body = body.replace("\\", "\\\\")
            out.append(f"[{'^' if negate else ''}{body}]")
            i = end
        else:
            out.append(re.escape(c))
        i += 1
    try:
        return re.compile("".join(out) + r"\Z", re.S)
    except re.error:
        return None


def go_match(pattern: str, name: str) -> bool:
    regex = _go_match_regex(pattern)
    return bool(regex and regex.match(name))


def _braces(pattern: str) -> list[str]:
    """``a/{x,y}.yaml`` -> ``a/x.yaml``, ``a/y.yaml`` (one level of alternatives at a time)."""
    match = re.search(r"\{([^{}]*)\}", pattern)
    if not match:
        return [pattern]
    head, tail = pattern[:match.start()], pattern[match.end():]
    out: list[str] = []
    for choice in match.group(1).split(","):
        out.extend(_braces(head + choice + tail))
    return out


@functools.lru_cache(maxsize=512)
def _glob_regex(pattern: str) -> re.Pattern | None:
    """Argo CD's directory include/exclude globs: ``*`` matches any run (``/`` too), ``?`` one
    character, ``[...]`` classes, ``{a,b}`` alternatives."""
    parts = []
    for alternative in _braces(pattern):
        out, i = [], 0
        while i < len(alternative):
            c = alternative[i]
            if c == "*":
                out.append(".*")
            elif c == "?":
                out.append(".")
            elif c == "[":
                end = alternative.find("]", i + 2)
                if end == -1:
                    out.append(re.escape(c))
                else:
                    body = alternative[i + 1:end]
                    negate = body.startswith(("!", "^"))
                    body = body[1:] if negate else body
                    out.append(f"[{'^' if negate else ''}{body.replace(chr(92), chr(92) * 2)}]")
                    i = end
            else:
                out.append(re.escape(c))
            i += 1
        parts.append("".join(out))
    try:
        return re.compile("(?:" + "|".join(parts) + r")\Z", re.S)
    except re.error:
        return None


def glob_match(pattern: str, name: str) -> bool:
    regex = _glob_regex(pattern)
    return bool(regex and regex.match(name))


def git_files_match(pattern: str, name: str) -> bool:
    """The git files generator's pattern: git pathspec glob, where ``*`` (and ``**``) also match
    ``/``."""
    return glob_match(pattern.lstrip("/"), name)
