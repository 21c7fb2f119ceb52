"""Kubernetes OpenAPI schemas from the ``kubernetes-validate`` package, loaded once, validated fast.

``kubernetes-validate`` ships strict JSON Schemas (unknown fields rejected, like kubeconform
``-strict``) for several Kubernetes minor versions. Calling its ``validate()`` per object
reloads a ~1.8 MB definitions file and rebuilds the validator every time (~20 ms an object).
Here the definitions of a version are indexed once per process and decoded per kind, and one
compiled validator per (Kubernetes version, apiVersion, kind) is built on first use, from that
kind's definitions only, and reused (``STATS`` counts the builds). The index and each kind's
definitions are kept in the user's cache folder, so a later run reads neither the file nor its index. Validation uses ``jsonschema-rs`` (Rust): ``bench/schema_bench.py`` measures it
against ``jsonschema`` on the same objects with the same verdicts.

Nothing here imports ``kubernetes_validate`` itself: its schema folder is found on disk, so
start-up stays light and the package's own heavy imports are never paid.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
from pathlib import Path
from typing import Any

from . import lazyre
from .errors import K8slintError
from .records import record

DEFS_URI = "https://kubernetes.io/api/_definitions.json"
_VERSION = lazyre.compile(r"^v?(\d+)\.(\d+)(?:\.\d+)?$")
_SHIPPED_DIR = re.compile(r"^v(\d+)\.(\d+)\.\d+-local-strict$")

# How many validators were compiled in this process (a unit test proves each is built once).
STATS = {"validators_built": 0}


class VersionError(K8slintError, ValueError):
    """A --kubernetes-version / kubernetes-version: value that is not a version."""


def parse_version(text: str) -> tuple[int, int]:
    """'1.29', 'v1.29', '1.29.3' -> (1, 29)."""
    match = _VERSION.match(str(text).strip())
    if not match:
        raise VersionError(f"kubernetes version {text!r} is not a version like 1.31 (or v1.31.2)")
    return int(match.group(1)), int(match.group(2))


def fmt(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"


def _schema_root() -> Path | None:
    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / "kubernetes-json-schema"


_shipped: list[tuple[tuple[int, int], Path]] | None = None


def shipped_versions() -> list[tuple[tuple[int, int], Path]]:
    """(version, strict schema folder) for every Kubernetes version kubernetes-validate ships, oldest first."""
    global _shipped
    if _shipped is None:
        root = _schema_root()
        found = []
        if root is not None and root.is_dir():
            for child in root.iterdir():
                match = _SHIPPED_DIR.match(child.name)
                if match and (child / "_definitions.json").is_file():
                    found.append(((int(match.group(1)), int(match.group(2))), child))
        _shipped = sorted(found)
    return _shipped


def newest_shipped() -> tuple[int, int]:
    versions = shipped_versions()
    return versions[-1][0] if versions else (1, 37)


def target_version(settings: Any) -> tuple[int, int]:
    """The Kubernetes version a run checks against: settings (flag/config) or the newest shipped."""
    value = getattr(settings, "kubernetes_version", None)
    return parse_version(value) if value else newest_shipped()


def schema_version(target: tuple[int, int]) -> tuple[tuple[int, int] | None, str | None]:
    """The shipped schema version used for ``target``, and a note when it is not the same."""
    versions = [v for v, _ in shipped_versions()]
    if not versions:
        return None, "kubernetes-validate ships no schemas: the schema rule checks nothing"
    if target in versions:
        return target, None
    older = [v for v in versions if v <= target]
    if older:
        chosen = older[-1]
        return chosen, f"Kubernetes {fmt(target)}: schemas of {fmt(chosen)} used (the newest kubernetes-validate ships)"
    chosen = versions[0]
    return chosen, f"Kubernetes {fmt(target)}: schemas of {fmt(chosen)} used (the oldest kubernetes-validate ships)"


# _definitions.json as kubernetes-validate writes it: each definition starts on its own line,
# indented 4 spaces under "$defs", and its group-version-kinds are a key indented 6 spaces.


class Definitions:
    """One Kubernetes version's definitions, read per kind: the 1.8 MB file is indexed by a scan
    of its text (where each definition starts, and every group-version-kind), and a definition
    is decoded only when a validator needs it (a kind and the definitions it refers to). Parsing
    the whole document and registering it with jsonschema-rs cost ~25 ms and ~18 MiB per run,
    even for one object. A file not laid out as expected is decoded whole (``whole``)."""

    def __init__(self, version: tuple[int, int], text: str | None, path: Path | None = None,
                 index: tuple[dict[str, int], dict[tuple[str, str, str], str]] | None = None) -> None:
        self.version = version
        self.whole = False
        self._text = text  # None: read from ``path`` when a definition is first decoded
        self._path = path
        self._decoded: dict[str, dict] = {}
        self.store: Any = None  # the user's cache folder (k8slint.plan.cache), when the run may use it
        self.stamp = ""  # names this file's entries there (see _stamp)
        if index is not None:  # from the cache: checked where a definition is decoded
            self._starts, self.by_gvk = index
        else:
            self._scan()
        self.groups = frozenset(g for g, _, _ in self.by_gvk)

    def _scan(self) -> None:
        text = self.text
        self._decoded = {}
        self._starts: dict[str, int] = {}
        self.by_gvk: dict[tuple[str, str, str], str] = {}  # (group, version, kind) -> definition name
        if not self._index():
            self.whole = True
            document = json.loads(text)
            self._decoded = dict(document["$defs"])
            self._starts = dict.fromkeys(self._decoded, -1)
            self.by_gvk = {}
            for name, schema in self._decoded.items():
                for gvk in schema.get("x-kubernetes-group-version-kind", ()):
                    self._add_gvk(gvk, name)

    @property
    def text(self) -> str:
        if self._text is None:
            assert self._path is not None
            with open(self._path, encoding="utf-8") as handle:
                self._text = handle.read()
        return self._text

    def _add_gvk(self, gvk: dict, name: str) -> None:
        # meta types (DeleteOptions, WatchEvent...) are listed under every group; objects once
        self.by_gvk.setdefault((gvk["group"], gvk["version"], gvk["kind"]), name)

    def _index(self) -> bool:
        import bisect

        text = self._text
        head = '{\n  "$defs": {\n'
        if not text.startswith(head):
            return False
        found: list[tuple[int, str]] = []  # (where the line starts, name) of every definition, in order
        at = len(head) - 1
        while True:  # str.find runs in C: a regex over the 1.8 MB text costs more than json.loads
            at = text.find('\n    "', at)
            if at < 0:
                break
            end = text.find("\n", at + 1)
            line = text[at + 1:end]
            if not (line.endswith('": {') and '"' not in line[5:-4] and "\\" not in line):
                return False
            found.append((at + 1, line[5:-4]))
            at = end
        # consecutive definitions: each but the first starts right after "    }," (its predecessor's end)
        if not found or found[0][0] != len(head) or any(text[start - 8:start] != "\n    },\n" for start, _ in found[1:]):
            return False
        self._starts = {name: start + len(name) + 8 for start, name in found}  # at the definition's "{"
        if len(self._starts) != len(found):
            return False
        offsets = [start for start, _ in found]
        key, at = '\n      "x-kubernetes-group-version-kind": [', 0
        try:
            while True:
                at = text.find(key, at)
                if at < 0:
                    break
                end = text.find("\n      ]", at)
                name = found[bisect.bisect_right(offsets, at) - 1][1]
                for gvk in json.loads(text[at + len(key) - 1:end + 8]):
                    self._add_gvk(gvk, name)
                at = end
        except (ValueError, KeyError, TypeError):
            return False
        return True

    def __contains__(self, name: str) -> bool:
        return name in self._starts

    def schema(self, name: str) -> dict:
        found = self._decoded.get(name)
        if found is None:
            text, start = self.text, self._starts[name]
            if not self.whole and text[start - len(name) - 9:start] != f'\n    "{name}": ':
                self._scan()  # an index from the cache that does not fit the file: made again from it
                self.groups = frozenset(g for g, _, _ in self.by_gvk)
                self._save_index()
                return self.schema(name)
            found, _ = json.JSONDecoder().raw_decode(text, start)
            self._decoded[name] = found
        return found

    def closure(self, name: str) -> dict[str, dict]:
        """``name`` and every definition it refers to, transitively: name -> schema (from the
        user's cache folder when this file's closure of ``name`` is there)."""
        entry = f"{self.stamp}-{name}.json" if self.store is not None and _entry_name(name) else None
        if entry is not None:
            cached = _cached_closure(self.store.read(CACHE_KIND, entry), name)
            if cached is not None:
                return cached
        out = self._closure(name)
        if entry is not None:
            import orjson

            self.store.write(CACHE_KIND, entry, orjson.dumps({"format": CACHE_FORMAT, "$defs": out}), CACHE_KEEP)
        return out

    def _save_index(self) -> None:
        if self.store is not None and not self.whole:
            import orjson

            gvk = [[*key, name] for key, name in self.by_gvk.items()]
            data = orjson.dumps({"format": CACHE_FORMAT, "starts": self._starts, "gvk": gvk})
            self.store.write(CACHE_KIND, f"{self.stamp}.json", data, CACHE_KEEP)

    def _closure(self, name: str) -> dict[str, dict]:
        out: dict[str, dict] = {}
        todo = [name]
        while todo:
            current = todo.pop()
            if current in out or current not in self:
                continue
            stack = [out.setdefault(current, self.schema(current))]
            while stack:
                node = stack.pop()
                if isinstance(node, dict):
                    ref = node.get("$ref")
                    if isinstance(ref, str) and ref.startswith(("#/$defs/", DEFS_URI + "#/$defs/")):
                        todo.append(ref.partition("#/$defs/")[2])
                    stack.extend(v for v in node.values() if isinstance(v, (dict, list)))
                elif isinstance(node, list):
                    stack.extend(v for v in node if isinstance(v, (dict, list)))
        return out


_definitions: dict[tuple[int, int], Definitions] = {}

# The index of a definitions file and each kind's closure, kept in the user's cache folder (a
# run that may use it passes ``store``, :mod:`k8slint.plan.cache`): reading and indexing the
# 1.8 MB file and walking a kind's references cost ~10 ms a run, reading the entries ~1.5 ms.
# Entries are named by k8slint's version and this module's and the file's place, size and change
# time; an entry that does not decode to what is written here is ignored (and written again),
# and a definition is decoded only where the index says its line starts.
CACHE_KIND = "schemas"
CACHE_FORMAT = 1
CACHE_KEEP = 256  # entries: an index per schema version, a closure per kind checked
_ENTRY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")


def _entry_name(name: str) -> bool:
    """A definition name that can be part of a file name as it is (io.k8s.api.apps.v1.Deployment)."""
    return 0 < len(name) <= 200 and not name.startswith(".") and set(name) <= _ENTRY_CHARS


def _stamp(path: Path) -> str:
    from . import __version__
    from .digests import blake2b

    own, info = os.stat(__file__), os.stat(path)
    text = (f"k8slint {__version__} schemas {CACHE_FORMAT}\n{os.path.abspath(path)}\n{info.st_size}:{info.st_mtime_ns}"
            f"\n{own.st_size}:{own.st_mtime_ns}")
    return blake2b(text.encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()


def _cached_index(data: bytes | None) -> tuple[dict[str, int], dict[tuple[str, str, str], str]] | None:
    if data is None:
        return None
    try:
        import orjson

        top = orjson.loads(data)
        if type(top) is not dict or top.get("format") != CACHE_FORMAT:
            return None
        starts, gvk = top["starts"], top["gvk"]
        if type(starts) is not dict or type(gvk) is not list:
            return None
        if not all(type(at) is int and at > 0 for at in starts.values()):
            return None
        by_gvk = {}
        for group, ver, kind, name in gvk:
            if not all(type(part) is str for part in (group, ver, kind, name)) or name not in starts:
                return None
            by_gvk[(group, ver, kind)] = name
        return starts, by_gvk
    except (ValueError, TypeError, KeyError):
        return None


def _cached_closure(data: bytes | None, name: str) -> dict[str, dict] | None:
    if data is None:
        return None
    try:
        import orjson

        top = orjson.loads(data)
    except ValueError:
        return None
    if type(top) is not dict or top.get("format") != CACHE_FORMAT:
        return None
    found = top.get("$defs")
    if type(found) is not dict or type(found.get(name)) is not dict or not all(type(v) is dict for v in found.values()):
        return None
    return found


def definitions(version: tuple[int, int], store: Any = None) -> Definitions | None:
    """The definitions of a shipped version (indexed once per process); ``store``: the user's
    cache folder, where the index and each kind's closure are kept between runs."""
    loaded = _definitions.get(version)
    if loaded is None:
        folder = dict(shipped_versions()).get(version)
        if folder is None:
            return None
        path = folder / "_definitions.json"
        stamp = _stamp(path) if store is not None else ""
        index = _cached_index(store.read(CACHE_KIND, f"{stamp}.json")) if store is not None else None
        loaded = Definitions(version, None, path, index)
        loaded.store, loaded.stamp = store, stamp
        if store is not None and index is None:
            loaded._save_index()
        _definitions[version] = loaded
    elif store is not None and loaded.store is None:
        loaded.store, loaded.stamp = store, _stamp(loaded._path) if loaded._path else ""
        if not loaded.stamp:
            loaded.store = None
    return loaded


def split_api_version(api_version: str) -> tuple[str, str]:
    """'apps/v1' -> ('apps', 'v1'); 'v1' -> ('', 'v1')."""
    if "/" in api_version:
        group, _, version = api_version.rpartition("/")
        return group, version
    return "", api_version


@record
class Compiled:
    """A compiled validator and how to find schema nodes for error messages."""

    validator: Any
    root: dict  # the schema document error schema_paths are relative to
    title: str  # e.g. "Kubernetes 1.37 apps/v1 Deployment"

    def __init__(self, validator: Any, root: dict, title: str) -> None:
        self.validator = validator
        self.root = root
        self.title = title


_validators: dict[tuple, Compiled | None] = {}


def native_validator(version: tuple[int, int], api_version: str, kind: str, store: Any = None) -> Compiled | None:
    """The validator of a built-in kind at ``version``; None when that version has no such kind."""
    key = (version, api_version, kind)
    if key in _validators:
        return _validators[key]
    defs = definitions(version, store)
    name = defs.by_gvk.get((*split_api_version(api_version), kind)) if defs else None
    compiled = None
    if name is not None:
        import jsonschema_rs

        schema = {"$ref": f"{DEFS_URI}#/$defs/{name}"}
        document = {"$defs": defs.closure(name)}  # only what this kind refers to, not all 1.8 MB
        registry = jsonschema_rs.Registry([(DEFS_URI, document)])
        validator = jsonschema_rs.Draft202012Validator(schema, registry=registry, validate_formats=False)
        STATS["validators_built"] += 1
        compiled = Compiled(validator, document, f"Kubernetes {fmt(version)} {api_version} {kind}")
    _validators[key] = compiled
    return compiled


def compile_schema(schema: dict, title: str, key: str) -> Compiled:
    """A validator for a self-contained schema (a CRD's), cached by ``key`` (a content digest). The
    title (which names where the schema came from) is this call's: another run, or another file with
    the same schema, must not lend its name to these findings."""
    cache_key = ("schema", key)
    found = _validators.get(cache_key)
    if found is not None:
        return found if found.title == title else Compiled(found.validator, found.root, title)
    import jsonschema_rs

    validator = jsonschema_rs.Draft202012Validator(schema, validate_formats=False)
    STATS["validators_built"] += 1
    compiled = Compiled(validator, schema, title)
    _validators[cache_key] = compiled
    return compiled


def is_builtin_group(version: tuple[int, int], group: str, store: Any = None) -> bool:
    defs = definitions(version, store)
    return defs is not None and group in defs.groups


def kinds_of(version: tuple[int, int], api_version: str) -> list[str]:
    defs = definitions(version)
    if defs is None:
        return []
    group, ver = split_api_version(api_version)
    return sorted(k for g, v, k in defs.by_gvk if g == group and v == ver)
