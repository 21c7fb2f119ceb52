"""How deep a YAML text nests, known before libyaml's recursive composer sees it (that composer
crashes the process at ~50k levels): a cheap, sound bound first, the event parser (iterative)
only when the bound allows more than MAX_DEPTH."""

from __future__ import annotations

import re
from itertools import chain

import yaml

from .. import lazyre
from .nodes import MAX_DEPTH, Loader

# Cheap, sound upper bound on nesting (so the exact check runs only when it might matter).
# A node's depth is at most (block collections open) + (flow collections open). Block
# collections still open on a line have indents <= its indentation, at most two per column
# (a sequence may share its mapping's column), plus those opened on the line itself by a run
# of compact indicators (`- - -`, `? - ?`, `- &a !t -`) and one mapping after the run. Flow
# collections open are at most the `[`/`{` of the document. With indentation < 50, runs < 40
# and <= 50 flow openers per document the bound is 2*50 + 39 + 1 + 50 < MAX_DEPTH.
INDENT_HINT = lazyre.compile(r"^[ \t]{50}", re.M)
RUN_HINT = re.compile(r"(?:[-?:][ \t]+(?:[&!][^ \t\r\n]*[ \t]+)*){40}")
_DOC_BOUNDARY = re.compile(r"\n(?=(?:---|\.\.\.)(?:[ \t\r\n]|$))")  # where a document may start or end
_LONG_LINE = re.compile(r"\n[^\n]{80,}")
_FLOW_HINT = 50
_SPACES_50 = " " * 50


def indented(text: str) -> bool:
    """``INDENT_HINT.search(text)``; without tabs, two substring tests (a regex scan of a 3 MB
    stream took 25 ms)."""
    if "\t" in text:
        return bool(INDENT_HINT.search(text))
    return text.startswith(_SPACES_50) or ("\n" + _SPACES_50) in text


def has_run(text: str) -> bool:
    """``RUN_HINT.search(text)``, searched only in stretches without CR/LF at least 80 characters
    long: a match never crosses a line break and is at least 40 x 2 characters. Long lines are
    found by a search that starts at each line break (splitting a 3 MB stream into lines took
    ten times its size in memory; a regex anchored with ``^`` scans four times slower)."""
    first = text.find("\n")
    lines = [text if first < 0 else text[:first]] if (len(text) if first < 0 else first) >= 80 else []
    for line in chain(lines, (match.group()[1:] for match in _LONG_LINE.finditer(text))):
        for part in line.split("\r") if "\r" in line else (line,):
            if len(part) >= 80 and RUN_HINT.search(part):
                return True
    return False


def may_be_deep(text: str) -> bool:
    if indented(text) or has_run(text):
        return True
    if text.count("[") + text.count("{") <= _FLOW_HINT:
        return False
    cuts = [0, *(m.start() for m in _DOC_BOUNDARY.finditer(text)), len(text)]
    return any(text.count("[", a, b) + text.count("{", a, b) > _FLOW_HINT for a, b in zip(cuts, cuts[1:]))


def nesting(text: str) -> tuple[int | None, bool]:
    """Where nesting passes MAX_DEPTH, found with the (iterative, crash-free) event parser before
    libyaml's recursive composer ever sees the text: ``(line, True)``; ``(line, False)`` when a
    syntax error stops the event parser first (nesting before it was checked); ``(None, False)``
    when there is neither."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=Loader):
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    return event.start_mark.line + 1, True
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.YAMLError as exc:  # libyaml >= 0.2.5 (PyYAML 6.0.3+) has its own nesting limit
        return mark_line(exc, 0), libyaml_too_deep(exc)
    return None, False


def too_deep(text: str) -> int | None:
    """The line where nesting passes MAX_DEPTH; None when it does not (or a syntax error comes
    first: the parse reports that, and nesting before it was checked)."""
    if not may_be_deep(text):
        return None
    line, deep = nesting(text)
    return line if deep else None


def libyaml_too_deep(exc: yaml.YAMLError) -> bool:
    """libyaml's own nesting limit (newer releases refuse deep input themselves): reported in
    k8slint's words, so the finding is the same whichever PyYAML is installed."""
    return "maximum nesting depth" in str(getattr(exc, "problem", None) or exc)


def mark_line(exc: yaml.YAMLError, offset: int) -> int:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return (mark.line + 1 if mark is not None else 1) + offset
