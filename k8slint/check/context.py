"""What a template sees besides its subject: the one module templates use to reach anything else.

A template is called as ``fn(subject, params, ctx)``. ``ctx`` is a :class:`Context`:

- ``ctx.env``, ``ctx.policy_env`` (unknown maps to the strictest policy), ``ctx.env_phrase``;
- ``ctx.rule``, ``ctx.target`` (kind, path, display, values files), ``ctx.settings``;
- ``ctx.index``: the render's :class:`~k8slint.check.index.Index` (render scope);
- ``ctx.sources``: the repository's files, parsed once per run - ``docs(rel)``, ``lines(rel)``,
  ``text(rel)``; files over ``limits.max-file-size``, non-regular files and symlinks that leave
  the repository read as empty;
- ``ctx.files()``, ``ctx.is_dir(rel)``: the repository tree, listed once per run;
- ``ctx.kustomizations()``, ``ctx.kustomization_file()``: the target's kustomization tree;
- ``ctx.cached(name, build)``: a value built once per run and shared by every render.

Templates read repository files only through this context (``tests/test_layout.py`` checks it).
"""

from __future__ import annotations

from dataclasses import field
from pathlib import Path
from typing import Any, Callable

from .. import envs
from ..plan.rules import Rule
from ..plan.settings import Settings
from ..records import FACTORY, record
from .index import Index


@record
class RepoFiles:
    """The repository tree (the subject of repo-scope templates): repo-relative POSIX paths of every file."""

    root: Path
    files: list[str] = field(default_factory=list)

    def __init__(self, root: Path, files: list[str] = FACTORY) -> None:
        self.root = root
        self.files = [] if files is FACTORY else files


@record
class Context:
    """What a template sees besides its subject (see the module docstring)."""

    env: str
    policy_env: str
    rule: Rule
    index: Index | None
    settings: Settings
    target: Any = None
    sources: Any = None  # the run's Sources (parsed source files: kustomizations, values, patches), shared
    peers: dict = field(default_factory=dict)  # rule id -> params of every rule in force here (one mistake, one finding)

    def __init__(
            self, env: str, policy_env: str, rule: Rule, index: Index | None, settings: Settings, target: Any = None,
            sources: Any = None, peers: dict = FACTORY
    ) -> None:
        self.env = env
        self.policy_env = policy_env
        self.rule = rule
        self.index = index
        self.settings = settings
        self.target = target
        self.sources = sources
        self.peers = {} if peers is FACTORY else peers

    @property
    def env_phrase(self) -> str:
        if self.env == envs.UNKNOWN:
            return f"{self.policy_env} (environment unknown, strictest policy)"
        return self.env

    def files(self) -> list[str]:
        """Every file of the repository, repo-relative, listed once per run."""
        return self.settings.sources.files()

    def is_dir(self, rel: str) -> bool:
        return self.settings.sources.is_dir(rel)

    def kustomizations(self, target: Any = None) -> list:
        """The kustomization files of a kustomize target and of every local kustomization it
        includes, sorted by file, each with ``rel`` (repo-relative file), ``data`` (its mapping)
        and ``refs`` (every local path it names: text, line, key); empty for other targets."""
        target = target if target is not None else self.target
        if target is None or target.kind != "kustomize":
            return []
        tree = self.settings.kustomizations.tree(target.path if target.path.is_dir() else target.path.parent)
        return sorted((node for node in tree if node.data is not None), key=lambda node: node.rel)

    def kustomization_file(self, target: Any = None) -> str | None:
        """The repo-relative kustomization file of a kustomize target (None for other targets)."""
        target = target if target is not None else self.target
        if target is None or target.kind != "kustomize":
            return None
        node = self.settings.kustomizations.at(target.path)
        return node.rel if node is not None else None

    def cached(self, name: Any, build: Callable[[], Any]) -> Any:
        """A value built once per run (``build()``), shared by every render and rule."""
        key = ("context", name)
        cache = self.settings.cache
        if key not in cache:
            cache[key] = build()
        return cache[key]
