"""Escaping of repository text per output: what a file name, an object name or a message taken
from the repository under check may not do to the place it is shown.

- :func:`terminal` (text and concise formats, stderr): control characters (C0, DEL, C1, so ESC
  sequences, ``\\r``, OSC 8 hyperlinks) and the Unicode controls that reorder or hide text (bidi
  overrides, line separators) become visible escapes (``\\n``, ``\\x1b``, ``\\u202e``): one field
  stays on one line, so it can never start a line of its own (a GitHub workflow command such as
  ``::add-mask::`` is read only at the start of a line), and a field that itself starts with
  ``::`` shows its first colon as ``\\x3a``;
- :func:`workflow_data` / :func:`workflow_property` (``--format github``): GitHub's own escaping of
  workflow-command data (``%``, CR, LF) and properties (also ``:`` and ``,``), after :func:`terminal`;
- :func:`markdown` (Markdown report, job summary): no link, image (a tracking pixel), raw HTML,
  autolink or ``@mention`` can come from repository data; :func:`code` puts text in a code span
  it cannot break out of, whatever backticks it holds;
- :func:`json_text` (JSON, SARIF): the controls ``json`` leaves raw become ``\\uXXXX`` (same values);
- :func:`xml` (JUnit): characters XML 1.0 does not allow are dropped (shown as escapes), so the
  document is always well-formed.
"""

from __future__ import annotations

import functools
import re

# C0 controls, DEL, C1 controls; Unicode line/paragraph separators, bidi embeddings, overrides
# and isolates, zero-width and invisible formatting that can disguise text; BOM; lone surrogates
# (an undecodable byte of a file name), which no UTF-8 output can even encode.
# Patterns are compiled when first used, not at import: the two wide character classes alone
# take ~16 ms to compile, paid by every run (even `k8slint --version` of a module importing this).
@functools.lru_cache(maxsize=None)
def _pattern(text: str) -> re.Pattern:
    return re.compile(text)


_CONTROLS = "[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ud800-\udfff]"
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_XML_ILLEGAL = "[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"


def _visible(match: re.Match) -> str:
    ch = match.group(0)
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal(text: object) -> str:
    """``text`` with every control character shown as an escape: safe on a terminal, in a log
    and on stderr, and always one line."""
    shown = _pattern(_CONTROLS).sub(_visible, str(text))
    if shown.lstrip().startswith("::"):  # a workflow command if it ever starts a line
        shown = shown.replace(":", "\\x3a", 1)
    return shown


def terminal_text(text: object) -> str:
    """Multi-line ``text`` safe on a terminal: its lines kept, each shown as :func:`terminal`
    shows it (a custom rule's own summary or examples printed by `rules`/`explain`)."""
    return "\n".join(terminal(line) for line in str(text).split("\n"))


def workflow_data(text: object) -> str:
    """The message of a GitHub workflow command (``::error ...::<data>``): line breaks
    percent-encoded as GitHub decodes them (a multi-line annotation, never a new command), every
    other control character shown as an escape."""
    text = _pattern(_CONTROLS).sub(lambda m: m.group(0) if m.group(0) in "\r\n" else _visible(m), str(text))
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def workflow_property(text: object) -> str:
    """A property value of a GitHub workflow command (``file=``, ``title=``)."""
    return workflow_data(text).replace(":", "%3A").replace(",", "%2C")


_MD_SPECIAL = r"([\\`*_\[\]()#!|~])"
_MENTION = r"@(?=[A-Za-z0-9])"
_AUTOLINK = r"(?i)(?<=[a-z0-9+.-])(://)|\b(www)(\.)"


def markdown(text: object) -> str:
    """Repository text as plain Markdown text: one line; every character Markdown or HTML reads
    (links, images, emphasis, tables, headings, raw HTML) escaped; autolinks and @mentions broken
    with a zero-width space, so nothing is linked, fetched or notified."""
    escaped = terminal(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    escaped = _pattern(_MD_SPECIAL).sub(r"\\\1", escaped)
    escaped = _pattern(_MENTION).sub("@\u200b", escaped)
    return _pattern(_AUTOLINK).sub(lambda m: f":\u200b//" if m.group(1) else f"{m.group(2)}\u200b.", escaped)


def code(text: object) -> str:
    """Repository text as a Markdown code span (also inside a table cell): fenced with more backticks
    than any run inside it, pipes escaped, one line. Nothing in a code span is linked or rendered."""
    body = terminal(text).replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if body.startswith("`") or body.endswith("`") or body.startswith(" ") else ""
    return f"{fence}{pad}{body}{pad}{fence}"


_JSON_RAW = "[\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ud800-\udfff]"


def json_text(text: str) -> str:
    """JSON text with the control characters ``json`` leaves raw (DEL, C1, Unicode format controls)
    written as ``\\uXXXX`` escapes: the same values, no raw control character in the file."""
    return _pattern(_JSON_RAW).sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def xml(text: str) -> str:
    """``text`` without the characters XML 1.0 forbids (shown as escapes instead)."""
    return _pattern(_XML_ILLEGAL).sub(_visible, text)
