"""YAML scalars -> Python values, the way PyYAML's safe loader resolves them (YAML 1.1), with
k8slint's differences: timestamps, binary, local and unknown tags keep their text (as in JSON),
and text that does not fit its tag (``!!int abc``, ``!!bool maybe``, an integer of 5,000
digits) is a :class:`Refused` with its line instead of an exception from deep inside PyYAML.

Used by :mod:`k8slint.load.nodes`; nodes come from :class:`k8slint.load.nodes.Loader`, whose
untagged nodes carry ``slice(kind, text, (plain, quoted))`` as their tag.
"""

from __future__ import annotations

from typing import Any

from yaml.constructor import SafeConstructor
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

MAX_INT_DIGITS = 4_300  # Python's own limit for converting integers to and from text

STR = "tag:yaml.org,2002:str"
MERGE = "tag:yaml.org,2002:merge"
_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_WHAT = {_INT: "an integer", _FLOAT: "a number", _BOOL: "true or false"}
_COLLECTIONS = {f"tag:yaml.org,2002:{name}": kind for name, kind in
                (("map", "mapping"), ("omap", "sequence"), ("pairs", "sequence"), ("seq", "sequence"), ("set", "mapping"))}
_BOOLS = SafeConstructor.bool_values
_RESOLVER = Resolver()
_MAX_INT = 10**MAX_INT_DIGITS

PLAIN: dict[str, Any] = {}  # plain scalar text -> its value (rendered YAML repeats a lot)
MISSING = object()


class Refused(Exception):
    """A document k8slint will not load: why, and on which line."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def _short(tag: str) -> str:
    return "!!" + tag[18:] if tag.startswith("tag:yaml.org,2002:") else tag


def to_int(text: str) -> int:
    """PyYAML's YAML 1.1 integer (``0b``, ``0x``, ``0`` octal, ``1:30`` base 60, ``_`` ignored).
    Raises ValueError for text that is not one, OverflowError for more than MAX_INT_DIGITS
    digits (checked before any slow conversion: base 60 is quadratic in PyYAML)."""
    value = text.replace("_", "")
    sign = -1 if value[:1] == "-" else 1
    if value[:1] in ("-", "+"):
        value = value[1:]
    if len(value) > 4 * MAX_INT_DIGITS:  # bounds the conversions below, in every base
        raise OverflowError
    if value == "0":
        return 0
    if value.startswith("0b"):
        number = int(value[2:], 2)
    elif value.startswith("0x"):
        number = int(value[2:], 16)
    elif value.startswith("0"):
        number = int(value, 8)
    elif ":" in value:
        number = 0
        for part in value.split(":"):
            number = number * 60 + int(part)
    elif len(value) > MAX_INT_DIGITS:
        raise OverflowError
    else:
        number = int(value)
    if number >= _MAX_INT:
        raise OverflowError
    return sign * number


def to_float(text: str) -> float:
    """PyYAML's YAML 1.1 float (``.inf``, ``.nan``, ``1:30.5`` base 60); ValueError otherwise."""
    value = text.replace("_", "").lower()
    sign = -1.0 if value[:1] == "-" else 1.0
    if value[:1] in ("-", "+"):
        value = value[1:]
    if value == ".inf":
        return sign * float("inf")
    if value == ".nan":
        return float("nan")
    if ":" in value:
        number = 0.0
        for part in value.split(":"):
            number = number * 60 + float(part)
        return sign * number
    return sign * float(value)


def typed(tag: str, text: str, line: int) -> Any:
    """The value of a scalar with a resolved or explicit tag. The text itself never goes into a
    message: it may be a secret."""
    if tag == STR:
        return text
    try:
        if tag == _INT:
            return to_int(text)
        if tag == _FLOAT:
            return to_float(text)
        if tag == _BOOL:
            return _BOOLS[text.lower()]
    except OverflowError:
        raise Refused(f"integer with more than {MAX_INT_DIGITS:,} digits: refusing to load", line) from None
    except (ValueError, KeyError):
        raise Refused(f"a value tagged {_short(tag)} is not {_WHAT[tag]}", line) from None
    if tag == _NULL:
        return None
    kind = _COLLECTIONS.get(tag)
    if kind is not None:
        raise Refused(f"a value tagged {_short(tag)} must be a {kind}, not a scalar", line)
    return text  # timestamps, binary, merge, local and unknown tags: the text, as in JSON


def plain(text: str, line: int) -> Any:
    """A plain (unquoted, untagged) scalar resolved the YAML 1.1 way, memoized."""
    value = typed(_RESOLVER.resolve(ScalarNode, text, (True, False)), text, line)
    if len(text) <= 64 and len(PLAIN) < 200_000:
        PLAIN[text] = value
    return value


def scalar(node: ScalarNode, base: int) -> Any:
    """A scalar node's value; ``base`` is the line number of the parse's first line."""
    tag = node.tag
    if tag.__class__ is slice:  # no tag: plain scalars are resolved, quoted ones are text
        if tag.step[0]:
            value = PLAIN.get(node.value, MISSING)
            return plain(node.value, node.start_mark.line + base) if value is MISSING else value
        return node.value
    return typed(tag, node.value, node.start_mark.line + base)


def is_merge(key_node: ScalarNode) -> bool:
    """A ``<<`` merge key (plain, or tagged ``!!merge``)."""
    tag = key_node.tag
    if tag.__class__ is slice:
        return tag.step[0] and key_node.value == "<<"
    return tag == MERGE
