"""Regular expressions from the repository, matched in linear time (RE2).

Every pattern that comes with the repository under check (config ``allowed:`` tag patterns,
``forbidden-files`` ``contains:``, a custom rule's JSON Schema ``pattern:`` and
``patternProperties``, a kustomize patch's ``target:`` regexes) is compiled here, with the
``google-re2`` engine: matching time grows linearly with the text, whatever the pattern, so a
pattern like ``^([a-z0-9]+-?)+$`` cannot stall the run the way Python's backtracking ``re`` can.

RE2 has no backreferences, lookahead or lookbehind, possessive or atomic groups: a pattern
using them is refused with :class:`PatternError` (one sentence naming what is missing). ``\\Z``
is read as RE2's ``\\z`` (both mean the very end). Patterns are cached per run (by text).
"""

from __future__ import annotations

import functools
import re

MAX_PATTERN = 4096  # characters of one pattern
_MAX_MEMORY = 8 << 20  # RE2's memory budget per compiled pattern

_UNSUPPORTED = (
    (re.compile(r"\\[1-9]|\(\?P=|\\g<"), "a backreference"),
    (re.compile(r"\(\?<?[=!]"), "a lookahead or lookbehind"),
    (re.compile(r"\(\?>|[*+?}]\+"), "an atomic group or a possessive quantifier"),
    (re.compile(r"\(\?\("), "a conditional group"),
)


class PatternError(ValueError):
    """A pattern k8slint cannot use: the message is one sentence (without the pattern itself)."""


def _shown(pattern: str) -> str:
    text = pattern if len(pattern) <= 80 else pattern[:80] + "..."
    return "".join(ch if ch.isprintable() else "?" for ch in text)


@functools.lru_cache(maxsize=1024)
def compile(pattern: str):  # noqa: A001 - the module is used as regex.compile
    """``pattern`` compiled with RE2 (``search``, ``match``, ``fullmatch`` as in ``re``), or PatternError."""
    if not isinstance(pattern, str):
        raise PatternError(f"{pattern!r} is not a regular expression (a string is expected)")
    if len(pattern) > MAX_PATTERN:
        raise PatternError(f"a regular expression of {len(pattern):,} characters is too long (at most {MAX_PATTERN:,})")
    escaped = _strip_escaped(pattern)
    for finder, what in _UNSUPPORTED:
        if finder.search(escaped):
            raise PatternError(f"regular expression '{_shown(pattern)}' uses {what}, which k8slint's linear-time "
                               "engine (RE2) does not support: rewrite it without")
    import re2  # type: ignore[import-not-found]

    options = re2.Options()
    options.log_errors = False  # RE2 would print the pattern on stderr
    options.max_mem = _MAX_MEMORY
    try:
        return re2.compile(pattern.replace("\\Z", "\\z"), options=options)
    except Exception as exc:  # noqa: BLE001 - re2's error type is private
        reason = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        reason = reason.split(":", 1)[0]  # the engine's reason, without the pattern text it repeats
        raise PatternError(f"regular expression '{_shown(pattern)}' cannot be used ({reason})") from None


def _strip_escaped(pattern: str) -> str:
    """The pattern with escaped backslashes and character classes blanked, so ``[(?=]`` or ``\\\\1``
    are not taken for the constructs they spell."""
    text = re.sub(r"\\\\", "__", pattern)
    return re.sub(r"\[(?:\\.|[^\]\\])*\]", lambda m: "_" * len(m.group(0)), text)


def search(pattern: str, text: str) -> bool:
    return compile(pattern).search(text) is not None


def fullmatch(pattern: str, text: str) -> bool:
    return compile(pattern).fullmatch(text) is not None
