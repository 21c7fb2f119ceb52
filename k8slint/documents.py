"""Source files of a run (kustomizations, patches, values files, templates), each read and parsed
at most once and shared by every finding, and the walk of a path down a line-aware document."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .load import Document, YList, YMap, decode, load_text
from .model import K8sObject

# keys that identify a list item the way strategic merge does (name first: containers, env, volumes...)
MERGE_KEYS = ("name", "mountPath", "containerPort", "devicePath", "ip")


class SourceCache:
    """Parsed source files (repo-relative path -> documents), each read at most once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._docs: dict[str, list[Document]] = {}
        self._errors: dict[str, list] = {}
        self._lines: dict[str, list[str]] = {}
        self._index: dict[str, dict] = {}
        self._clean: set[str] = set()  # files parsed from non-empty text with no loader error
        self.memo: dict[Any, Any] = {}  # derived data the locators build once per file (patch lists, template skeletons)

    def find(self, rel: str, obj: K8sObject, names: tuple = ()) -> Any:
        """The document of ``rel`` that ``obj`` was made from: by kind and name (the rendered name or
        one of ``names``, the names it had before a namePrefix/nameSuffix), indexed once per file."""
        index = self._index.get(rel)
        if index is None:
            index = {}
            for doc in self.docs(rel):
                data = doc.data
                if isinstance(data, dict):
                    meta = data.get("metadata")
                    name = meta.get("name") if isinstance(meta, dict) else None
                    index.setdefault((data.get("kind"), name), data)
                    index[(data.get("kind"), "#count")] = index.get((data.get("kind"), "#count"), 0) + 1
            self._index[rel] = index
        for name in (obj.name, *names):
            exact = index.get((obj.kind, name))
            if exact is not None:
                return exact
        return find_doc(self.docs(rel), obj) if index.get((obj.kind, "#count"), 0) > 0 else None

    def docs(self, rel: str) -> list[Document]:
        if rel not in self._docs:
            text = self.text(rel)
            self._docs[rel], self._errors[rel] = load_text(text) if text else ([], [])
            if text and not self._errors[rel]:
                self._clean.add(rel)
        return self._docs[rel]

    def parsed(self, rel: str) -> list[Document] | None:
        """The documents of ``rel`` if this run has already parsed it and the loader refused
        nothing in it (so they are the whole stream, in order), else None; never parses. A file
        that both GitOps discovery and a plain target read is parsed once."""
        return self._docs[rel] if rel in self._clean else None

    def errors(self, rel: str) -> list:
        """The loader's errors for ``rel`` (LoadError: message, line), from the same single parse."""
        self.docs(rel)
        return self._errors.get(rel, [])

    def text(self, rel: str) -> str:
        path = self.root / rel
        try:
            if path.stat().st_size > 20_000_000:
                return ""
            text, _ = decode(path.read_bytes())
        except OSError:
            return ""
        return text or ""

    def lines(self, rel: str) -> list[str]:
        if rel not in self._lines:
            self._lines[rel] = self.text(rel).splitlines()
        return self._lines[rel]


def item_key(item: Any) -> tuple | None:
    """(merge key, value) of a rendered list item, e.g. ('name', 'web'); None for items without one."""
    if isinstance(item, dict):
        for key in MERGE_KEYS:
            value = item.get(key)
            if isinstance(value, (str, int)) and not isinstance(value, bool):
                return key, value
    return None


def node_line(node: Any, fallback: int | None) -> int | None:
    """The line that stands for a whole list item or mapping: its ``name:`` key when it has one
    (a container's ``- name:`` line, even when ``command:`` comes first), else where it starts."""
    if isinstance(node, YMap) and "name" in node:
        return node.key_line("name")
    return fallback


def walk(doc: Any, path: tuple, rendered: Any = None, skip: int = 0) -> tuple[int | None, int]:
    """Follow ``path`` into a line-aware document.

    List items are matched by their merge key (``name``, ``mountPath``...; as strategic merge does)
    when the rendered object's item has one, else by index. A path that ends on a list item gives
    the item's ``name:`` line. Returns (line of the deepest element reached, how many path steps
    were matched). ``skip``: steps of ``path`` already walked in ``rendered`` (it is the node there).
    """
    node, shadow = doc, rendered
    line = doc.line if isinstance(doc, (YMap, YList)) else None
    for depth, step in enumerate(path):
        if depth < skip:
            continue
        if isinstance(node, YMap) and isinstance(step, str):
            if step not in node:
                return line, depth
            line = node.key_line(step)
            node = node[step]
            shadow = shadow.get(step) if isinstance(shadow, dict) else None
        elif isinstance(node, YList) and isinstance(step, int):
            wanted = item_key(shadow[step]) if isinstance(shadow, list) and 0 <= step < len(shadow) else None
            index = step
            if wanted is not None:
                key, value = wanted
                index = next((i for i, item in enumerate(node) if isinstance(item, dict) and item.get(key) == value), -1)
            if not 0 <= index < len(node):
                return line, depth
            line = node.item_line(index)
            node = node[index]
            shadow = shadow[step] if isinstance(shadow, list) and 0 <= step < len(shadow) else None
            if depth == len(path) - 1:
                line = node_line(node, line)
        else:
            return line, depth
    return line, len(path)


def value_at(data: Any, path: tuple) -> tuple[bool, Any]:
    """(found, value) of ``path`` in plain data."""
    node = data
    for step in path:
        if isinstance(node, dict) and isinstance(step, str) and step in node:
            node = node[step]
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
        else:
            return False, None
    return True, node


def _same_object(doc: Any, obj: K8sObject, strict: bool) -> bool:
    if not isinstance(doc, dict) or doc.get("kind") != obj.kind:
        return False
    meta = doc.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    if not isinstance(name, str):
        return not strict
    return name == obj.name or (not strict and name in obj.name)


def _name(doc: dict) -> str:
    meta = doc.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    return name if isinstance(name, str) else ""


def find_doc(docs: list[Document], obj: K8sObject) -> Any:
    """The document of ``obj``: same kind and name, else the longest name inside the rendered one
    (a prefix or suffix added), else the only document of the kind."""
    exact = [d.data for d in docs if _same_object(d.data, obj, True)]
    if exact:
        return exact[0]
    loose = [d.data for d in docs if _same_object(d.data, obj, False)]
    if loose:
        return max(loose, key=lambda d: len(_name(d)))
    same_kind = [d.data for d in docs if isinstance(d.data, dict) and d.data.get("kind") == obj.kind]
    return same_kind[0] if len(same_kind) == 1 else None


def image_name(image: str) -> str:
    """'ghcr.io/a/b:v1@sha256:..' -> 'ghcr.io/a/b'."""
    image = image.split("@", 1)[0]
    slash = image.rfind("/")
    colon = image.rfind(":")
    return image[:colon] if colon > slash else image
