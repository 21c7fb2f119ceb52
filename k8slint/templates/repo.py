"""Repository-tree templates: files that must not live in a deploy repo."""

from __future__ import annotations

import fnmatch
from typing import Iterator

from ..model import Location, Violation
from . import template


@template(scope="repo")
def forbidden_files(repo, params: dict, ctx) -> Iterator[Violation]:
    """Files whose name matches ``params.patterns`` (fnmatch, case-insensitive), outside
    ``params.allow-under`` folders."""
    patterns = [p.lower() for p in params["patterns"]]
    allowed = tuple(p.rstrip("/") + "/" for p in params.get("allow-under", []))
    for rel in repo.files:
        name = rel.rsplit("/", 1)[-1].lower()
        if not any(fnmatch.fnmatchcase(name, p) for p in patterns):
            continue
        if allowed and any(("/" + rel).find("/" + a) >= 0 for a in allowed):
            continue
        yield Violation(params["message"].format(file=rel, name=rel.rsplit("/", 1)[-1]), location=Location(rel, 1), key=rel)
