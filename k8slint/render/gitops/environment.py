"""The environment of a deployment unit: config globs on its name, path and destination, then the
environment aliases (prod, stg, dev...) in its name, its destination namespace, its source path
and its Helm values files -- in that order."""

from __future__ import annotations

import fnmatch
import re

from ... import envs
from .model import Deployment

_WORD = re.compile(r"[a-z0-9]+")


def _alias(value: str | None) -> str | None:
    for word in _WORD.findall((value or "").lower()):
        env = envs.ALIASES.get(word)
        if env:
            return env
    return None


def _subjects(unit: Deployment) -> list[tuple[str, str]]:
    out = [("name", unit.name)]
    out += [("path", s.path) for s in unit.followed_sources() if s.path]
    dest = unit.destination
    out += [(what, value) for what, value in (("destination namespace", dest.namespace), ("destination name", dest.name),
                                                ("destination server", dest.server)) if value]
    return out


def environment(unit: Deployment, globs: dict[str, str] | None = None) -> tuple[str, str]:
    """(environment, how it was decided); ``unknown`` when nothing names one."""
    subjects = _subjects(unit)
    for pattern, env in (globs or {}).items():
        for what, value in subjects:
            if fnmatch.fnmatchcase(value, pattern):
                return envs.normalize(env) or env, f"config environments[{pattern!r}] on its {what}"
    env = _alias(unit.name)
    if env:
        return env, "its name"
    env = _alias(unit.destination.namespace)
    if env:
        return env, "its destination namespace"
    for source in unit.followed_sources():
        env = envs.from_path(source.path) if source.path else None
        if env:
            return env, "its source path"
    for source in unit.sources:
        for value_file in source.helm.value_files if source.helm else ():
            env = envs.from_path(value_file.path or value_file.text)
            if env:
                return env, "its values file"
    return envs.UNKNOWN, "unresolved"
