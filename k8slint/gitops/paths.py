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


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except (ValueError, OSError):
        return False
    return True


def is_dir(root: Path, rel: str | None) -> bool:
    if rel is None:
        return False
    path = root / rel
    return path.is_dir() and _inside(path, root)


def is_file(root: Path, rel: str | None) -> bool:
    if rel is None:
        return False
    path = root / rel
    return path.is_file() and _inside(path, root)


def all_dirs(root: Path) -> list[str]:
    """Every directory of the repository (not the root, not ``.git``), repo-relative, sorted."""
    out: list[str] = []
    for dirpath, dirnames, _ in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        base = Path(dirpath).relative_to(root).as_posix()
        out.extend(d if base == "." else f"{base}/{d}" for d in dirnames)
    return sorted(out)


def all_files(root: Path, under: str = ".") -> list[str]:
    """Every file below ``under`` (repo-relative), not following symlinked directories, sorted."""
    start = root / under
    out: list[str] = []
    for dirpath, dirnames, filenames in os.walk(start, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        base = Path(dirpath).relative_to(root).as_posix()
        out.extend(f if base == "." else f"{base}/{f}" for f in filenames)
    return sorted(out)


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


def kustomization_file(root: Path, rel: str) -> str | None:
    """The kustomization file of a repo-relative folder (repo-relative), or None."""
    for name in KUSTOMIZATION_FILES:
        candidate = name if rel == "." else f"{rel}/{name}"
        if is_file(root, candidate):
            return candidate
    return None


def directory_files(root: Path, rel: str, recurse: bool, include: str | None = None, exclude: str | None = None,
                    suffixes: tuple[str, ...] = MANIFEST_SUFFIXES) -> tuple[str, ...]:
    """The manifest files a directory source deploys (Argo CD: .yaml, .yml, .json; include and
    exclude globs are matched against the path below ``rel``), repo-relative, sorted."""
    out = []
    start = root / rel
    for found in all_files(root, rel) if recurse else sorted(
            f"{rel}/{p.name}" if rel != "." else p.name for p in start.iterdir() if p.is_file()):
        if not found.endswith(suffixes):
            continue
        inner = found[len(rel) + 1:] if rel != "." else found
        if exclude and glob_match(exclude, inner):
            continue
        if include and not glob_match(include, inner):
            continue
        out.append(found)
    return tuple(out)
