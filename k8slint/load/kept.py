"""What :func:`k8slint.load.iter_load` made of a text, kept as bytes of builtin types and rebuilt
without parsing YAML (the render cache keeps a cached answer's loaded form this way).

:func:`dump` turns the loaded items (documents and load errors, in stream order) into
``marshal`` bytes of builtin types: a :class:`YMap` is a tuple ``(line, key lines, dict)``, a
:class:`YList` a list ``[line, item lines, items...]`` (scalars are never tuples or lists); the
rebuilt documents are the loader's own classes with the same types, key order, lines (the compact
key lines too) and error records. A loaded form whose containers are shared (the loader makes
none) is not kept. :func:`rebuild` is given bytes whose digest the caller checked; anything
unexpected in them (a shape or type :func:`dump` does not make) is ``None`` (then the text is parsed). :func:`identity` names this loader: a
changed loader, PyYAML or interpreter never reads a form another one kept.
"""

from __future__ import annotations

import marshal
import sys
from typing import Any

from . import Document, LoadError
from .nodes import YList, YMap

_VERSION = 4  # marshal's format


def _out(value: Any, seen: set) -> Any:
    cls = value.__class__
    if cls is YMap:
        if id(value) in seen:
            raise ValueError("shared")
        seen.add(id(value))
        return (value.line, value._klines, {key: _out(item, seen) for key, item in value.items()})
    if cls is YList:
        if id(value) in seen:
            raise ValueError("shared")
        seen.add(id(value))
        return [value.line, value.ilines, *[_out(item, seen) for item in value]]
    if cls in (str, int, float, bool) or value is None:
        return value
    raise TypeError(cls.__name__)


def dump(items: list) -> bytes | None:
    """The loaded form of ``items`` (what ``iter_load`` yielded), or None when it cannot be kept."""
    seen: set = set()
    out = []
    try:
        for item in items:
            if item.__class__ is Document:
                out.append((item.line, item.end_line, item.index, _out(item.data, seen)))
            elif item.__class__ is LoadError:
                out.append([item.message, item.line])
            else:
                return None
        return marshal.dumps(out, _VERSION)
    except (ValueError, TypeError, RecursionError):
        return None


def _map(form: tuple) -> YMap:
    line, klines, values = form
    out = YMap(values)
    for key, value in values.items():
        cls = value.__class__
        if cls is tuple:
            out[key] = _map(value)
        elif cls is list:
            out[key] = _list(value)
    out.line = line
    out._klines = klines
    return out


def _list(form: list) -> YList:
    out = YList(form)
    line = out.pop(0)
    lines = out.pop(0)
    for i, value in enumerate(out):
        cls = value.__class__
        if cls is tuple:
            out[i] = _map(value)
        elif cls is list:
            out[i] = _list(value)
    out.line = line
    out.ilines = lines
    return out


def _check(value: Any) -> bool:
    """The rebuilt ``value`` has the loader's shape (a corrupt form that passed its digest)."""
    cls = value.__class__
    if cls is YMap:
        klines = value._klines
        if type(value.line) is not int or not (klines.__class__ is bytes and len(klines) <= len(value)
                                                or klines.__class__ is dict):
            return False
        return all(key.__class__ is str and _check(item) for key, item in value.items())
    if cls is YList:
        return (type(value.line) is int and value.ilines.__class__ is list and len(value.ilines) == len(value)
                and all(_check(item) for item in value))
    return cls in (str, int, float, bool) or value is None


def rebuild(data: bytes, check: bool = True) -> list | None:
    """The items ``data`` (from :func:`dump`) holds, or None when they are not what it makes:
    every container's shape and every value's type is checked (``check``; a fifth of the time,
    against bytes that passed their digest but were not written by :func:`dump`)."""
    try:
        form = marshal.loads(data)
        if form.__class__ is not list:
            return None
        items: list = []
        for one in form:
            if one.__class__ is tuple:
                line, end_line, index, value = one
                cls = value.__class__
                data_ = _map(value) if cls is tuple else _list(value) if cls is list else value
                if check and not _check(data_):
                    return None
                if type(line) is not int or type(end_line) is not int or type(index) is not int:
                    return None
                items.append(Document(data_, line, end_line, index))
            elif one.__class__ is list:
                message, line = one
                if message.__class__ is not str or type(line) is not int:
                    return None
                items.append(LoadError(message, line))
            else:
                return None
        return items
    except (ValueError, TypeError, EOFError, AttributeError, IndexError, RecursionError):
        return None


_IDENTITY: list[str] = []


def identity() -> str:
    """A digest of the loader: the source of :mod:`k8slint.load`'s modules, PyYAML's version and
    parser, the interpreter and marshal's format. Raises OSError when a source cannot be read."""
    if _IDENTITY:
        return _IDENTITY[0]
    import os

    import yaml

    from ..digests import blake2b
    from . import nodes

    h = blake2b(digest_size=32)
    here = os.path.dirname(os.path.abspath(__file__))
    for name in ("__init__.py", "depth.py", "kept.py", "nodes.py", "scalars.py"):
        with open(os.path.join(here, name), "rb") as handle:
            source = handle.read()
        h.update(len(source).to_bytes(8, "little") + source)
    h.update(repr((yaml.__version__, getattr(yaml, "__with_libyaml__", None), nodes._BaseLoader.__name__,
                   sys.version, sys.hexversion, _VERSION, marshal.version)).encode())
    _IDENTITY.append(h.hexdigest())
    return _IDENTITY[0]
