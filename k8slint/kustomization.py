"""What a kustomization file refers to: every local path it names, with its line and key."""

from __future__ import annotations

from typing import Any

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
