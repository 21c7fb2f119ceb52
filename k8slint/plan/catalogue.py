"""The compiled rule catalogue, kept in the user's cache folder (:mod:`k8slint.plan.cache`).

Reading the rule files (40 built-in YAML files, plus a repository's custom rules validated
against the rule schema and their templates' params) is work every run repeats. The result,
the rules' data with the line of every key and item, is stored as plain JSON under a key that
is a hash of everything it depends on: k8slint's version, a stamp of the code that parses and
validates rules, and each rule file's place and exact bytes (the bytes hashed are the bytes
parsed). A changed, added or removed rule file, another repository's custom rules, another
k8slint: another key. An entry holds no code: templates are looked up again by name among
k8slint's own template modules, and an entry that does not decode to exactly what k8slint
writes is ignored and written again. Catalogues that use a template of another installed
package are not cached (that package's version is not part of the key).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Callable

from .. import __version__
from ..digests import blake2b
from ..load import YList, YMap
from . import cache

KIND = "rules"
FORMAT = 2
KEEP = 16  # catalogues kept (one per set of custom rules and k8slint build)
_OWN = "k8slint.templates."
_PACKAGE = Path(__file__).resolve().parent.parent


class Stale(Exception):
    """An entry that cannot be used as it is: rebuilt."""


def _code_stamp() -> bytes:
    """Size and change time of the code and schema that turn rule files into rules (an
    editable install changes them without a new version)."""
    from ..resources import schemas_dir

    parts = []
    for folder in ("templates", "load", "plan"):
        with os.scandir(_PACKAGE / folder) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                if entry.name.endswith(".py"):
                    info = entry.stat()
                    parts.append(f"{folder}/{entry.name}:{info.st_size}:{info.st_mtime_ns}")
    info = (schemas_dir() / "rule.schema.json").stat()
    parts.append(f"rule.schema.json:{info.st_size}:{info.st_mtime_ns}")
    return "\n".join(parts).encode()


def key(files: list[tuple[str, bool, bytes]], validate_builtin: bool) -> str:
    digest = blake2b(digest_size=24)

    def feed(data: bytes) -> None:
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)

    feed(f"k8slint {__version__} rule catalogue {FORMAT} validate-builtin={validate_builtin}".encode())
    feed(_code_stamp())
    for display, builtin, raw in files:
        feed(display.encode("utf-8", "surrogatepass"))
        feed(b"builtin" if builtin else b"custom")
        feed(raw)
    return digest.hexdigest()


# -- plain data <-> the loader's trees (YMap/YList keep the line of each key and item) ---------
# A scalar is itself; every container is a JSON array whose first item says what it is:
# ["m", line, keys, values, key lines] | ["l", line, item lines, items] | ["d", keys, values] | ["a", items].

def _scalar(value: Any) -> Any:
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, int) and -(1 << 63) <= value < (1 << 63):
        return value
    if isinstance(value, float) and value == value and abs(value) != float("inf"):
        return value
    raise Stale(f"{type(value).__name__} value")  # not plain data: the catalogue is not cached


def encode(value: Any) -> Any:
    if isinstance(value, YMap):
        keys = [_scalar(k) for k in value]
        return ["m", value.line, keys, [encode(v) for v in value.values()], [value.klines.get(k, value.line) for k in keys]]
    if isinstance(value, YList):
        return ["l", value.line, list(value.ilines), [encode(v) for v in value]]
    if isinstance(value, dict):
        return ["d", [_scalar(k) for k in value], [encode(v) for v in value.values()]]
    if isinstance(value, (list, tuple)):
        return ["a", [encode(v) for v in value]]
    return _scalar(value)


def _lines(values: Any) -> list:
    if type(values) is not list or not set(map(type, values)) <= {int}:
        raise Stale("lines")
    return values


def decode(value: Any) -> Any:
    if type(value) is not list:
        if type(value) is dict:
            raise Stale("node")
        return value  # a JSON scalar
    tag = value[0]
    if tag == "m":
        _, line, keys, values, klines = value
        out = YMap(zip(keys, map(decode, values)))  # a list or mapping key: TypeError (unhashable)
        if len(out) != len(keys) or len(_lines(klines)) != len(keys) or type(line) is not int:
            raise Stale("mapping")
        out.line, out.klines = line, dict(zip(keys, klines))
        return out
    if tag == "l":
        _, line, ilines, items = value
        out_list = YList(map(decode, items))
        if len(_lines(ilines)) != len(out_list) or type(line) is not int:
            raise Stale("sequence")
        out_list.line, out_list.ilines = line, ilines
        return out_list
    if tag == "d":
        _, keys, values = value
        out_dict = dict(zip(keys, map(decode, values)))
        if len(out_dict) != len(keys) or len(values) != len(keys):
            raise Stale("mapping")
        return out_dict
    if tag == "a":
        return list(map(decode, value[1]))
    raise Stale("tag")


# -- the catalogue ----------------------------------------------------------------------------

def _dump(rules: dict) -> bytes:
    import orjson

    entries = []
    for rule in rules.values():
        module = name = None
        if rule.check is not None:
            module, name = getattr(rule.check, "__module__", ""), getattr(rule.check, "__name__", "")
            if not module.startswith(_OWN) or getattr(sys.modules.get(module), name, None) is not rule.check:
                raise Stale("a template of another package")
        entries.append({"file": rule.file, "builtin": rule.builtin, "data": encode(rule.data),
                        "module": module, "function": name})
    return orjson.dumps({"format": FORMAT, "version": __version__, "rules": entries})


def _template(module: Any, function: Any, template: Any, scope: str) -> Callable:
    import importlib

    if type(module) is not str or type(function) is not str or not module.startswith(_OWN):
        raise Stale("template module")
    if not module[len(_OWN):].isidentifier() or not function.isidentifier():
        raise Stale("template name")
    fn = getattr(importlib.import_module(module), function, None)
    if getattr(fn, "k8slint_name", None) != template or getattr(fn, "k8slint_scope", None) != scope:
        raise Stale("template changed")
    return fn


def _load(data: bytes, files: list[tuple[str, bool, bytes]], Rule: type) -> dict:  # noqa: N803 - the class
    import orjson

    from .params import with_defaults

    top = orjson.loads(data)
    if type(top) is not dict or top.get("format") != FORMAT or top.get("version") != __version__:
        raise Stale("format")
    entries = top["rules"]
    if type(entries) is not list or len(entries) != len(files):
        raise Stale("rule count")
    rules: dict[str, Any] = {}
    for entry, (display, builtin, _) in zip(entries, files):
        if type(entry) is not dict or entry.get("file") != display or entry.get("builtin") is not builtin:
            raise Stale("rule file")
        body = decode(entry["data"])
        if not isinstance(body, YMap) or type(body.get("id")) is not str or body["id"] in rules:
            raise Stale("rule id")
        rule = Rule(id=body["id"], severity=body["severity"], scope=body["scope"], data=body, file=display,
                    builtin=builtin, kinds=frozenset(body.get("kinds", ())), envs=frozenset(body.get("envs", ())),
                    params=dict(body.get("params", {})))
        if "template" in body:
            rule.check = _template(entry.get("module"), entry.get("function"), body["template"], rule.scope)
            rule.params = with_defaults(rule.check, rule.params)
        elif entry.get("module") is not None:
            raise Stale("template")
        rules[rule.id] = rule
    return rules


def cached(files: list[tuple[str, bool, bytes]], validate_builtin: bool, build: Callable[[], dict], rule: type) -> dict:
    """The rules of ``files`` (display, built-in, exact bytes) from the cache (made with the class
    ``rule``, :class:`k8slint.plan.rules.Rule`), else ``build()`` (which parses those same bytes)
    stored for the next run."""
    name = key(files, validate_builtin) + ".json"
    data = cache.read(KIND, name)
    if data is not None:
        try:
            return _load(data, files, rule)
        except (Stale, ValueError, TypeError, KeyError, IndexError, AttributeError, ImportError, RecursionError):
            pass  # corrupt or stale: rebuilt below
    rules = build()
    try:
        cache.write(KIND, name, _dump(rules), KEEP)
    except (Stale, TypeError, ValueError, RecursionError):
        pass  # not plain data, or a template from elsewhere: this catalogue is not cached
    return rules
