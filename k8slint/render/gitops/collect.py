"""What the Argo CD and Flux readers share: the repository, "is this repoURL this repository?",
and where notes (kept once) and problems go."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import paths
from .model import Doc, Note, Problem
from .repourl import RepoMatcher, sanitize

SOURCE = "gitops-source"  # a source path, values file or chart that does not exist in this repository
OVERLAP = "gitops-overlap"  # two units deploy the same object to the same destination
UNMANAGED = "gitops-unmanaged"  # an overlay or chart that no unit deploys
APPSET = "gitops-appset"  # an ApplicationSet Argo CD would refuse to expand (template error, duplicate names)


def line_of(node: Any, key: Any = None) -> int:
    if key is not None and hasattr(node, "key_line"):
        return node.key_line(key)
    return getattr(node, "line", 1)


def path_at(data: Any, line: int) -> tuple:
    """The key path of the deepest field of ``data`` that starts at ``line`` (``()`` when none):
    for a problem in a rendered object, the integration's locator turns that path into the
    template or patch line a person edits."""
    best: tuple = ()
    stack: list[tuple[Any, tuple]] = [(data, ())]
    while stack:
        node, trail = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                here = trail + (key,)
                if line_of(node, key) == line and len(here) > len(best):
                    best = here
                stack.append((value, here))
        elif isinstance(node, list):
            lines = getattr(node, "ilines", None)
            for index, value in enumerate(node):
                here = trail + (index,)
                if lines is not None and index < len(lines) and lines[index] == line and len(here) > len(best):
                    best = here
                stack.append((value, here))
    return best


def text(value: Any) -> str | None:
    """A scalar as the string Kubernetes would read (YAML may have made it a number or bool)."""
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Collector:
    def __init__(self, root: Path, matcher: RepoMatcher, docs: list[Doc]) -> None:
        self.root = root
        self.matcher = matcher
        self.docs = docs
        self.notes: dict[tuple[str, str], Note] = {}
        self.problems: list[Problem] = []
        self._problem_keys: set[tuple] = set()
        self.tree = paths.Tree(root)  # walked once, shared by every fork

    def fork(self) -> "Collector":
        """A collector for one object: its notes and problems count only once the object is
        known to be deployed (see absorb)."""
        other = Collector(self.root, self.matcher, self.docs)
        other.tree = self.tree
        return other

    def absorb(self, other: "Collector") -> None:
        for key, note in other.notes.items():
            self.notes.setdefault(key, note)
        for problem in other.problems:
            self.problem(problem.rule, problem.message, problem.file, problem.line, problem.unit)

    def note(self, kind: str, subject: str, message: str, file: str, line: int) -> None:
        self.notes.setdefault((kind, subject), Note(kind, subject, message, file, line))

    def problem(self, rule: str, message: str, file: str, line: int, unit: str = "") -> None:
        key = (rule, message, file, line, unit)
        if key not in self._problem_keys:
            self._problem_keys.add(key)
            self.problems.append(Problem(rule, message, file, line, unit))

    def this_repo(self, url: Any, rel_path: str | None, file: str, line: int) -> bool:
        """Config or git remote decide; with neither known, a source whose path exists here is
        taken as this repository (and that is said once)."""
        if not isinstance(url, str) or not url.strip():
            return False
        if self.matcher.known:
            return self.matcher(url)
        self.note("repo-url", "unknown",
                  "which repoURL is this repository is unknown (no gitops repo-urls in the configuration and no git "
                  "remote): a source is followed when its path exists in this repository", file, line)
        return self.tree.is_dir(rel_path)

    def generator_repo(self, url: Any, file: str, line: int) -> bool:
        """For a git generator: config or git remote decide; with neither, it is taken as this one."""
        if not isinstance(url, str) or not url.strip():
            return False
        if self.matcher.known:
            return self.matcher(url)
        self.this_repo(url, None, file, line)  # says once that the URL is unknown
        return True

    def other_repo(self, url: Any, file: str, line: int, what: str = "source") -> str:
        shown = sanitize(str(url or "")) or "(no repoURL)"
        self.note("repository", shown, f"{shown} is not this repository: its {what}s are not fetched or checked", file, line)
        return shown
