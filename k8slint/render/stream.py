"""A loaded YAML stream -> K8sObjects: flatten ``kind: List``, reject non-objects as parse-errors."""

from __future__ import annotations

from itertools import chain
from typing import Callable, Iterable

from ..load import Document, LoadError, YMap, iter_load
from ..model import K8sObject, Location
from . import Problem

MakeObject = Callable[[YMap, Document], K8sObject]
MAX_PARSE_ERRORS = 100  # per stream; the rest are counted in one more problem (700k `--- 1` lines: 859 MB)


def _missing_fields(data: YMap) -> list[str]:
    missing = [key for key in ("apiVersion", "kind") if not isinstance(data.get(key), str) or not data.get(key)]
    meta = data.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    generate = meta.get("generateName") if isinstance(meta, dict) else None
    if not (isinstance(name, str) and name) and not (isinstance(generate, str) and generate):
        missing.append("metadata.name")
    return missing


def objects_from_documents(
    docs: Iterable[Document],
    errors: Iterable[LoadError],
    file_label: str,
    make: MakeObject,
    problem_file: str | None = None,
) -> tuple[list[K8sObject], list[Problem]]:
    """Check each document is a Kubernetes object; ``problem_file`` is where problems point."""
    return _objects(chain(errors, docs), file_label, make, problem_file or file_label)


class _Problems(list):
    """A stream's parse-errors: the first MAX_PARSE_ERRORS, then one that counts the others (so
    documents that are not objects never cost more than their text)."""

    def __init__(self, where: str) -> None:
        super().__init__()
        self.where = where
        self.over: list[int] = []  # lines of the problems not listed: count, first and last

    def add(self, message: str, line: int) -> None:
        if len(self) < MAX_PARSE_ERRORS:
            self.append(Problem("parse-error", message, Location(self.where, line)))
        elif not self.over:
            self.over = [1, line, line]
        else:
            self.over[0] += 1
            self.over[2] = line

    def done(self) -> list[Problem]:
        if self.over:
            count, first, last = self.over
            self.append(Problem("parse-error", f"{count:,} more parse-errors in this stream (lines {first}-{last}); only "
                                f"the first {MAX_PARSE_ERRORS} are listed", Location(self.where, first)))
        return list(self)


def _objects(items: Iterable[Document | LoadError], file_label: str, make: MakeObject, where: str) -> tuple[list[K8sObject], list[Problem]]:
    problems = _Problems(where)
    objects: list[K8sObject] = []
    for doc in items:
        if isinstance(doc, LoadError):
            problems.add(doc.message, doc.line)
            continue
        data = doc.data
        if not isinstance(data, YMap):
            what = "a list" if isinstance(data, list) else f"a scalar ({type(data).__name__})"
            problems.add(f"document is {what}, not a Kubernetes object (a mapping)", doc.line)
            continue
        kind = data.get("kind")
        if isinstance(kind, str) and kind.endswith("List") and isinstance(data.get("items"), list) and "apiVersion" in data:
            items = data["items"]
            for position, item in enumerate(items):
                line = items.item_line(position)
                if not isinstance(item, YMap):
                    problems.add(f"{kind} item {position} is not a Kubernetes object (a mapping)", line)
                    continue
                missing = _missing_fields(item)
                if missing:
                    problems.add(f"{kind} item {position} lacks {', '.join(missing)}", line)
                    continue
                objects.append(make(item, doc))
            continue
        missing = _missing_fields(data)
        if missing:
            problems.add(f"document lacks {', '.join(missing)}: not a Kubernetes object", doc.line)
            continue
        objects.append(make(data, doc))
    return objects, problems.done()


def parse_stream(text: str, file_label: str, make: MakeObject, problem_file: str | None = None,
                 loaded: Iterable[Document | LoadError] | None = None):
    """The objects of a YAML stream and its problems; documents are loaded one at a time and
    dropped once turned into an object or a problem. ``loaded``: what ``iter_load`` makes of
    ``text``, already at hand (a cached answer's kept form, :func:`k8slint.render.cache.loaded`)."""
    return _objects(iter_load(text) if loaded is None else loaded, file_label, make, problem_file or file_label)
