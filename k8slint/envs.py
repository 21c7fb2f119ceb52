"""Environment resolution: --env, then config globs, then the path itself."""

from __future__ import annotations

import fnmatch
import re

ENVIRONMENTS = ("production", "staging", "development")
UNKNOWN = "unknown"
STRICTNESS = {"production": 0, UNKNOWN: 1, "staging": 2, "development": 3}  # which environment's finding is shown first

ALIASES = {
    "production": "production",
    "prod": "production",
    "prd": "production",
    "staging": "staging",
    "stage": "staging",
    "stg": "staging",
    "development": "development",
    "dev": "development",
    "local": "development",
}

_WORD = re.compile(r"[a-z0-9]+")


def normalize(name: str) -> str | None:
    """'prod' -> 'production'; None when the word names no environment."""
    return ALIASES.get(name.strip().lower())


def from_path(path: str) -> str | None:
    """Guess the environment from a path's components, nearest component first.

    Each component is split into words (``values-prod.yaml`` -> values, prod, yaml;
    ``overlays/stg-eu`` -> stg, eu) and the first word that is an alias wins.
    """
    parts = re.split(r"[\\/]+", path.lower())
    for part in reversed(parts):
        for word in _WORD.findall(part):
            env = ALIASES.get(word)
            if env:
                return env
    return None


def resolve(path: str, flag: str | None, globs: dict[str, str]) -> tuple[str, str]:
    """Return (environment, how it was decided) for a repo-relative target path."""
    if flag:
        return normalize(flag) or flag, "--env"
    for pattern, env in globs.items():
        if fnmatch.fnmatchcase(path, pattern) or fnmatch.fnmatchcase(path, pattern.rstrip("/") + "/*"):
            return normalize(env) or env, f"config environments[{pattern!r}]"
    env = from_path(path)
    if env:
        return env, "path"
    return UNKNOWN, "unresolved"
