"""Repository-tree templates: files that must not live in a deploy repo."""

from __future__ import annotations

import fnmatch
import re
from typing import Iterator

from ..model import Location, Violation, fill_message
from . import template


def _matcher(pattern: str):
    """A file-name glob ('*.py'), or with a '/' a glob on the path's tail ('.kube/*', 'secrets/plain/*')."""
    pattern = pattern.lower()
    if "/" in pattern:
        anchored = "*/" + pattern.lstrip("/")
        return lambda rel, name: fnmatch.fnmatchcase("/" + rel.lower(), anchored)
    return lambda rel, name: fnmatch.fnmatchcase(name, pattern)


def _under(rel: str, folders: tuple) -> bool:
    return any(("/" + rel).find("/" + folder) >= 0 for folder in folders)


def _folders(items) -> tuple:
    return tuple(str(p).strip("/") + "/" for p in items or ())


def _groups(params: dict) -> list[dict]:
    """``patterns`` items are globs (sharing the rule's ``allow-under``/``message``) or mappings
    ``{pattern, allow-under, contains, unless-contains, what}`` with their own settings."""
    out = []
    shared_allow = _folders(params.get("allow-under"))
    for item in params["patterns"]:
        spec = item if isinstance(item, dict) else {"pattern": item}
        out.append({
            "match": _matcher(str(spec["pattern"])),
            "allow": _folders(spec["allow-under"]) if "allow-under" in spec else shared_allow,
            "contains": re.compile(spec["contains"]) if spec.get("contains") else None,
            "unless": re.compile(spec["unless-contains"]) if spec.get("unless-contains") else None,
            "what": str(spec.get("what", params.get("what", ""))),
        })
    return out


@template(scope="repo")
def forbidden_files(repo, params: dict, ctx) -> Iterator[Violation]:
    """Files whose name (or path tail, for patterns with a '/') matches ``params.patterns``
    (fnmatch, case-insensitive), outside ``allow-under`` folders. A pattern given as a mapping
    may also require its file's text to match ``contains`` (e.g. a Makefile with build
    commands) or not to match ``unless-contains`` (e.g. a SOPS-encrypted file)."""
    groups = _groups(params)
    for rel in repo.files:
        name = rel.rsplit("/", 1)[-1].lower()
        for group in groups:
            if not group["match"](rel, name) or (group["allow"] and _under(rel, group["allow"])):
                continue
            if group["contains"] is not None or group["unless"] is not None:
                text = ctx.sources.text(rel) if ctx.sources is not None else ""
                if group["contains"] is not None and not group["contains"].search(text):
                    continue
                if group["unless"] is not None and group["unless"].search(text):
                    continue
            message = fill_message(params["message"], {"file": rel, "name": rel.rsplit("/", 1)[-1], "what": group["what"]})
            yield Violation(message, location=Location(rel, 1), key=rel)
            break
