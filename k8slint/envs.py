"""Environment resolution: --env, then config globs, then the names in the path itself.

Names map onto the three policies through aliases: the built-in ones (``prod``, ``stg``, ``dev``,
``qa``, ``preprod``...) and the config's ``environment-aliases:`` (a name or a glob -> production,
staging or development), which add to and override them. A name nothing maps stays ``unknown`` and
gets the strictest policy (``unknown-env``, default production).
"""

from __future__ import annotations

import functools
import re

from . import lazyre
from .globs import fnmatchcase

ENVIRONMENTS = ("production", "staging", "development")
UNKNOWN = "unknown"
STRICTNESS = {"production": 0, UNKNOWN: 1, "staging": 2, "development": 3}  # which environment's finding is shown first

# name or glob -> environment; README "Environments" lists them (a test keeps it true)
DEFAULT_ALIASES = {
    "production": "production", "prod": "production", "prd": "production", "live": "production",
    "staging": "staging", "stage": "staging", "stg": "staging",
    "preprod": "staging", "pre-prod": "staging", "preproduction": "staging", "pre-production": "staging",
    "load": "staging", "load-*": "staging",  # load tests run production-like
    "development": "development", "dev": "development", "local": "development", "localhost": "development",
    "qa": "development", "uat": "development", "test": "development", "testing": "development",
    "sandbox": "development", "integration": "development", "integration-*": "development",
}

_WORD = lazyre.compile(r"[a-z0-9]+")
_MAX_WORDS = 12  # words of one path component looked at (names are short; a long one is not scanned whole)


def _is_glob(name: str) -> bool:
    return any(c in name for c in "*?[")


class Aliases:
    """Names and globs -> environment: ``extra`` (the config's) first, then the defaults."""

    def __init__(self, extra: dict[str, str] | None = None) -> None:
        table = {name.strip().lower(): env for name, env in (extra or {}).items()}
        for name, env in DEFAULT_ALIASES.items():
            table.setdefault(name, env)
        self.exact = {name: env for name, env in table.items() if not _is_glob(name)}
        self.globs = [(name, env) for name, env in table.items() if _is_glob(name)]

    def name(self, name: str) -> str | None:
        """The environment a whole name maps to ('qa' -> development), None when none."""
        key = name.strip().lower()
        return self.exact.get(key) or self._glob(key)

    def _glob(self, key: str) -> str | None:
        return next((env for pattern, env in self.globs if fnmatchcase(key, pattern)), None)

    def in_text(self, text: str) -> str | None:
        """The environment a path component or name spells: its words joined by '-' are tried as
        names, the longest runs first ('values-pre-prod.yaml' is pre-prod before prod), exact names
        before globs; among runs of one length the strictest environment wins ('integration-prod' is
        production: a development alias never hides a production name)."""
        words = _WORD.findall(text.lower())[:_MAX_WORDS]
        by_length = [["-".join(words[i:i + n]) for i in range(len(words) - n + 1)] for n in range(len(words), 0, -1)]
        for lookup in (self.exact.get, self._glob):
            for runs in by_length:
                found = [env for r in runs if (env := lookup(r))]
                if found:
                    return min(found, key=lambda e: STRICTNESS.get(e, len(STRICTNESS)))
        return None


@functools.lru_cache(maxsize=1)
def default_aliases() -> Aliases:
    return Aliases()


ALIASES = default_aliases().exact  # the built-in exact names (kept for readers of the old table)


def normalize(name: str, aliases: Aliases | None = None) -> str | None:
    """'prod' -> 'production', 'qa' -> 'development'; None when the name maps to no environment."""
    return (aliases or default_aliases()).name(name)


def from_path(path: str, aliases: Aliases | None = None) -> str | None:
    """Guess the environment from a path's components, nearest component first (see Aliases.in_text)."""
    table = aliases or default_aliases()
    for part in reversed(re.split(r"[\\/]+", path)):
        env = table.in_text(part)
        if env:
            return env
    return None


def resolve(path: str, flag: str | None, globs: dict[str, str], aliases: Aliases | None = None) -> tuple[str, str]:
    """Return (environment, how it was decided) for a repo-relative target path."""
    if flag:
        return normalize(flag, aliases) or flag, "--env"
    for pattern, env in globs.items():
        if fnmatchcase(path, pattern) or fnmatchcase(path, pattern.rstrip("/") + "/*"):
            return normalize(env, aliases) or env, f"config environments[{pattern!r}]"
    env = from_path(path, aliases)
    if env:
        return env, "path"
    return UNKNOWN, "unresolved"
