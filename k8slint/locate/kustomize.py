"""Kustomize provenance: the base line, patch, or kustomization entry behind a rendered field.

kustomize's build metadata names the file an object came from (its origin) and the kustomization
files whose transformers ran over the resource set it was in - not which of them changed this
object. So every patch is matched here by its own identity: a strategic-merge patch by its kind
and name (or a name the object had before a ``namePrefix``/``nameSuffix``), a ``target:`` by
group, version, kind, name and namespace (regular expressions anchored as kustomize anchors
them), ``labelSelector`` and ``annotationSelector``. A patch owns a field only if it writes it:
JSON 6902 operations by path, strategic-merge patches by their own key path (list items matched
by merge key; ``kind``/``metadata.name`` only say whom they patch). A scalar belongs to the last
writer (base, patch, ``images:``, ``namespace:``, labels, replicas, replacements); a mapping or
list item - a finding about what it lacks - to the first source that has it, the base, unless an
operation later replaced it whole.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import Any

from ..load import YList, YMap, load_text
from ..model import K8sObject, Location
from ..documents import SourceCache, image_name, item_key, node_line, value_at, walk

PREFIX_KINDS = ("PrefixTransformer", "SuffixTransformer", "PrefixSuffixTransformer")
IDENTITY = (("kind",), ("apiVersion",), ("metadata", "name"), ("metadata", "namespace"))
_BLOCK_START = re.compile(r"(?::|^\s*-)\s*[|>][0-9+-]*\s*(?:#.*)?$")
_REQUIREMENT = re.compile(r"^\s*(!)?\s*([\w./-]+)\s*(?:(==|=|!=)\s*([\w./-]*)|\s+(in|notin)\s*\(([^)]*)\))?\s*$")


@dataclass
class Patch:
    """One patch document: a strategic-merge patch (YMap) or a list of JSON 6902 operations (YList)."""

    file: str  # the file holding its text
    data: Any
    offset: int  # added to the data's lines (a patch written inline in a kustomization)
    target: dict | None  # the entry's target: selector
    line: int  # the kustomization entry


@dataclass
class _Writer:
    location: Location
    replaces: bool  # it set the whole node (a JSON 6902 add/replace at or above the path)


def _regex_match(pattern: str, value: str) -> bool:
    """kustomize's anchored match, in linear time like kustomize's own RE2 (k8slint.regex); a pattern
    RE2 cannot run is compared as text."""
    from .. import regex

    try:
        return regex.fullmatch(pattern, value)
    except regex.PatternError:
        return pattern == value


def _split_selector(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return [p for p in parts if p.strip()]


def selector_matches(text: str, labels: dict) -> bool:
    """A Kubernetes label selector ('app=web,tier in (a,b),!legacy') against labels."""
    have = {str(k): str(v) for k, v in labels.items()}
    for requirement in _split_selector(text):
        found = _REQUIREMENT.match(requirement)
        if not found:
            continue  # kustomize accepted it; a form not read here does not exclude
        negated, key, op, value, set_op, values = found.groups()
        if negated:
            if key in have:
                return False
        elif op in ("=", "=="):
            if have.get(key) != value:
                return False
        elif op == "!=":
            if have.get(key) == value:
                return False
        elif set_op == "in":
            if have.get(key) not in {v.strip() for v in values.split(",")}:
                return False
        elif set_op == "notin":
            if key in have and have[key] in {v.strip() for v in values.split(",")}:
                return False
        elif key not in have:
            return False
    return True


def _pointer(text: str) -> list[str]:
    return [part.replace("~1", "/").replace("~0", "~") for part in text.split("/")[1:]]


class KustomizeProvenance:
    def __init__(self, cache: SourceCache) -> None:
        self.cache = cache

    # -- reading kustomizations -------------------------------------------------------------
    def kustomization(self, kfile: str) -> YMap | None:
        docs = self.cache.docs(kfile)
        return docs[0].data if docs and isinstance(docs[0].data, YMap) else None

    def patches(self, kfile: str) -> list[Patch]:
        """The patches of a kustomization in the order kustomize applies them, read once."""
        key = ("kustomize-patches", kfile)
        if key not in self.cache.memo:
            self.cache.memo[key] = self._read_patches(kfile)
        return self.cache.memo[key]

    def _read_patches(self, kfile: str) -> list[Patch]:
        data = self.kustomization(kfile)
        out: list[Patch] = []
        if data is None:
            return out
        base = posixpath.dirname(kfile)
        for field in ("patchesStrategicMerge", "patches", "patchesJson6902"):
            entries = data.get(field)
            if not isinstance(entries, YList):
                continue
            for position, entry in enumerate(entries):
                line = entries.item_line(position)
                if isinstance(entry, str):
                    if "\n" in entry or not entry.strip().endswith((".yaml", ".yml", ".json")):
                        out.extend(self._inline(kfile, entry, line, None))
                    else:
                        out.extend(self._from_file(_join(base, entry), None, line))
                elif isinstance(entry, YMap):
                    target = entry.get("target") if isinstance(entry.get("target"), dict) else None
                    if isinstance(entry.get("path"), str):
                        out.extend(self._from_file(_join(base, entry["path"]), target, line))
                    elif isinstance(entry.get("patch"), str):
                        out.extend(self._inline(kfile, entry["patch"], entry.key_line("patch"), target))
        return out

    def _inline(self, kfile: str, text: str, line: int, target: dict | None) -> list[Patch]:
        """A patch written in the kustomization: its lines count from the block scalar's first line."""
        lines = self.cache.lines(kfile)
        block = 0 < line <= len(lines) and _BLOCK_START.search(lines[line - 1])
        offset = line if block else line - 1
        docs, _ = load_text(text)
        return [Patch(kfile, d.data, offset, target, line) for d in docs if isinstance(d.data, (YMap, YList))]

    def _from_file(self, rel: str, target: dict | None, line: int) -> list[Patch]:
        return [Patch(rel, d.data, 0, target, line) for d in self.cache.docs(rel) if isinstance(d.data, (YMap, YList))]

    # -- identity ----------------------------------------------------------------------------------
    def names(self, obj: K8sObject) -> tuple:
        """The rendered name and each name the object had before a namePrefix/nameSuffix."""
        name = obj.name
        out = [name]
        for kfile, kind in reversed(obj.transformers):
            if kind not in PREFIX_KINDS:
                continue
            data = self.kustomization(kfile)
            if data is None:
                continue
            prefix, suffix = data.get("namePrefix"), data.get("nameSuffix")
            if kind != "SuffixTransformer" and isinstance(prefix, str) and prefix and name.startswith(prefix):
                name = name[len(prefix):]
            if kind != "PrefixTransformer" and isinstance(suffix, str) and suffix and name.endswith(suffix):
                name = name[: -len(suffix)]
            out.append(name)
        return tuple(dict.fromkeys(out))

    def base(self, obj: K8sObject, names: tuple) -> Any:
        if not obj.origin or obj.origin_generator:
            return None
        return self.cache.find(obj.origin, obj, names)

    def selects(self, target: dict, obj: K8sObject, names: tuple, base: Any) -> bool:
        group, _, version = obj.api_version.rpartition("/")
        base_meta = base.get("metadata") if isinstance(base, dict) else None
        base_meta = base_meta if isinstance(base_meta, dict) else {}
        namespaces = [n for n in (obj.namespace, base_meta.get("namespace")) if isinstance(n, str)]
        for key, values in (("group", [group]), ("version", [version]), ("kind", [obj.kind]), ("name", list(names)),
                            ("namespace", namespaces)):
            wanted = target.get(key)
            if wanted in (None, ""):
                continue
            if not any(_regex_match(str(wanted), value) for value in values):
                return False
        for key, have in (("labelSelector", obj.labels()), ("annotationSelector", obj.annotations())):
            selector = target.get(key)
            if isinstance(selector, str) and selector.strip() and not selector_matches(selector, have):
                return False
        return True

    def _own(self, patch: Patch, obj: K8sObject, names: tuple, base: Any) -> bool:
        """Whether a strategic-merge patch document is for this object (by target:, else its own kind/name)."""
        if patch.target is not None:
            return self.selects(patch.target, obj, names, base)
        data = patch.data
        meta = data.get("metadata")
        name = meta.get("name") if isinstance(meta, dict) else None
        return data.get("kind") == obj.kind and isinstance(name, str) and name in names

    # -- who wrote a path ---------------------------------------------------------------------------
    def locate(self, obj: K8sObject, path: tuple, part: str = "") -> Location | None:
        names = self.names(obj)
        base = self.base(obj, names)
        base_line, base_depth = walk(base, path, obj.data) if base is not None else (None, 0)
        writers: list[_Writer] = []
        for kfile in dict.fromkeys(k for k, _ in obj.transformers):
            writers.extend(self._writers(kfile, obj, path, part, names, base))
        found, value = value_at(obj.data, path)
        leaf = bool(path) and found and not isinstance(value, dict) and not (
            isinstance(value, list) and any(isinstance(item, dict) for item in value))
        base_full = base is not None and base_depth == len(path) and base_line is not None
        if leaf:
            if writers:
                return writers[-1].location
            if base_full:
                return Location(obj.origin, base_line)
        else:
            replaced = [w for w in writers if w.replaces]
            if replaced:
                return replaced[-1].location
            if base_full:
                return Location(obj.origin, base_line)
            if writers:
                return writers[0].location
        if base is not None:
            return Location(obj.origin, base_line or 1)
        return None

    def _writers(self, kfile: str, obj: K8sObject, path: tuple, part: str, names: tuple, base: Any) -> list[_Writer]:
        out: list[_Writer] = []
        for patch in self.patches(kfile):
            found = self._patch_writes(patch, obj, path, names, base)
            if found is not None:
                out.append(found)
        data = self.kustomization(kfile)
        if data is None:
            return out
        if path == ("metadata", "namespace") and "namespace" in data:
            out.append(_Writer(Location(kfile, data.key_line("namespace")), True))
        if len(path) >= 2 and isinstance(path[-1], str) and (path[-2] in ("labels", "matchLabels", "annotations")
                                                             or path[:-1] == ("spec", "selector")):
            fields = ("commonAnnotations",) if path[-2] == "annotations" else ("commonLabels", "labels")
            for field in fields:
                line = _label_line(data.get(field), path[-1])
                if line:
                    out.append(_Writer(Location(kfile, line), True))
        if path == ("spec", "replicas") and isinstance(data.get("replicas"), YList):
            entries = data["replicas"]
            for position, entry in enumerate(entries):
                if isinstance(entry, YMap) and entry.get("name") in names:
                    out.append(_Writer(Location(kfile, entry.key_line("count") if "count" in entry else entries.item_line(position)), True))
        if path and path[-1] == "image":
            found = self._image_entry(kfile, data, obj, path, part)
            if found is not None:
                out.append(_Writer(found, True))
        for location in self._replacements(kfile, data, obj, path, names, base):
            out.append(_Writer(location, True))
        return out

    def _patch_writes(self, patch: Patch, obj: K8sObject, path: tuple, names: tuple, base: Any) -> _Writer | None:
        data = patch.data
        if isinstance(data, YList):  # JSON 6902 operations
            if patch.target is None or not self.selects(patch.target, obj, names, base):
                return None
            best = None
            for position, op in enumerate(data):
                if not isinstance(op, YMap) or not isinstance(op.get("path"), str) or op.get("op") in ("remove", "test"):
                    continue
                steps = _pointer(op["path"])
                if not _covers(steps, path, obj.data, base, op.get("value")):
                    continue
                rest = path[len(steps):]
                value = op.get("value")
                line = op.key_line("value") if "value" in op else data.item_line(position)
                if not rest:
                    line = node_line(value, line)
                elif isinstance(value, (YMap, YList)):
                    inner_line, _ = walk(value, rest, value_at(obj.data, path[:len(steps)])[1])
                    line = inner_line or line
                best = _Writer(Location(patch.file, line + patch.offset), True)
            return best
        if not isinstance(data, YMap) or data.get("$patch") == "delete" or tuple(path[:2]) in IDENTITY or tuple(path[:1]) in IDENTITY:
            return None
        if not self._own(patch, obj, names, base):
            return None
        line, depth = walk(data, path, obj.data)
        if depth == len(path) and line:
            return _Writer(Location(patch.file, line + patch.offset), False)
        return None

    def _image_entry(self, kfile: str, data: YMap, obj: K8sObject, path: tuple, part: str) -> Location | None:
        """The ``images:`` entry that set this image (its newTag/digest for a tag, newName for a name)."""
        images = data.get("images")
        found, value = value_at(obj.data, path)
        if not isinstance(images, YList) or not found or not isinstance(value, str):
            return None
        name = image_name(value)
        keys = {"tag": ("digest", "newTag"), "repository": ("newName",)}.get(part, ("digest", "newTag", "newName", "name"))
        for entry in images:
            if not isinstance(entry, YMap):
                continue
            produced = entry.get("newName") or entry.get("name")
            if produced != name and entry.get("name") != name:
                continue
            for key in keys:
                if key in entry:
                    return Location(kfile, entry.key_line(key))
            return None  # the entry does not set that part: the base does
        return None

    def _replacements(self, kfile: str, data: YMap, obj: K8sObject, path: tuple, names: tuple, base: Any) -> list[Location]:
        entries = data.get("replacements")
        if not isinstance(entries, YList):
            return []
        out = []
        folder = posixpath.dirname(kfile)
        for position, entry in enumerate(entries):
            if not isinstance(entry, YMap):
                continue
            if isinstance(entry.get("path"), str):
                rel = _join(folder, entry["path"])
                docs = [d.data for d in self.cache.docs(rel)]
                groups = [(rel, item) for doc in docs for item in (doc if isinstance(doc, YList) else [doc]) if isinstance(item, YMap)]
            else:
                groups = [(kfile, entry)]
            for rel, replacement in groups:
                targets = replacement.get("targets")
                if not isinstance(targets, YList):
                    continue
                for target in targets:
                    select = target.get("select") if isinstance(target, YMap) else None
                    field_paths = target.get("fieldPaths") if isinstance(target, YMap) else None
                    if not isinstance(select, dict) or not isinstance(field_paths, YList):
                        continue
                    if not self.selects(select, obj, names, base):
                        continue
                    for index, field_path in enumerate(field_paths):
                        if isinstance(field_path, str) and _field_path_matches(field_path, path, obj.data):
                            out.append(Location(rel, field_paths.item_line(index)))
        return out

    # -- generators ----------------------------------------------------------------------------------
    def generator(self, obj: K8sObject, path: tuple) -> Location:
        """The configMapGenerator/secretGenerator entry (and its literal or file) that made the object."""
        kfile = obj.origin
        data = self.kustomization(kfile)
        if data is None:
            return Location(kfile, 1)
        names = self.names(obj)
        candidates = []
        for key in ("secretGenerator", "configMapGenerator"):
            entries = data.get(key)
            if not isinstance(entries, YList):
                continue
            for position, entry in enumerate(entries):
                name = entry.get("name") if isinstance(entry, YMap) else None
                if isinstance(name, str) and any(n == name or n.startswith(name + "-") for n in names):
                    candidates.append((len(name), entries, position, entry))
        if not candidates:
            return Location(kfile, 1)
        _, entries, position, entry = max(candidates, key=lambda c: c[0])
        if len(path) >= 2 and path[0] in ("data", "stringData", "binaryData"):
            wanted = str(path[1])
            for list_key in ("literals", "files", "envs"):
                items = entry.get(list_key)
                if isinstance(items, YList):
                    for i, item in enumerate(items):
                        if isinstance(item, str) and (item.startswith(wanted + "=") or item == wanted
                                                      or item.endswith("/" + wanted) or item.startswith(wanted + ".")):
                            return Location(kfile, items.item_line(i))
        return Location(kfile, entries.item_line(position))


def _join(base: str, rel: str) -> str:
    return posixpath.normpath(posixpath.join(base, rel)) if base else posixpath.normpath(rel)


def _covers(steps: list[str], path: tuple, rendered: Any, base: Any, value: Any) -> bool:
    """Whether a JSON pointer is ``path`` or one of its ancestors. A list index names the item that
    stood there in the base (patches applied later may have moved it), matched by its merge key;
    '-' is the item the operation appended."""
    if len(steps) > len(path):
        return False
    node, before = rendered, base
    for depth, (step, want) in enumerate(zip(steps, path)):
        if isinstance(want, int):
            items = node if isinstance(node, list) else []
            current = item_key(items[want]) if 0 <= want < len(items) else None
            if step == "-":
                added = item_key(value) if len(steps) == depth + 1 else None
                if not (added is not None and added == current) and want != len(items) - 1:
                    return False
                before = None
            elif not step.isdigit():
                return False
            else:
                index = int(step)
                was = before[index] if isinstance(before, list) and 0 <= index < len(before) else None
                if item_key(was) is not None and current is not None:
                    if item_key(was) != current:
                        return False
                elif index != want:
                    return False
                before = was
            node = items[want] if 0 <= want < len(items) else None
        else:
            if step != want:
                return False
            node = node.get(want) if isinstance(node, dict) else None
            before = before.get(want) if isinstance(before, dict) else None
    return True


def _label_line(field: Any, key: str) -> int | None:
    if isinstance(field, YMap) and key in field:
        return field.key_line(key)
    if isinstance(field, YList):  # labels: [{pairs: {...}}]
        for entry in field:
            pairs = entry.get("pairs") if isinstance(entry, YMap) else None
            if isinstance(pairs, YMap) and key in pairs:
                return pairs.key_line(key)
    return None


def _field_path_matches(field_path: str, path: tuple, rendered: Any) -> bool:
    """A replacement fieldPath ('spec.template.spec.containers.[name=app].image') against a path."""
    parts = [p for p in re.split(r"\.(?![^\[]*\])", field_path) if p]
    if len(parts) != len(path):
        return False
    node = rendered
    for part, step in zip(parts, path):
        selector = re.fullmatch(r"\[(.+?)=(.*)\]", part)
        if isinstance(step, int):
            item = node[step] if isinstance(node, list) and 0 <= step < len(node) else None
            if selector:
                if not isinstance(item, dict) or str(item.get(selector.group(1))) != selector.group(2):
                    return False
            elif part not in (str(step), "*"):
                return False
            node = item
        else:
            if part not in (step, "*"):
                return False
            node = node.get(step) if isinstance(node, dict) else None
    return True
