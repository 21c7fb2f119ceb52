"""Map (object, path inside it) to the source file and line a person should edit.

Order of evidence: the kustomization ``images:`` entry that set an image; a patch that set
the field; the field in the object's origin file (base manifest, Helm template); the
generator entry that produced the object; and last the rendered stream.
Source files are parsed once per run and shared by every finding.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .load import Document, YList, YMap, decode, load_text
from .model import K8sObject, Location


class SourceCache:
    """Parsed source files (repo-relative path -> documents), each read at most once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._docs: dict[str, list[Document]] = {}
        self._lines: dict[str, list[str]] = {}
        self._index: dict[str, dict] = {}

    def find(self, rel: str, obj: K8sObject) -> Any:
        """The document of ``rel`` that ``obj`` was made from (by kind and name), indexed once per file."""
        index = self._index.get(rel)
        if index is None:
            index = {}
            for doc in self.docs(rel):
                data = doc.data
                if isinstance(data, dict):
                    meta = data.get("metadata")
                    name = meta.get("name") if isinstance(meta, dict) else None
                    index.setdefault((data.get("kind"), name), data)
                    index.setdefault((data.get("kind"), None), data)
                    index[(data.get("kind"), "#count")] = index.get((data.get("kind"), "#count"), 0) + 1
            self._index[rel] = index
        exact = index.get((obj.kind, obj.name))
        if exact is not None:
            return exact
        return find_doc(self.docs(rel), obj) if index.get((obj.kind, "#count"), 0) > 0 else None

    def docs(self, rel: str) -> list[Document]:
        if rel not in self._docs:
            text = self.text(rel)
            self._docs[rel] = load_text(text)[0] if text else []
        return self._docs[rel]

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


def walk(doc: Any, path: tuple, rendered: Any = None) -> tuple[int | None, int]:
    """Follow ``path`` into a line-aware document.

    List items are matched by their ``name`` (as strategic merge does) when the rendered
    object's item has one, else by index. Returns (line of the deepest element reached,
    how many path steps were matched).
    """
    node, shadow = doc, rendered
    line = doc.line if isinstance(doc, (YMap, YList)) else None
    for depth, step in enumerate(path):
        if isinstance(node, YMap) and isinstance(step, str):
            if step not in node:
                return line, depth
            line = node.key_line(step)
            node = node[step]
            shadow = shadow.get(step) if isinstance(shadow, dict) else None
        elif isinstance(node, YList) and isinstance(step, int):
            wanted = None
            if isinstance(shadow, list) and 0 <= step < len(shadow) and isinstance(shadow[step], dict):
                wanted = shadow[step].get("name")
            index = step
            if wanted is not None:
                index = next((i for i, item in enumerate(node) if isinstance(item, dict) and item.get("name") == wanted), -1)
            if not 0 <= index < len(node):
                return line, depth
            line = node.item_line(index)
            node = node[index]
            shadow = shadow[step] if isinstance(shadow, list) and 0 <= step < len(shadow) else None
        else:
            return line, depth
    return line, len(path)


def _same_object(doc: Any, obj: K8sObject, strict: bool) -> bool:
    if not isinstance(doc, dict) or doc.get("kind") != obj.kind:
        return False
    meta = doc.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    if not isinstance(name, str):
        return not strict
    return name == obj.name or (not strict and name in obj.name)


def find_doc(docs: list[Document], obj: K8sObject) -> Any:
    for strict in (True, False):
        matches = [d.data for d in docs if _same_object(d.data, obj, strict)]
        if len(matches) >= 1:
            return matches[0]
    same_kind = [d.data for d in docs if isinstance(d.data, dict) and d.data.get("kind") == obj.kind]
    return same_kind[0] if len(same_kind) == 1 else None


def image_name(image: str) -> str:
    """'ghcr.io/a/b:v1@sha256:..' -> 'ghcr.io/a/b'."""
    image = image.split("@", 1)[0]
    slash = image.rfind("/")
    colon = image.rfind(":")
    return image[:colon] if colon > slash else image


class Locator:
    def __init__(self, cache: SourceCache, target_file: str) -> None:
        self.cache = cache
        self.target_file = target_file  # where problems with no better place point

    def locate(self, obj: K8sObject, path: tuple) -> Location:
        if obj.transformers and path:
            found = self._from_images(obj, path) or self._from_patches(obj, path)
            if found:
                return found
        if obj.origin and not obj.origin_generator:
            found = self._from_origin(obj, path)
            if found:
                return found
        if obj.origin_generator and obj.origin:
            return self._from_generator(obj, path)
        line, _ = walk(obj.data, path)
        if obj.origin is None and obj.stream_file.endswith("(rendered)"):
            return Location(self.target_file, 1)
        return Location(obj.stream_file, line or 1)

    def rendered(self, obj: K8sObject, path: tuple) -> Location:
        line, _ = walk(obj.data, path)
        return Location(obj.stream_file, line or 1)

    def place(self, obj: K8sObject, path: tuple) -> tuple[Location, Location | None]:
        """The source location, and the rendered one when it differs (None when it is the same)."""
        if (obj.origin == obj.stream_file and not obj.transformers and not obj.origin_generator
                and obj.helm_template is None):  # a plain file is its own source: one walk, not two
            line, _ = walk(obj.data, path)
            return Location(obj.origin, line or 1), None
        location = self.locate(obj, path)
        rendered = self.rendered(obj, path)
        return location, (None if rendered == location else rendered)

    # -- kustomize images: entries -------------------------------------------------------
    def _from_images(self, obj: K8sObject, path: tuple) -> Location | None:
        if path[-1] != "image":
            return None
        value = obj.data
        for step in path:
            try:
                value = value[step]
            except (KeyError, IndexError, TypeError):
                return None
        if not isinstance(value, str):
            return None
        name = image_name(value)
        for kfile, kind in reversed(obj.transformers):
            if kind != "ImageTagTransformer":
                continue
            for doc in self.cache.docs(kfile):
                images = doc.data.get("images") if isinstance(doc.data, dict) else None
                if not isinstance(images, YList):
                    continue
                for position, entry in enumerate(images):
                    if not isinstance(entry, YMap):
                        continue
                    produced = entry.get("newName") or entry.get("name")
                    if produced != name and entry.get("name") != name:
                        continue
                    for key in ("digest", "newTag", "newName", "name"):
                        if key in entry:
                            return Location(kfile, entry.key_line(key))
                    return Location(kfile, images.item_line(position))
        return None

    # -- kustomize patches ------------------------------------------------------------------
    def _from_patches(self, obj: K8sObject, path: tuple) -> Location | None:
        for kfile, kind in reversed(obj.transformers):
            if kind not in ("PatchTransformer", "PatchStrategicMergeTransformer", "PatchJson6902Transformer"):
                continue
            found = self._search_kustomization_patches(kfile, obj, path)
            if found:
                return found
        return None

    def _search_kustomization_patches(self, kfile: str, obj: K8sObject, path: tuple) -> Location | None:
        base = Path(kfile).parent
        for doc in self.cache.docs(kfile):
            data = doc.data if isinstance(doc.data, YMap) else None
            if data is None:
                continue
            candidates: list[tuple[str | None, Any, Any]] = []  # (file, patch data, inline line holder)
            for key in ("patches", "patchesStrategicMerge", "patchesJson6902"):
                entries = data.get(key)
                if not isinstance(entries, YList):
                    continue
                for entry in entries:
                    if isinstance(entry, str):
                        if "\n" in entry or ":" in entry and not entry.endswith((".yaml", ".yml", ".json")):
                            candidates.append((kfile, None, None))
                        else:
                            candidates.append(((base / entry).as_posix(), None, None))
                    elif isinstance(entry, YMap):
                        if isinstance(entry.get("path"), str):
                            candidates.append(((base / entry["path"]).as_posix(), entry.get("target"), None))
                        elif isinstance(entry.get("patch"), str):
                            candidates.append((kfile, entry.get("target"), entry))
            for rel, target, inline in reversed(candidates):
                if inline is not None:
                    if _target_matches(target, obj) and _mentions(inline["patch"], path):
                        return Location(kfile, inline.key_line("patch"))
                    continue
                rel = _normalize(rel)
                for patch in self.cache.docs(rel):
                    pdata = patch.data
                    if isinstance(pdata, YList):  # JSON 6902 operations
                        if not _target_matches(target, obj):
                            continue
                        pointer = "/" + "/".join(str(p) for p in path)
                        for position, op in enumerate(pdata):
                            if isinstance(op, YMap) and isinstance(op.get("path"), str) and pointer.startswith(op["path"]):
                                return Location(rel, pdata.item_line(position))
                        continue
                    if not isinstance(pdata, YMap):
                        continue
                    if target is None and not _same_object(pdata, obj, strict=False):
                        continue
                    if target is not None and not _target_matches(target, obj):
                        continue
                    line, depth = walk(pdata, path, obj.data)
                    if depth == len(path) and line:
                        return Location(rel, line)
        return None

    # -- origin file ------------------------------------------------------------------------
    def _from_origin(self, obj: K8sObject, path: tuple) -> Location | None:
        if obj.helm_template is not None:
            return self._from_template(obj, path)
        if obj.origin == obj.stream_file:  # a plain file: the object is its own source
            line, _ = walk(obj.data, path)
            return Location(obj.origin, line or 1)
        doc = self.cache.find(obj.origin, obj)
        if doc is None:
            return None
        line, _ = walk(doc, path, obj.data)
        return Location(obj.origin, line or 1)

    def _from_template(self, obj: K8sObject, path: tuple) -> Location:
        """Helm templates are not YAML; follow the path's keys down the template text."""
        lines = self.cache.lines(obj.origin)
        keys = [step for step in path if isinstance(step, str)]
        position = 0
        best = 1
        kind_re = re.compile(rf"^kind:\s*['\"]?{re.escape(obj.kind)}['\"]?\s*$")
        kinds = [number for number, text in enumerate(lines) if kind_re.match(text)]
        if kinds:  # the n-th object of this kind the template rendered stands at its n-th kind: line
            position = kinds[min(obj.helm_ordinal, len(kinds) - 1)]
            best = position + 1
        end = next((i for i in range(position + 1, len(lines)) if lines[i].startswith("---")), len(lines))
        if keys[:1] == ["apiVersion"]:  # it usually stands just above kind:
            for index in range(position - 1, max(position - 4, -1), -1):
                if re.match(r"^apiVersion\s*:", lines[index]):
                    return Location(obj.origin, index + 1)
        for key in keys:
            pattern = re.compile(rf"^\s*(?:-\s+)?{re.escape(key)}\s*:")
            for index in range(position, end):
                if pattern.match(lines[index]):
                    position, best = index + 1, index + 1
                    break
            else:
                break
        return Location(obj.origin, best)

    # -- generators -------------------------------------------------------------------------
    def _from_generator(self, obj: K8sObject, path: tuple) -> Location:
        kfile = obj.origin
        for doc in self.cache.docs(kfile):
            data = doc.data if isinstance(doc.data, YMap) else None
            if data is None:
                continue
            for key in ("secretGenerator", "configMapGenerator"):
                entries = data.get(key)
                if not isinstance(entries, YList):
                    continue
                for position, entry in enumerate(entries):
                    if isinstance(entry, YMap) and isinstance(entry.get("name"), str) and entry["name"] in obj.name:
                        if len(path) >= 2 and path[0] in ("data", "stringData"):
                            wanted = str(path[1])
                            for list_key in ("literals", "files", "envs"):
                                items = entry.get(list_key)
                                if isinstance(items, YList):
                                    for i, item in enumerate(items):
                                        if isinstance(item, str) and (item.startswith(wanted + "=") or item == wanted or item.endswith("/" + wanted) or item.startswith(wanted + ".")):
                                            return Location(kfile, items.item_line(i))
                        return Location(kfile, entries.item_line(position))
        return Location(kfile, 1)


def _normalize(rel: str) -> str:
    parts: list[str] = []
    for part in rel.split("/"):
        if part == ".." and parts and parts[-1] != "..":
            parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return "/".join(parts)


def _target_matches(target: Any, obj: K8sObject) -> bool:
    if not isinstance(target, dict):
        return True
    for key, value in (("kind", obj.kind), ("name", obj.name), ("namespace", obj.namespace)):
        wanted = target.get(key)
        if isinstance(wanted, str) and value is not None:
            try:
                if not re.fullmatch(wanted, value):
                    return False
            except re.error:
                if wanted != value:
                    return False
    return True


def _mentions(patch_text: str, path: tuple) -> bool:
    keys = [step for step in path if isinstance(step, str)]
    return bool(keys) and all(re.search(rf"\b{re.escape(k)}\b", patch_text) for k in keys[-2:])
