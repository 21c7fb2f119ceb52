"""The environment of a deployment unit: config globs on its name, path, destination and manifest,
then the environment aliases (prod, stg, dev...) in its name, its destination namespace, its source
path, its Helm values files and, last, the path of its manifest (Flux's ``clusters/<env>/``, an
Argo CD folder per environment) -- in that order."""

from __future__ import annotations

import fnmatch

from ... import envs
from .model import Deployment


def _alias(value: str | None, aliases=None) -> str | None:
    return (aliases or envs.default_aliases()).in_text(value or "")


def _subjects(unit: Deployment) -> list[tuple[str, str]]:
    out = [("name", unit.name)]
    out += [("path", s.path) for s in unit.followed_sources() if s.path]
    dest = unit.destination
    out += [(what, value) for what, value in (("destination namespace", dest.namespace), ("destination name", dest.name),
                                                ("destination server", dest.server)) if value]
    out.append(("manifest", _manifest(unit)))
    return out


def _manifest(unit: Deployment) -> str:
    """The file that declares the unit (for a generated Application: its ApplicationSet's)."""
    return unit.generated.file if unit.generated else unit.file


def environment(unit: Deployment, globs: dict[str, str] | None = None, aliases=None) -> tuple[str, str]:
    """(environment, how it was decided); ``unknown`` when nothing names one. ``aliases``: the
    run's (``settings.aliases``: environment-aliases: over the built-in ones)."""
    subjects = _subjects(unit)
    for pattern, env in (globs or {}).items():
        for what, value in subjects:
            if fnmatch.fnmatchcase(value, pattern):
                return envs.normalize(env, aliases) or env, f"config environments[{pattern!r}] on its {what}"
    env = _alias(unit.name, aliases)
    if env:
        return env, "its name"
    env = _alias(unit.destination.namespace, aliases)
    if env:
        return env, "its destination namespace"
    for source in unit.followed_sources():
        env = envs.from_path(source.path, aliases) if source.path else None
        if env:
            return env, "its source path"
    for source in unit.sources:
        for value_file in source.helm.value_files if source.helm else ():
            env = envs.from_path(value_file.path or value_file.text, aliases)
            if env:
                return env, "its values file"
    env = envs.from_path(_manifest(unit).rpartition("/")[0], aliases)
    if env:
        return env, "its manifest's folder"
    return envs.UNKNOWN, "unresolved"
