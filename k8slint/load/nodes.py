"""Composed YAML nodes -> :class:`YMap` / :class:`YList` / scalars, with the line of every key
and item, and a budget on what aliases may add.

:func:`build` is the fast path: it keeps two counts that a document without aliases cannot
pass (keys and items, scalar characters, against its length) and hands a document that
passes them to :class:`Counted`, which charges every copy an alias makes to the stream's
:class:`Budget` and checks its depth (aliases can nest past MAX_DEPTH, or loop).
"""

from __future__ import annotations

import operator
import sys
from typing import Any

from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from .scalars import MISSING, PLAIN, Refused, is_merge, scalar

try:  # the C parser is ~10x faster; fall back quietly where libyaml is missing
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on the wheel
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

MAX_DEPTH = 200  # Kubernetes objects nest ~15 levels; libyaml's composer crashes at ~50k
ALIAS_NODES = 100_000  # nodes aliases may add to one stream, plus one per character of it
COMPACT_KEYS = 32  # a mapping's key lines are kept one byte each up to this many keys (see YMap)
ALIAS_CHARS = 1_000_000  # characters aliased scalars may repeat in one stream, plus one per character of it


class Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe loader that leaves tag resolution to the builder.

    The composer calls these three hooks for every node. With no path resolvers (safe loading
    never has any) PyYAML's descend/ascend return at once, so C built-ins that ignore their
    arguments do the same without two Python calls per node; ``resolve`` becomes ``slice``, a C
    built-in that keeps its three arguments: an untagged node's ``tag`` is then
    ``slice(kind, value, (plain, quoted))`` and :func:`k8slint.load.scalars.scalar` resolves
    plain scalars from a memo (a Python ``resolve`` per node was a fifth of the load).
    """

    descend_resolver = staticmethod(operator.is_)  # (parent, index) -> ignored bool
    ascend_resolver = staticmethod(int)  # () -> ignored 0
    resolve = staticmethod(slice)  # (kind, value, implicit) -> kept for the builder


class YMap(dict):
    """A mapping that also knows where it starts and on which line each key stands.

    ``klines`` (key -> line) reads as a dict. The loader keeps it compact instead: for a
    mapping of up to COMPACT_KEYS keys each within 255 lines of its start (nearly all of them),
    one byte per key in key order, the key's distance from ``line``: a run over 50,000 objects
    holds ~1.4 million keys, and a dict of lines per mapping was a third of the documents'
    memory. A compact mapping turns its lines into a dict before a key is removed (what would
    shift the keys after it); a key added later has no line of its own (its mapping's, as
    with a dict)."""

    __slots__ = ("line", "_klines")

    @property
    def klines(self) -> dict:
        lines = self._klines
        if lines.__class__ is dict:
            return lines
        start = self.line
        return {key: start + lines[i] for i, key in zip(range(len(lines)), self)}

    @klines.setter
    def klines(self, lines: dict) -> None:
        self._klines = lines

    def key_line(self, key: Any) -> int:
        lines = self._klines
        if lines.__class__ is dict:
            return lines.get(key, self.line)
        try:
            i = list(self).index(key)
        except ValueError:
            return self.line
        return self.line + lines[i] if i < len(lines) else self.line

    def _expand(self) -> None:
        if self._klines.__class__ is not dict:
            self._klines = self.klines

    def __delitem__(self, key: Any) -> None:
        self._expand()
        super().__delitem__(key)

    def pop(self, *args: Any) -> Any:
        self._expand()
        return super().pop(*args)

    def popitem(self) -> tuple:
        self._expand()
        return super().popitem()

    def clear(self) -> None:
        self._klines = {}
        super().clear()


class YList(list):
    """A sequence that also knows where it starts and on which line each item starts."""

    __slots__ = ("line", "ilines")

    def item_line(self, index: int) -> int:
        return self.ilines[index] if 0 <= index < len(self.ilines) else self.line


class Budget:
    """What aliases may add to one stream: nodes, and characters of aliased scalars."""

    __slots__ = ("nodes", "chars", "node_limit", "char_limit")

    def __init__(self, size: int) -> None:
        self.nodes = self.chars = 0
        self.node_limit = ALIAS_NODES + size
        self.char_limit = ALIAS_CHARS + size


class Aliased(Exception):
    """The document holds more than its text could without aliases: build it again, counted."""


def _bad_key(node: Any, base: int) -> Refused:
    return Refused("a mapping key is itself a mapping or list; Kubernetes YAML needs plain keys", node.start_mark.line + base)


def _merge_into(out: YMap, klines: dict, merged: list) -> None:
    """YAML merge keys (``<<``): keys written in the mapping itself win."""
    for src in merged:
        for one in src if isinstance(src, list) else (src,):
            if isinstance(one, YMap):
                for key, value in one.items():
                    if key not in out:
                        out[key] = value
                        klines[key] = one.klines.get(key, one.line)


def build(root: Any, base: int, duplicates: list[tuple[str, int]]) -> Any:
    """A document's data; ``base`` is the line number of the parse's first line; duplicate
    keys are added to ``duplicates``. Without aliases a document of N characters has fewer than
    2N keys and items and at most N characters of scalars: past either count (kept per
    collection, and per scalar that is not a memoized short plain one) :class:`Aliased` is
    raised, so a document built here holds at most a few times its own text."""
    span = root.end_mark.index - root.start_mark.index
    room = 2 * span + 8
    chars = span + 8
    scalar_class, mapping_class = ScalarNode, MappingNode
    plain_values = PLAIN
    missing = MISSING
    intern = sys.intern  # the same key in every mapping is one string (a quarter of a large run's text)
    compact_keys = COMPACT_KEYS

    def value_of(node: Any) -> Any:
        nonlocal chars
        cls = node.__class__
        if cls is scalar_class:
            tag = node.tag
            if tag.__class__ is slice and tag.step[0]:
                value = plain_values.get(node.value, missing)
                if value is not missing:
                    return value
            chars -= len(node.value)
            return scalar(node, base)
        if cls is mapping_class:
            return mapping(node)
        return sequence(node)

    def mapping(node: MappingNode) -> YMap:
        nonlocal room, chars
        pairs = node.value
        room -= len(pairs)
        if room < 0:
            raise Aliased
        out = YMap()
        start = node.start_mark.line
        klines: list[int] = []
        try:
            for key_node, value_node in pairs:
                key = intern(key_node.value)  # JSON keys are strings: the text as written, whatever it resolves to
                chars -= len(key)
                if value_node.__class__ is scalar_class:
                    tag = value_node.tag
                    value = missing
                    if tag.__class__ is slice and tag.step[0]:
                        value = plain_values.get(value_node.value, missing)
                    if value is missing:
                        chars -= len(value_node.value)
                        value = scalar(value_node, base)
                elif value_node.__class__ is mapping_class:
                    value = mapping(value_node)
                else:
                    value = sequence(value_node)
                out[key] = value
                klines.append(key_node.start_mark.line - start)
        except TypeError:  # a key that is a mapping or a list (its value is a list: unhashable)
            return _careful_mapping(node, value_of, base, duplicates)
        if chars < 0:
            raise Aliased
        if len(out) != len(pairs) or "<<" in out:  # duplicate or merge keys
            return _careful_mapping(node, value_of, base, duplicates)
        out.line = start + base
        if len(klines) <= compact_keys:
            try:
                out._klines = bytes(klines)  # each key within 255 lines of the mapping's start
                return out
            except ValueError:
                pass
        out._klines = {key: start + base + delta for key, delta in zip(out, klines)}
        return out

    def sequence(node: SequenceNode) -> YList:
        nonlocal room
        items = node.value
        room -= len(items)
        if room < 0:
            raise Aliased
        out = YList(map(value_of, items))
        if chars < 0:
            raise Aliased
        out.line = node.start_mark.line + base
        out.ilines = [item.start_mark.line + base for item in items]
        return out

    try:
        return value_of(root)
    finally:  # the three closures refer to each other: break the cycle (a check runs without the cyclic GC)
        value_of = mapping = sequence = None  # type: ignore[assignment]


def _careful_mapping(node: MappingNode, value_of: Any, base: int, duplicates: list[tuple[str, int]]) -> YMap:
    """A mapping with duplicate keys (each reported), merge keys or a key that is not a scalar
    (refused)."""
    out = YMap()
    out.line = node.start_mark.line + base
    klines: dict[Any, int] = {}
    merged = []
    for key_node, value_node in node.value:
        if key_node.__class__ is not ScalarNode:
            raise _bad_key(key_node, base)
        key = key_node.value
        if key == "<<" and is_merge(key_node):
            merged.append(value_of(value_node))
            continue
        line = key_node.start_mark.line + base
        if key in out:
            duplicates.append((f"duplicate key {key!r} (first at line {klines[key]})", line))
            continue
        out[key] = value_of(value_node)
        klines[key] = line
    if merged:
        _merge_into(out, klines, merged)
    out.klines = klines
    return out


class Counted:
    """A document with aliases: a node met again is an alias, and each node of its copy is
    charged to the stream's :class:`Budget`; depth is checked as it is built. A refusal names
    ``site``: the line of the key whose value was being built (for a copy, where the alias is)."""

    def __init__(self, base: int, budget: Budget, duplicates: list[tuple[str, int]]) -> None:
        self.base = base
        self.budget = budget
        self.duplicates = duplicates
        self.seen: set[int] = set()
        self.copying = 0

    def value(self, node: Any, depth: int, site: int) -> Any:
        if depth > MAX_DEPTH:
            raise Refused(f"nesting deeper than {MAX_DEPTH} levels (through YAML aliases): refusing to load", site)
        if self.copying:
            self._charge(node, site)
        elif id(node) in self.seen:
            self.copying += 1
            try:
                return self.value(node, depth, site)
            finally:
                self.copying -= 1
        else:
            self.seen.add(id(node))
        cls = node.__class__
        if cls is ScalarNode:
            return scalar(node, self.base)
        if cls is MappingNode:
            return self._mapping(node, depth, site)
        out = YList([self.value(item, depth + 1, site) for item in node.value])
        out.line = node.start_mark.line + self.base
        out.ilines = [item.start_mark.line + self.base for item in node.value]
        return out

    def _charge(self, node: Any, site: int) -> None:
        budget = self.budget
        budget.nodes += 1
        if node.__class__ is ScalarNode:
            budget.chars += len(node.value)
        if budget.nodes > budget.node_limit:
            raise Refused(f"YAML aliases expand this file to more than {budget.node_limit:,} nodes (the limit is "
                          f"{ALIAS_NODES:,} plus one per character of the file): exploding or recursive aliases?", site)
        if budget.chars > budget.char_limit:
            raise Refused(f"YAML aliases repeat more than {budget.char_limit:,} characters of text in this file (the "
                          f"limit is {ALIAS_CHARS:,} plus one per character of the file): refusing to load", site)

    def _mapping(self, node: MappingNode, depth: int, site: int) -> YMap:
        base = self.base
        out = YMap()
        out.line = node.start_mark.line + base
        klines: dict[Any, int] = {}
        merged = []
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + base
            if key_node.__class__ is not ScalarNode:
                raise _bad_key(key_node, base)
            if self.copying or id(key_node) in self.seen:  # keys stay text; an aliased one is charged
                self._charge(key_node, line)
            else:
                self.seen.add(id(key_node))
            where = site if self.copying else line
            key = key_node.value
            if key == "<<" and is_merge(key_node):
                merged.append(self.value(value_node, depth + 1, where))
                continue
            if key in out:
                self.duplicates.append((f"duplicate key {key!r} (first at line {klines[key]})", line))
                continue
            out[key] = self.value(value_node, depth + 1, where)
            klines[key] = line
        if merged:
            _merge_into(out, klines, merged)
        out.klines = klines
        return out
