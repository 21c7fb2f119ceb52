"""Repository-tree templates: files that must not live in a deploy repo."""

from __future__ import annotations

import fnmatch
import re
from typing import Iterator

from .. import regex
from ..model import Location, Violation, fill_message
from . import template


def _matcher(pattern: str):
    """A file-name glob ('*.py'), or with a '/' a glob on the path's tail ('.kube/*', 'secrets/plain/*')."""
    pattern = pattern.lower()
    if "/" in pattern:  # compiled once: a large repository has thousands of files for each pattern
        anchored = re.compile(fnmatch.translate("*/" + pattern.lstrip("/"))).match
        return lambda rel, name: anchored("/" + rel.lower()) is not None
    match = re.compile(fnmatch.translate(pattern)).match
    return lambda rel, name: match(name) is not None


def _under(rel: str, folders: tuple) -> bool:
    return any(("/" + rel).find("/" + folder) >= 0 for folder in folders)


def _folders(items) -> tuple:
    return tuple(str(p).strip("/") + "/" for p in items or ())


def _groups(params: dict) -> list[dict]:
    """``patterns`` items are globs (sharing the rule's ``allow-under``/``message``) or mappings
    ``{pattern, allow-under, contains, unless-contains, what}`` with their own settings."""
    out = []
    shared_allow = _folders(params["allow-under"])
    for item in params["patterns"]:
        spec = item if isinstance(item, dict) else {"pattern": item}
        out.append({
            "match": _matcher(str(spec["pattern"])),
            "allow": _folders(spec["allow-under"]) if "allow-under" in spec else shared_allow,
            "contains": regex.compile(spec["contains"]) if spec.get("contains") else None,
            "unless": regex.compile(spec["unless-contains"]) if spec.get("unless-contains") else None,
            "what": str(spec.get("what", params["what"])),
            "named": not str(spec["pattern"]).startswith("*"),  # a named file (package.json), not any *.py
        })
    return out


_FOLDERS = {"type": "array", "items": {"type": "string", "minLength": 1}}
_PATTERN = {"oneOf": [
    {"type": "string", "minLength": 1},
    {"type": "object", "additionalProperties": False, "required": ["pattern"], "properties": {
        "pattern": {"type": "string", "minLength": 1},
        "what": {"type": "string"},
        "allow-under": _FOLDERS,
        "contains": {"type": "string", "format": "regex"},
        "unless-contains": {"type": "string", "format": "regex"},
    }},
]}


@template(scope="repo", params={
    "patterns": {"type": "array", "items": _PATTERN, "minItems": 1,
                 "description": "File-name globs (`*.sql`; with a `/`, a glob on the path's tail: `.kube/*`), or mappings "
                                "`{pattern, what, allow-under, contains, unless-contains}` (the last two: regular "
                                "expressions the file's text must or must not match)."},
    "message": {"type": "string", "minLength": 1,
                "description": "The finding's message; `{file}`, `{name}` and `{what}` are filled in."},
    "what": {"type": "string", "default": "", "description": "What a matching file is, for patterns that do not say."},
    "allow-under": {**_FOLDERS, "default": [], "description": "Folders where matching files are allowed."},
    "group": {"enum": ["none", "top-folder"], "default": "none",
              "description": "`top-folder`: the files inside one top-level folder are one finding."},
    "group-message": {"type": "string", "default": "",
                      "description": "The message of a grouped finding (default `message`); also `{folder}`, `{count}`, "
                                     "`{files}`, `{kinds}` and `{examples}`."},
})
def forbidden_files(repo, params: dict, ctx) -> Iterator[Violation]:
    """Files whose name (or path tail, for patterns with a '/') matches ``params.patterns``
    (fnmatch, case-insensitive), outside ``allow-under`` folders. A pattern given as a mapping
    may also require its file's text to match ``contains`` (e.g. a Makefile with build
    commands) or not to match ``unless-contains`` (e.g. a SOPS-encrypted file).

    With ``params.group: top-folder`` the files inside one top-level folder are one finding
    (``params.group-message``: how many, of which kinds, a few examples), at the folder's
    shallowest build or dependency file (else its first file), keyed by the folder so the
    fingerprint survives files coming and going; files at the repository root stay one each."""
    groups = _groups(params)
    grouped = params["group"] == "top-folder"
    folders: dict[str, list[tuple[str, str, bool]]] = {}  # top folder -> [(file, what, named file)]
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
            if grouped and "/" in rel:
                folders.setdefault(rel.split("/", 1)[0], []).append((rel, group["what"], group["named"]))
            else:
                message = fill_message(params["message"], {"file": rel, "name": rel.rsplit("/", 1)[-1], "what": group["what"]})
                yield Violation(message, location=Location(rel, 1), key=rel)
            break
    for folder, found in folders.items():
        yield _folder_finding(folder, found, params)


def _without_article(what: str) -> str:
    return what[2:] if what.startswith("a ") else what[3:] if what.startswith("an ") else what


def _folder_finding(folder: str, found: list[tuple[str, str, bool]], params: dict) -> Violation:
    """One finding for the forbidden files under one top-level folder."""
    by_what: dict[str, int] = {}
    for _, what, _ in found:
        by_what[what] = by_what.get(what, 0) + 1
    kinds = ", ".join(f"{count} {_without_article(what)}" for what, count in sorted(by_what.items(), key=lambda kv: (-kv[1], kv[0])))
    depth_first = sorted(found, key=lambda item: (item[0].count("/"), item[0]))
    # where to point: the folder's shallowest named build/dependency file (package.json), else its first file
    anchor = min(depth_first, key=lambda item: (not item[2], item[0].count("/"), item[0]))[0]
    examples = [anchor]
    for rel, _, _ in depth_first:  # then one example per sub-folder, so they show where the files are
        if len(examples) == 3:
            break
        if rel.rsplit("/", 1)[0] not in {e.rsplit("/", 1)[0] for e in examples}:
            examples.append(rel)
    for rel, _, _ in depth_first:
        if len(examples) == 3:
            break
        if rel not in examples:
            examples.append(rel)
    shown = ", ".join(examples) + (", ..." if len(found) > len(examples) else "")
    message = fill_message(params["group-message"] or params["message"], {
        "folder": folder + "/", "count": str(len(found)), "files": "file" if len(found) == 1 else "files",
        "kinds": kinds, "examples": shown, "file": anchor, "name": anchor.rsplit("/", 1)[-1], "what": found[0][1],
    })
    return Violation(message, location=Location(anchor, 1), key=folder + "/")

