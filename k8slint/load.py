"""YAML stream -> plain Python documents that remember the line of every key and list item.

Safe loading only (libyaml's C parser when available). Mappings become :class:`YMap`
(a ``dict`` that also knows the line of each key), sequences :class:`YList`. Problems
that make a document unusable (syntax errors, duplicate keys, alias bombs, absurd
nesting) are returned as :class:`LoadError` values with a line, never raised.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

try:  # the C parser is ~10x faster; fall back quietly where libyaml is missing
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on the wheel
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

_STR = "tag:yaml.org,2002:str"
_PLAIN_TAGS: dict[str, str] = {}  # plain scalar text -> resolved tag (rendered YAML repeats a lot)


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe loader whose implicit-tag resolution of plain scalars is memoized."""

    # The C composer calls these two for every node; with no path resolvers registered (safe
    # loading never has any) PyYAML's versions return at once, so C built-ins that ignore
    # their arguments do the same without two Python calls per node.
    descend_resolver = staticmethod(operator.is_)  # (parent, index) -> ignored bool
    ascend_resolver = staticmethod(int)  # () -> ignored 0

    def resolve(self, kind, value, implicit):  # noqa: D401 - PyYAML hook
        if kind is ScalarNode and implicit[0]:
            tag = _PLAIN_TAGS.get(value)
            if tag is None:
                tag = super().resolve(kind, value, implicit)
                if len(value) <= 64 and len(_PLAIN_TAGS) < 200_000:
                    _PLAIN_TAGS[value] = tag
            return tag
        if kind is ScalarNode:
            return _STR
        return super().resolve(kind, value, implicit)


MAX_DEPTH = 200  # Kubernetes objects nest ~15 levels; libyaml's composer crashes at ~50k
MAX_NODES_PER_DOC = 1_000_000  # bounds alias expansion ("billion laughs")

_MERGE = "tag:yaml.org,2002:merge"
_SCALARS = SafeConstructor.yaml_constructors
_constructor = SafeConstructor()


class YMap(dict):
    """A mapping that also knows where it starts and on which line each key stands."""

    __slots__ = ("line", "klines")

    def key_line(self, key: Any) -> int:
        return self.klines.get(key, self.line)


class YList(list):
    """A sequence that also knows where it starts and on which line each item starts."""

    __slots__ = ("line", "ilines")

    def item_line(self, index: int) -> int:
        return self.ilines[index] if 0 <= index < len(self.ilines) else self.line


@dataclass
class Document:
    """One YAML document of a stream: its data and the lines it spans (1-based)."""

    data: Any
    line: int
    end_line: int
    index: int


@dataclass
class LoadError:
    """Why (part of) a stream could not be loaded, and where."""

    message: str
    line: int


class _TooBig(Exception):
    pass


class _Builder:
    """Turns composed nodes into YMap/YList/scalars, counting nodes to stop alias bombs."""

    def __init__(self) -> None:
        self.count = 0
        self.duplicates: list[tuple[str, int]] = []

    def build(self, node: Any, depth: int = 0) -> Any:
        self.count += 1
        if self.count > MAX_NODES_PER_DOC:
            raise _TooBig(
                f"document expands to more than {MAX_NODES_PER_DOC:,} nodes "
                "(recursive or exploding YAML aliases?)"
            )
        if depth > MAX_DEPTH:
            raise _TooBig(f"nesting deeper than {MAX_DEPTH} levels")
        if isinstance(node, ScalarNode):
            tag = node.tag
            if tag == _STR:
                return node.value
            make = _SCALARS.get(tag)
            if make is None or tag in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:binary"):
                return node.value  # unknown/local tags and timestamps stay text, as in JSON
            return make(_constructor, node)
        if isinstance(node, SequenceNode):
            out = YList(self.build(item, depth + 1) for item in node.value)
            out.line = node.start_mark.line + 1
            out.ilines = [item.start_mark.line + 1 for item in node.value]
            return out
        if isinstance(node, MappingNode):
            return self._mapping(node, depth)
        return None  # pragma: no cover - PyYAML has no other node types

    def _mapping(self, node: MappingNode, depth: int) -> YMap:
        out = YMap()
        out.line = node.start_mark.line + 1
        klines: dict[Any, int] = {}
        merged: list[YMap] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                src = self.build(value_node, depth + 1)
                merged.extend(src if isinstance(src, list) else [src])
                continue
            if not isinstance(key_node, ScalarNode):
                raise _TooBig("a mapping key is itself a mapping or list; Kubernetes YAML needs plain keys")
            key = self.build(key_node, depth + 1)
            if not isinstance(key, str):
                key = key_node.value  # JSON keys are strings; keep the text as written
            line = key_node.start_mark.line + 1
            if key in out:
                self.duplicates.append((f"duplicate key {key!r} (first at line {klines[key]})", line))
                continue
            out[key] = self.build(value_node, depth + 1)
            klines[key] = line
        for src in merged:  # YAML merge keys: explicit keys win
            if isinstance(src, YMap):
                for key, value in src.items():
                    if key not in out:
                        out[key] = value
                        klines[key] = src.klines.get(key, src.line)
        out.klines = klines
        return out


# Cheap, sound upper bound on nesting (so the exact check runs only when it might matter).
# A node's depth is at most (block collections open) + (flow collections open). Block
# collections still open on a line have indents <= its indentation, at most two per column
# (a sequence may share its mapping's column), plus those opened on the line itself by a run
# of compact indicators (`- - -`, `? - ?`, `- &a !t -`) and one mapping after the run. Flow
# collections open are at most the `[`/`{` of the document. With indentation < 50, runs < 40
# and <= 50 flow openers per document the bound is 2*50 + 39 + 1 + 50 < MAX_DEPTH.
_INDENT_HINT = re.compile(r"^[ \t]{50}", re.M)
_RUN_HINT = re.compile(r"(?:[-?:][ \t]+(?:[&!][^ \t\r\n]*[ \t]+)*){40}")
_DOC_BOUNDARY = re.compile(r"^(?:---|\.\.\.)(?=[ \t\r\n]|$)", re.M)
_FLOW_HINT = 50


def _indented(text: str) -> bool:
    """``_INDENT_HINT.search(text)``; without tabs, two substring tests (a regex scan of a 3 MB
    stream took 25 ms)."""
    if "\t" in text:
        return bool(_INDENT_HINT.search(text))
    return text.startswith(_SPACES_50) or ("\n" + _SPACES_50) in text


def _has_run(text: str) -> bool:
    """``_RUN_HINT.search(text)``, searched only in stretches without CR/LF at least 80 characters
    long: a match never crosses a line break and is at least 40 x 2 characters (scanning all of a
    3 MB stream took 0.1 s)."""
    for line in text.split("\n"):
        if len(line) >= 80:
            for part in line.split("\r") if "\r" in line else (line,):
                if len(part) >= 80 and _RUN_HINT.search(part):
                    return True
    return False


_SPACES_50 = " " * 50


def _may_be_deep(text: str) -> bool:
    if _indented(text) or _has_run(text):
        return True
    if text.count("[") + text.count("{") <= _FLOW_HINT:
        return False
    cuts = [0, *(m.start() for m in _DOC_BOUNDARY.finditer(text)), len(text)]
    return any(text.count("[", a, b) + text.count("{", a, b) > _FLOW_HINT for a, b in zip(cuts, cuts[1:]))


def _too_deep(text: str) -> int | None:
    """The line where nesting passes MAX_DEPTH, found with the (iterative, crash-free) event
    parser before libyaml's recursive composer ever sees the text; None when it does not."""
    if not _may_be_deep(text):
        return None
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    return event.start_mark.line + 1
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.YAMLError as exc:
        if _libyaml_too_deep(exc):  # libyaml >= 0.2.5 (PyYAML 6.0.3+) has its own nesting limit
            return _mark_line(exc, 0)
        return None  # the real parse reports the syntax error with its line (depth stays bounded)
    return None


def _libyaml_too_deep(exc: yaml.YAMLError) -> bool:
    """libyaml's own nesting limit (newer releases refuse deep input themselves): reported in
    k8slint's words, so the finding is the same whichever PyYAML is installed."""
    return "maximum nesting depth" in str(getattr(exc, "problem", None) or exc)


def _mark_line(exc: yaml.YAMLError, offset: int) -> int:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return (mark.line + 1 if mark is not None else 1) + offset


def _describe(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    return f"YAML syntax error: {problem}" + (f" ({context})" if context else "")


def _load_chunk(text: str, offset: int, first_index: int) -> tuple[list[Document], list[LoadError]]:
    docs: list[Document] = []
    errors: list[LoadError] = []
    loader = _Loader(text)
    index = first_index
    try:
        while loader.check_node():
            node = loader.get_node()
            start = node.start_mark.line + 1 + offset
            end = node.end_mark.line + 1 + offset
            builder = _Builder()
            try:
                data = builder.build(node)
            except _TooBig as exc:
                errors.append(LoadError(str(exc), start))
                index += 1
                continue
            except RecursionError:
                errors.append(LoadError(f"nesting deeper than {MAX_DEPTH} levels", start))
                index += 1
                continue
            for message, line in builder.duplicates:
                errors.append(LoadError(message, line + offset))
            if offset:
                _shift(data, offset)
            if not builder.duplicates:
                docs.append(Document(data, start, end, index))
            index += 1
    except yaml.YAMLError as exc:
        message = f"nesting deeper than {MAX_DEPTH} levels: refusing to load" if _libyaml_too_deep(exc) else _describe(exc)
        errors.append(LoadError(message, _mark_line(exc, offset)))
    finally:
        loader.dispose()
    return docs, errors


def _shift(data: Any, offset: int) -> None:
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, YMap):
            item.line += offset
            item.klines = {k: v + offset for k, v in item.klines.items()}
            stack.extend(item.values())
        elif isinstance(item, YList):
            item.line += offset
            item.ilines = [v + offset for v in item.ilines]
            stack.extend(item)


_DOC_START = re.compile(r"^---(?:[ \t].*)?$", re.M)
_BREAK = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")  # what PyYAML counts as a line break


def _breaks(text: str, start: int = 0, end: int | None = None) -> int:
    """How many times ``_BREAK`` matches in ``text[start:end]``, counted with str.count (CRLF is
    one break, a lone CR or LF one each): the regex took 50 ms on a 3 MB stream."""
    end = len(text) if end is None else end
    crlf = text.count("\r\n", start, end)
    return (text.count("\r", start, end) + text.count("\n", start, end) - crlf
            + sum(text.count(c, start, end) for c in "\x85\u2028\u2029"))


def _clamp(errors: list[LoadError], text: str) -> list[LoadError]:
    """Keep error lines inside the text: an error at the very end is on its last line."""
    if not errors:
        return errors
    ends_with_break = text.endswith(("\n", "\r", "\x85", "\u2028", "\u2029"))
    last = max(1, _breaks(text) + (0 if ends_with_break else 1))
    for error in errors:
        error.line = min(max(error.line, 1), last)
    return errors


def load_text(text: str) -> tuple[list[Document], list[LoadError]]:
    """Load every document of ``text``; empty documents are skipped.

    On a syntax error or absurd nesting the stream is split at ``---`` lines and each part
    loaded on its own, so one broken document does not hide the others.
    """
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        return [], [LoadError("file contains NUL bytes: it is binary, not YAML", line)]
    if _too_deep(text) is None:
        docs, errors = _load_chunk(text, 0, 0)
        if not errors or not any(e.message.startswith("YAML syntax error") for e in errors):
            return [d for d in docs if d.data is not None], _clamp(errors, text)
    # a syntax error or absurd nesting somewhere: load document by document, refusing only the bad ones
    docs, errors = [], []
    starts = [0] + [m.start() for m in _DOC_START.finditer(text)]
    bounds = sorted(set(starts)) + [len(text)]
    for i, (a, b) in enumerate(zip(bounds, bounds[1:])):
        chunk = text[a:b]
        if not chunk.strip():
            continue
        before = _breaks(text, 0, a)
        deep = _too_deep(chunk)  # checked again: the whole-stream check stopped at the syntax error
        if deep is not None:
            errors.append(LoadError(f"nesting deeper than {MAX_DEPTH} levels: refusing to load", deep + before))
            continue
        part_docs, part_errors = _load_chunk(chunk, before, i)
        docs.extend(part_docs)
        errors.extend(part_errors)
    return [d for d in docs if d.data is not None], _clamp(errors, text)


def decode(raw: bytes) -> tuple[str | None, LoadError | None]:
    """Bytes -> text: UTF-8 (a BOM is dropped, CRLF is fine) or UTF-16 with a BOM; anything else is an error."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) and not raw.startswith(b"\xff\xfe\x00\x00"):
        try:  # YAML allows UTF-16 with a byte-order mark
            return raw.decode("utf-16"), None
        except UnicodeDecodeError as exc:
            return None, LoadError(f"file is not valid UTF-16 (offset {exc.start})", 1)
    if b"\x00" in raw[:8192]:
        line = raw.count(b"\n", 0, raw.index(b"\x00")) + 1
        return None, LoadError("file contains NUL bytes: it is binary, not YAML", line)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        return None, LoadError(f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})", line)
    return text, None
