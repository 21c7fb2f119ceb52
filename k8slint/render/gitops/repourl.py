"""Which repoURLs mean "this repository": normalising Git URLs and reading the git remotes.

``https://github.com/o/r.git``, ``https://github.com/o/r``, ``git@github.com:o/r.git`` and
``ssh://git@github.com:22/o/r`` are the same repository. Comparison is case-insensitive (as
Argo CD compares them). The remotes come from ``.git/config``, read as text: git is never run.
"""

from __future__ import annotations

import re
from pathlib import Path

_SCP = re.compile(r"^(?:[^@/:]+@)?(?P<host>[^/:]+):(?P<path>(?!//).*)$")  # git@host:owner/repo
_URL = re.compile(r"^(?P<scheme>[a-z][a-z0-9+.-]*)://(?:[^@/]*@)?(?P<host>[^/:?#]*)(?::\d*)?(?P<path>[^?#]*)", re.I)
_MAX_CONFIG = 1 << 20


def normalize(url: str) -> str:
    """A comparison key: ``host/owner/repo`` lower-cased, without scheme, user, port or ``.git``."""
    text = url.strip()
    match = _URL.match(text)
    if match:
        host, path = match.group("host"), match.group("path")
    else:
        scp = _SCP.match(text)
        if scp and "://" not in text:
            host, path = scp.group("host"), scp.group("path")
        else:
            host, path = "", text
    path = path.strip("/")
    if path.endswith(".git"):
        path = path[:-4]
    key = f"{host}/{path}" if host else path
    return key.rstrip("/").lower()


def sanitize(url: str) -> str:
    """The URL without credentials, query or fragment: safe to print."""
    text = url.strip()
    match = re.match(r"^([a-z][a-z0-9+.-]*://)([^@/]*@)?([^?#]*)", text, re.I)
    if match:
        return match.group(1) + match.group(3)
    text = text.split("?", 1)[0].split("#", 1)[0]
    head, slash, rest = text.partition("/")
    if "@" in head:  # user[:password]@host:path -- keep only the conventional user "git"
        user, _, host = head.rpartition("@")
        head = ("git@" if user == "git" else "") + host
    return head + slash + rest


def is_oci(url: str) -> bool:
    return url.strip().lower().startswith("oci://")


def _config_file(root: Path) -> Path | None:
    """``.git/config`` of the repository at ``root``; for a worktree or submodule (``.git`` is a
    file naming the git directory) the shared ``config`` of that git directory. Only a file
    called ``config`` inside a directory that is part of a ``.git`` tree is ever read."""
    dot_git = root / ".git"
    if dot_git.is_dir():
        candidate = dot_git / "config"
        return candidate if candidate.is_file() else None
    if not dot_git.is_file():
        return None
    try:
        head = dot_git.read_text(encoding="utf-8", errors="replace")[:4096]
    except OSError:
        return None
    match = re.match(r"gitdir:\s*(.+?)\s*$", head, re.M)
    if not match:
        return None
    gitdir = (root / match.group(1)).resolve()
    common = gitdir / "commondir"
    if common.is_file():
        try:
            gitdir = (gitdir / common.read_text(encoding="utf-8", errors="replace").strip()).resolve()
        except OSError:
            return None
    if ".git" not in gitdir.parts and not gitdir.name.endswith(".git"):
        return None
    candidate = gitdir / "config"
    return candidate if candidate.is_file() else None


def git_remotes(root: Path) -> list[str]:
    """Every ``url``/``pushurl`` of every ``[remote "..."]`` section, in file order."""
    path = _config_file(root)
    if path is None:
        return []
    try:
        if path.stat().st_size > _MAX_CONFIG:
            return []
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    urls: list[str] = []
    in_remote = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            in_remote = bool(re.match(r'\[\s*remote\s+"[^"]*"\s*\]', line))
            continue
        if in_remote:
            key, sep, value = line.partition("=")
            if sep and key.strip().lower() in ("url", "pushurl"):
                value = value.strip().strip('"')
                if value and value not in urls:
                    urls.append(value)
    return urls


class RepoMatcher:
    """Answers "is this repoURL this repository?" from config URLs, else the git remotes.

    When neither is known, ``known`` is False and the caller decides (a source whose path
    exists here is taken as this repository)."""

    def __init__(self, urls: list[str]) -> None:
        self.keys = {normalize(u) for u in urls if u and u.strip()}
        self.known = bool(self.keys)

    def __call__(self, url: str | None) -> bool:
        return bool(url) and normalize(url) in self.keys
