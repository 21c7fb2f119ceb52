"""A loaded YAML stream -> K8sObjects: flatten ``kind: List``, reject non-objects as parse-errors."""

from __future__ import annotations

from typing import Callable, Iterable

from ..load import Document, LoadError, YMap, load_text
from ..model import K8sObject, Location
from . import Problem

MakeObject = Callable[[YMap, Document], K8sObject]


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
    where = problem_file or file_label
    problems = [Problem("parse-error", e.message, Location(where, e.line)) for e in errors]
    objects: list[K8sObject] = []
    for doc in docs:
        data = doc.data
        if not isinstance(data, YMap):
            what = "a list" if isinstance(data, list) else f"a scalar ({type(data).__name__})"
            problems.append(
                Problem("parse-error", f"document is {what}, not a Kubernetes object (a mapping)", Location(where, doc.line))
            )
            continue
        kind = data.get("kind")
        if isinstance(kind, str) and kind.endswith("List") and isinstance(data.get("items"), list) and "apiVersion" in data:
            items = data["items"]
            for position, item in enumerate(items):
                line = items.item_line(position)
                if not isinstance(item, YMap):
                    problems.append(
                        Problem("parse-error", f"{kind} item {position} is not a Kubernetes object (a mapping)", Location(where, line))
                    )
                    continue
                missing = _missing_fields(item)
                if missing:
                    problems.append(
                        Problem("parse-error", f"{kind} item {position} lacks {', '.join(missing)}", Location(where, line))
                    )
                    continue
                objects.append(make(item, doc))
            continue
        missing = _missing_fields(data)
        if missing:
            problems.append(
                Problem(
                    "parse-error",
                    f"document lacks {', '.join(missing)}: not a Kubernetes object",
                    Location(where, doc.line),
                )
            )
            continue
        objects.append(make(data, doc))
    return objects, problems


def parse_stream(text: str, file_label: str, make: MakeObject, problem_file: str | None = None):
    docs, errors = load_text(text)
    return objects_from_documents(docs, errors, file_label, make, problem_file)
