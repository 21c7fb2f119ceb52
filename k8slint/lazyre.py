"""Regular expressions compiled on first use, not at import.

A module-level ``re.compile`` runs in every process that imports the module, whether or not the
pattern is ever matched, and most are not in a given run: a check of one plain file never reads a
Helm values key, a config file inside a ConfigMap or a multi-document JSON stream. ``compile``
stands in for ``re.compile`` for such module constants: the first attribute asked of the result
compiles the pattern (the same pattern and flags, so the same matches) and keeps the compiled
pattern's methods on the instance, so every later ``.search``/``.match``/... is the compiled
pattern's own method, found in the instance's dictionary.

Use it for module-level patterns that are used only through their methods; pass a real
``re.Pattern`` (``re.compile``) where a function needs one (``re.sub(pattern, ...)``).
"""

from __future__ import annotations

import re
import sys
from types import ModuleType
from typing import Any

# what a compiled pattern offers, kept on the instance once compiled
_KEPT = ("match", "fullmatch", "search", "findall", "finditer", "sub", "subn", "split", "scanner",
         "pattern", "flags", "groups", "groupindex")


class LazyPattern:
    """``re.compile(pattern, flags)``, done when the pattern is first used."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._source = (pattern, flags)

    def __getattr__(self, name: str) -> Any:  # only for names the instance does not hold yet
        compiled = self.compiled()
        return getattr(compiled, name)

    def compiled(self) -> re.Pattern:
        """The compiled pattern (compiled now if it was not yet)."""
        found = self.__dict__.get("_compiled")
        if found is None:
            found = re.compile(*self.__dict__["_source"])
            kept = {name: getattr(found, name) for name in _KEPT}
            self.__dict__.update(kept, _compiled=found)
        return found

    def __repr__(self) -> str:
        pattern, flags = self._source
        return f"lazyre.compile({pattern!r}{', ' + str(flags) if flags else ''})"


def compile(pattern: str, flags: int = 0) -> LazyPattern:  # noqa: A001 - used as lazyre.compile
    """``re.compile(pattern, flags)`` when the result is first used."""
    return LazyPattern(pattern, flags)


def import_deferring(module: str, patterns: frozenset[str]) -> ModuleType:
    """``import module``, with each of ``patterns`` that the module's own import compiles (with
    ``re.compile``, no flags) made a :class:`LazyPattern` instead: for a library that compiles a
    costly pattern at import for a path k8slint does not take. Every other ``re.compile`` during
    the import is ``re.compile`` itself, and ``re.compile`` is restored before this returns. A
    module imported already is returned as it is."""
    found = sys.modules.get(module)
    if found is not None:
        return found
    real = re.compile

    def deferring(pattern: Any, flags: int = 0) -> Any:
        if flags == 0 and type(pattern) is str and pattern in patterns:
            return LazyPattern(pattern)
        return real(pattern, flags)

    re.compile = deferring  # type: ignore[assignment]
    try:
        __import__(module)
    finally:
        re.compile = real
    return sys.modules[module]
