"""YAML stream -> plain Python documents that remember the line of every key and list item.

Safe loading only (libyaml's C parser when available). Mappings become :class:`YMap`
(a ``dict`` that also knows the line of each key), sequences :class:`YList`. Problems
that make a document unusable (syntax errors, duplicate keys, alias bombs, absurd
nesting, scalars that do not fit their explicit tag) are returned as :class:`LoadError`
values with a line, never raised.

Bounded: time and memory grow linearly with the text. A broken document costs a re-parse
of the ``---`` part it stands in, never of the rest of the stream; aliases may add at most
ALIAS_NODES nodes and ALIAS_CHARS characters, plus one of each per character of the text, to
the whole stream however many documents use them. Modules: :mod:`k8slint.load.depth` (nesting,
before composing), :mod:`k8slint.load.nodes` (nodes -> data, alias budget),
:mod:`k8slint.load.scalars` (scalars).
"""

from __future__ import annotations

import json
from bisect import bisect_right
from typing import Any, Generator, Iterator

from .. import lazyre

# PyYAML's pure-Python reader checks text against this class of every printable character; PyYAML
# compiles it when it is imported (~57M instructions, ~6 ms: a tenth of a one-file check), though
# k8slint reads YAML with libyaml. It is compiled where it is first used instead (the pure-Python
# loader, k8slint's fallback when libyaml is missing), to the same pattern.
PYYAML_NON_PRINTABLE = "[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010ffff]"
yaml = lazyre.import_deferring("yaml", frozenset({PYYAML_NON_PRINTABLE}))

from ..records import record  # noqa: E402 - after PyYAML, imported above
from .depth import libyaml_too_deep, mark_line, may_be_deep, nesting, too_deep
from .nodes import MAX_DEPTH, Aliased, Budget, Counted, Loader, YList, YMap, build
from .scalars import MAX_INT_DIGITS, Refused

__all__ = ["MAX_DEPTH", "Document", "LoadError", "YList", "YMap", "decode", "iter_load", "load_json", "load_text"]


@record(slots=True)
class Document:
    """One YAML document of a stream: its data and the lines it spans (1-based)."""

    data: Any
    line: int
    end_line: int
    index: int

    def __init__(self, data: Any, line: int, end_line: int, index: int) -> None:
        self.data = data
        self.line = line
        self.end_line = end_line
        self.index = index


@record
class LoadError:
    """Why (part of) a stream could not be loaded, and where."""

    message: str
    line: int

    def __init__(self, message: str, line: int) -> None:
        self.message = message
        self.line = line


def _describe(exc: yaml.YAMLError) -> str:
    if libyaml_too_deep(exc):
        return f"nesting deeper than {MAX_DEPTH} levels: refusing to load"
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    return f"YAML syntax error: {problem}" + (f" ({context})" if context else "")


_DOC_START = lazyre.compile(r"(?:\A|(?<=[\r\n\x85\u2028\u2029]))---(?=[ \t\r\n\x85\u2028\u2029]|\Z)")


def _breaks(text: str, start: int = 0, end: int | None = None) -> int:
    """How many line breaks PyYAML counts in ``text[start:end]`` (CRLF is one, a lone CR, LF,
    NEL, LS or PS one each), with str.count: a regex took 50 ms on a 3 MB stream."""
    end = len(text) if end is None else end
    crlf = text.count("\r\n", start, end)
    return (text.count("\r", start, end) + text.count("\n", start, end) - crlf
            + sum(text.count(c, start, end) for c in "\x85\u2028\u2029"))


class _Window:
    """``text[start:end]`` as a file for the parser: a parse can start mid-stream and stop
    before a refused part without copying the rest of the text. Reads start small and double
    (libyaml asks for 16 KiB at once, which made each restart after a syntax error cost 0.1 ms)."""

    __slots__ = ("text", "pos", "end", "chunk")

    def __init__(self, text: str, start: int, end: int) -> None:
        self.text, self.pos, self.end, self.chunk = text, start, end, 256

    def read(self, size: int = -1) -> str:
        start = self.pos
        size = self.chunk if size < 0 else min(size, self.chunk)
        self.chunk *= 2
        self.pos = min(self.end, start + size)
        return self.text[start:self.pos]


class _Stream:
    """One ``load_text``: the text, its ``---`` parts (found only when something went wrong),
    the alias budget and the document count shared by every parse of it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.budget = Budget(len(text))
        self.index = 0
        self.starts: list[int] = []  # offset of each part: a `---` line, or the text's start
        self.lines: list[int] = []  # the line each part starts on
        self.deep: dict[int, int | None] = {}  # part -> line where it nests too deep (checked parts)
        self.clean_below = 0  # parts before this one are known not to nest too deep
        self.stretch = (-1, -1)  # (first, end): parts first..end-1 do not nest too deep, end does (or is the last)

    def split(self, problem_line: int | None) -> None:
        """Find the ``---`` parts (linear); parts before the one holding ``problem_line`` passed
        the depth check already."""
        text = self.text
        starts = [0] + [m.start() for m in _DOC_START.finditer(text) if m.start()]
        lines, line, prev = [], 1, 0
        for start in starts:
            line += _breaks(text, prev, start)
            lines.append(line)
            prev = start
        self.starts, self.lines = starts, lines
        self.clean_below = len(starts) if problem_line is None else max(0, self.part_of(problem_line))

    def part_of(self, line: int) -> int:
        return bisect_right(self.lines, line) - 1

    def bounds(self, part: int) -> tuple[int, int]:
        end = self.starts[part + 1] if part + 1 < len(self.starts) else len(self.text)
        return self.starts[part], end

    def deep_line(self, part: int) -> int | None:
        if part < self.clean_below:
            return None
        if part not in self.deep:
            a, b = self.bounds(part)
            found = too_deep(self.text[a:b])
            self.deep[part] = None if found is None else found + self.lines[part] - 1
        return self.deep[part]

    def stretch_end(self, part: int) -> int:
        """The first part from ``part`` on that nests too deep (or the number of parts); parts
        are visited in order, so each is checked once."""
        first, end = self.stretch
        if not first <= part < end:
            end = part
            while end < len(self.starts) and self.deep_line(end) is None:
                end += 1
            self.stretch = (part, end)
        return end

    def documents(self, source: Any, base: int, failures: list) -> Iterator[Document | LoadError]:
        """Parse ``source`` (text or a :class:`_Window`) whose first line is ``base``; yield its
        documents and refusals. A syntax error ends the parse: it is put in ``failures`` as
        (LoadError, line of the last complete document or None) for the caller to place."""
        loader = Loader(source)
        offset = base - 1
        last = None
        try:
            while loader.check_node():
                node = loader.get_node()
                start = node.start_mark.line + base
                index = self.index
                self.index += 1
                last = start
                duplicates: list[tuple[str, int]] = []
                try:
                    try:
                        data = build(node, base, duplicates)
                    except (Aliased, RecursionError):  # aliases (maybe looping): count every copy
                        duplicates.clear()
                        data = Counted(base, self.budget, duplicates).value(node, 0, start)
                except Refused as exc:
                    yield LoadError(str(exc), exc.line)
                    continue
                except RecursionError:  # pragma: no cover - depth is checked before composing
                    yield LoadError(f"nesting deeper than {MAX_DEPTH} levels", start)
                    continue
                for message, line in duplicates:
                    yield LoadError(message, line)
                if not duplicates and data is not None:
                    yield Document(data, start, node.end_mark.line + base, index)
        except yaml.YAMLError as exc:
            failures.append((LoadError(_describe(exc), mark_line(exc, offset)), last))
        finally:
            loader.dispose()

    def __iter__(self) -> Iterator[Document | LoadError]:
        text = self.text
        problem = nesting(text)[0] if may_be_deep(text) else None
        if problem is None:  # the common case: one parse of the whole text
            failed: list = []
            yield from self.documents(text, 1, failed)
            if not failed:
                return
            self.split(None)
            part = yield from self.recover(0, failed[0], len(self.starts))
            yield from self.run(part)
            return
        self.split(problem)
        yield from self.run(0)

    def run(self, part: int) -> Iterator[Document | LoadError]:
        """Parse from ``part`` on: stretches of parts that do not nest too deep are parsed as one
        stream; each part that does is refused on its own."""
        count = len(self.starts)
        while part < count:
            deep = self.deep_line(part)
            if deep is not None:
                yield LoadError(f"nesting deeper than {MAX_DEPTH} levels: refusing to load", deep)
                self.index += 1
                part += 1
                continue
            end = self.stretch_end(part)
            failed: list = []
            window = _Window(self.text, self.starts[part], self.bounds(end - 1)[1])
            yield from self.documents(window, self.lines[part], failed)
            if not failed:
                part = end
                continue
            part = yield from self.recover(part, failed[0], end)

    def recover(self, first: int, failure: tuple[LoadError, int | None], stop: int) -> Generator[Document | LoadError, None, int]:
        """A syntax error ended the parse of parts ``first`` to ``stop - 1``: parse on their own
        the parts from the one after the last complete document to the one holding the error, so
        each reports its own problem; returns the part to go on from as one stream."""
        error, last = failure
        broken = max(first, self.part_of(last) + 1 if last is not None else first)
        at = min(max(self.part_of(error.line), first), stop - 1)
        if at < broken:  # the error is in the part of the last good document (after a `...`)
            yield error
            return broken
        reported = False
        for part in range(broken, at + 1):
            a, b = self.bounds(part)
            if not _has_content(self.text, a, b):
                continue
            failed: list = []
            for item in self.documents(self.text[a:b], self.lines[part], failed):
                reported = reported or isinstance(item, LoadError)
                yield item
            if failed:
                reported = True
                yield failed[0][0]
        if not reported:  # the parts parse on their own: the error was between them
            yield error
        return at + 1


def _has_content(text: str, start: int, end: int) -> bool:
    return start < end and not text[start:end].isspace()


def _last_line(text: str) -> int:
    """The text's last line: error lines are kept inside it (an error at the very end is there)."""
    ends_with_break = text.endswith(("\n", "\r", "\x85", "\u2028", "\u2029"))
    return max(1, _breaks(text) + (0 if ends_with_break else 1))


def iter_load(text: str) -> Iterator[Document | LoadError]:
    """The documents of ``text`` and the problems that refused some, in stream order, one at a
    time (a consumer that drops documents keeps memory at the size of one). Empty documents are
    skipped."""
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        yield LoadError("file contains NUL bytes: it is binary, not YAML", line)
        return
    if not text.isascii():
        try:
            text.encode("utf-8")  # 5 ms a MB; a regex search for surrogates took 20
        except UnicodeEncodeError as exc:  # decoded with errors="surrogateescape": libyaml cannot take it
            yield LoadError("text is not valid Unicode (an unpaired surrogate)", text.count("\n", 0, exc.start) + 1)
            return
    last = 0
    for item in _Stream(text):
        if item.__class__ is LoadError:
            if not last:
                last = _last_line(text)
            item.line = min(max(item.line, 1), last)  # type: ignore[union-attr]
        yield item


def load_text(text: str) -> tuple[list[Document], list[LoadError]]:
    """Load every document of ``text``; empty documents are skipped.

    A syntax error or absurd nesting refuses only the ``---`` part it stands in: the documents
    around it are loaded, so one broken document does not hide the others.
    """
    docs: list[Document] = []
    errors: list[LoadError] = []
    for item in iter_load(text):
        (docs if item.__class__ is Document else errors).append(item)  # type: ignore[arg-type]
    return docs, errors


_JSON_TOKEN = lazyre.compile(r'"(?:[^"\\\n]|\\.)*"|[\[\]{}]')
_LONG_DIGITS = lazyre.compile(r"\d{%d}" % (MAX_INT_DIGITS + 1))


class _JSONTooLarge(ValueError):
    pass


def _json_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise _JSONTooLarge
    return int(text)


def _json_too_deep(text: str) -> int | None:
    """The line where JSON nesting passes MAX_DEPTH (brackets inside strings do not count)."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return None
    depth = 0
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > MAX_DEPTH:
                return text.count("\n", 0, match.start()) + 1
        elif token in ("]", "}"):
            depth -= 1
    return None


def load_json(text: str) -> tuple[Any, LoadError | None]:
    """JSON from the linted repository (a chart's values.schema.json): a leading BOM is dropped
    (Helm drops it too); nesting deeper than MAX_DEPTH and integers of more than MAX_INT_DIGITS
    digits are refused with their line, like text that is not JSON. Never raises."""
    if text.startswith("\ufeff"):
        text = text[1:]
    deep = _json_too_deep(text)
    if deep is not None:
        return None, LoadError(f"nesting deeper than {MAX_DEPTH} levels: refusing to load", deep)
    try:
        return json.loads(text, parse_int=_json_int), None
    except _JSONTooLarge:
        match = _LONG_DIGITS.search(text)
        line = text.count("\n", 0, match.start()) + 1 if match else 1
        return None, LoadError(f"integer with more than {MAX_INT_DIGITS:,} digits: refusing to load", line)
    except json.JSONDecodeError as exc:
        return None, LoadError(f"not valid JSON: {exc.msg}", exc.lineno)
    except (ValueError, RecursionError) as exc:  # pragma: no cover - depth and size are checked above
        return None, LoadError(f"not valid JSON: {type(exc).__name__}", 1)


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
