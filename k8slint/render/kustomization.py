"""The kustomization graph: what each kustomization file refers to, read once per run.

One walk over kustomizations serves every step that follows them: target discovery (a
kustomization that another one includes is a base, not an overlay), ``--changed`` (the folders
and files an overlay reads), the kustomize preflight (what would fetch or execute) and the
source-level rules (``cross-app-reference``, ``kustomize-deprecated-field``, through the check
context). Files are read through the run's :class:`~k8slint.sources.Sources`: each is parsed
once, within the size limit, never through a symlink that leaves the repository.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")

PATH_LISTS = ("resources", "components", "bases", "patchesStrategicMerge", "crds", "configurations",
              "generators", "transformers", "validators")
PATH_ITEMS = ("patches", "patchesJson6902", "replacements")  # items with a `path:`
GENERATORS = ("configMapGenerator", "secretGenerator")
INCLUDES = ("resources", "components", "bases")  # entries that may be whole kustomizations


def _generator_file(text: str) -> str:
    """`key=path` names a file under another key; a URL's `=` is not that."""
    head, sep, tail = text.partition("=")
    return tail if sep and "://" not in head else text


def references(data: Any) -> list[tuple[str, int, str]]:
    """(path text, line, key) of every path a kustomization names, in file order per key.

    Inline patches (text with a newline) are not paths and are left out. ``data`` is a
    line-aware mapping from :mod:`k8slint.load`; plain dicts work with line 1.
    """
    if not isinstance(data, dict):
        return []
    out: list[tuple[str, int, str]] = []

    def line_of(container: Any, key: Any) -> int:
        if hasattr(container, "key_line"):
            return container.key_line(key)
        if hasattr(container, "item_line"):
            return container.item_line(key)
        return 1

    for key in PATH_LISTS:
        entries = data.get(key)
        if isinstance(entries, list):
            out += [(e, line_of(entries, i), key) for i, e in enumerate(entries) if isinstance(e, str) and "\n" not in e]
    for key in PATH_ITEMS:
        entries = data.get(key)
        if isinstance(entries, list):
            out += [(e["path"], line_of(e, "path"), key) for e in entries
                    if isinstance(e, dict) and isinstance(e.get("path"), str)]
    for key in GENERATORS:
        entries = data.get(key)
        if not isinstance(entries, list):
            continue
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            for field in ("files", "envs"):
                items = entry.get(field)
                if isinstance(items, list):
                    out += [(_generator_file(v), line_of(items, i), key) for i, v in enumerate(items) if isinstance(v, str)]
            if isinstance(entry.get("env"), str):
                out.append((_generator_file(entry["env"]), line_of(entry, "env"), key))
    openapi = data.get("openapi")
    if isinstance(openapi, dict) and isinstance(openapi.get("path"), str):
        out.append((openapi["path"], line_of(openapi, "path"), "openapi"))
    return out


_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git::|git@|github\.com/|gitlab\.com/|bitbucket\.org/)|\?ref=|\?version=", re.I)


def is_url(entry: str) -> bool:
    """A reference that names a network location, not a path (``https://``, ``github.com/...``, ``git@``)."""
    return "://" in entry or entry.startswith(("github.com/", "git@"))


def is_remote(entry: str, base: Path) -> bool:
    """A resources/components/bases entry that kustomize would fetch: a URL, a git or hosting
    address, a ``?ref=`` pin, or ``host.name/path`` that is no local path."""
    if _REMOTE.search(entry):
        return True
    first = entry.split("/", 1)[0]
    return "." in first and first not in (".", "..") and not (base / entry).exists() and "/" in entry


def kustomization_file(directory: Path) -> Path | None:
    for name in KUSTOMIZATION_FILES:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


@dataclass
class Kustomization:
    """One kustomization file, parsed: ``data`` is None when it cannot be read (``error`` says why)
    or is not a mapping."""

    directory: Path  # normalized, not resolved: a symlinked folder keeps its repository path
    file: Path
    rel: str  # repo-relative path of the file
    data: Any  # the YMap of its first document, or None
    error: str | None  # why the file could not be read (or loaded: then it is never built)
    includes: tuple[Path, ...]  # local folders of resources/components/bases, in file order
    refs: tuple[tuple[str, int, str], ...]  # every path it names: (text, line, key), URLs left out
    error_line: int = 1  # where the reason it could not be read is

    @property
    def is_component(self) -> bool:
        return isinstance(self.data, dict) and self.data.get("kind") == "Component"


class KustomizationGraph:
    """Kustomizations of one run, keyed by folder; each file read and parsed once (thread-safe)."""

    def __init__(self, root: Path, sources) -> None:
        self.root = root
        self.sources = sources
        self._nodes: dict[Path, Kustomization | None] = {}
        self._reads: dict[Path, tuple[list[Path], list[Path]]] = {}  # a node's named folders and files, resolved
        self._trees: dict[Path, tuple[Kustomization, ...]] = {}  # a folder's tree (preflight, templates, discovery)
        self._inputs: dict[Path, tuple[frozenset, frozenset]] = {}  # a folder's inputs (the cache key, --changed)
        self._lock = threading.RLock()

    def at(self, directory: Path) -> Kustomization | None:
        """The kustomization of ``directory``, or None when the folder holds none."""
        directory = Path(os.path.normpath(directory))
        with self._lock:
            if directory not in self._nodes:
                self._nodes[directory] = self._read(directory)
            return self._nodes[directory]

    def _read(self, directory: Path) -> Kustomization | None:
        kfile = kustomization_file(directory)
        if kfile is None:
            return None
        from ..sources import relative

        rel = relative(kfile, self.root)
        docs = self.sources.docs(rel)
        data = docs[0].data if docs and isinstance(docs[0].data, dict) else None
        error, error_line = (None if docs else self._unreadable(rel)), 1
        refused = self.sources.errors(rel)
        if refused:  # fail closed: kustomize may accept what the loader refuses, then fetch or run what it names
            error, error_line = (f"is refused by k8slint's reader ({refused[0].message}): k8slint cannot check what it "
                                 "refers to, so it is not rendered"), refused[0].line
            data = None
        includes: list[Path] = []
        for key in INCLUDES:
            entries = data.get(key) if data is not None else None
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, str) and "\n" not in entry and not is_remote(entry, directory):
                    path = Path(os.path.normpath(directory / entry))
                    if path.is_dir():
                        includes.append(path)
        refs = tuple(r for r in references(data) if not is_url(r[0])) if data is not None else ()
        return Kustomization(directory, kfile, rel, data, error, tuple(includes), refs, error_line)

    def _unreadable(self, rel: str) -> str | None:
        raw, why = self.sources.read_bytes(rel)
        if raw is None:
            return why
        text, why = self.sources.read(rel)
        if text is None:
            return f"is not text ({why}); k8slint does not build a kustomization it cannot read"
        return None

    def tree(self, directory: Path) -> list[Kustomization]:
        """The kustomization of ``directory`` and every local kustomization it includes (resources,
        components, bases), recursively, each once, depth first in file order. Walked once per
        folder a run (the preflight, the cache key and the source rules all ask for it)."""
        start = Path(os.path.normpath(directory))
        found = self._trees.get(start)
        if found is None:
            found = self._trees[start] = tuple(self._tree(start))
        return list(found)

    def _tree(self, start: Path) -> list[Kustomization]:
        out: list[Kustomization] = []
        seen: set[Path] = set()
        stack = [start]
        while stack:
            current = stack.pop()
            real = Path(os.path.realpath(current))
            if real in seen:
                continue
            seen.add(real)
            node = self.at(current)
            if node is None:
                continue
            out.append(node)
            stack.extend(node.includes)
        return out

    def inputs(self, directory: Path) -> tuple[set[Path], set[Path]]:
        """(folders, files) a kustomization reads: every kustomization folder it reaches through any
        path it names (resources, components, patches, generators, ...), and the files it names;
        worked out once per folder a run."""
        found = self._inputs.get(directory)
        if found is None:
            dirs, files = self._walk_inputs(directory)
            found = self._inputs[directory] = (frozenset(dirs), frozenset(files))
        return set(found[0]), set(found[1])

    def _walk_inputs(self, directory: Path) -> tuple[set[Path], set[Path]]:
        dirs: set[Path] = set()
        files: set[Path] = set()
        todo = [directory.resolve()]
        while todo:
            current = todo.pop()
            if current in dirs:
                continue
            node = self.at(current)
            if node is None:
                continue
            dirs.add(current)
            found = self._reads.get(current)
            if found is None:  # overlays share their bases: each node's paths resolved once a run
                found = ([], [])
                for entry, _, _ in node.refs:
                    path = (current / entry).resolve()
                    found[0 if path.is_dir() else 1].append(path)
                self._reads[current] = found
            todo.extend(found[0])
            files.update(found[1])
        return dirs, files
