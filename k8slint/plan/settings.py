"""Run-wide settings: command-line flags over the configuration file over defaults.

:class:`Settings` is the only reader of the configuration's data: every other module asks it
(``settings.environments``, ``settings.rule_config(id)``, ``settings.ignore_entries`` ...),
never the :class:`~k8slint.plan.config.Config`. It also carries what one run shares across
stages: the repository's files (``sources``), the kustomization graph and the user's CRDs.
"""

from __future__ import annotations

import threading
from dataclasses import field
from pathlib import Path
from typing import Any

from ..records import FACTORY, record
from ..sources import DEFAULT_MAX_FILE_SIZE, relative
from .config import Config

DEFAULT_MAX_OBJECTS = 200_000
DEFAULT_RENDER_TIMEOUT = 120.0
DEFAULT_GITOPS_DEPTH = 5
DEFAULT_DEADLINE = 900.0  # the whole run (--deadline, limits.deadline)
DEFAULT_RENDER_MEMORY = 2 << 30  # data memory of one renderer process (--render-memory, limits.render-memory)

_LAZY = threading.Lock()


@record
class Settings:
    """A run's settings: the command line (or ``k8slint.lint`` keywords) over the repository's config."""

    repo_root: Path
    config: Config = field(default_factory=Config)
    fail_on: str = "error"
    unknown_env: str = "production"
    allow_remote: bool = False
    render_timeout: float = DEFAULT_RENDER_TIMEOUT
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    max_objects: int = DEFAULT_MAX_OBJECTS
    chart_search: list[Path] = field(default_factory=list)
    kubernetes_version: str | None = None
    crds: list[Path] = field(default_factory=list)  # CustomResourceDefinition files/folders (config crds:, --crd)
    jobs: int = 0  # parallel renders; 0 = number of CPUs
    deadline: float = DEFAULT_DEADLINE  # seconds the whole run may take
    render_memory: int = DEFAULT_RENDER_MEMORY  # bytes of data memory one renderer process may use
    confined: dict = field(default_factory=dict, repr=False)  # config key -> its paths, checked inside the repository
    notes: list[str] = field(default_factory=list)  # what the configuration asked for and did not get
    named: list[Path] = field(default_factory=list)  # paths the command line named outside the repository root
    scope: list | None = None  # the paths the repository's file listing covers (None: the whole root)
    cache: dict = field(default_factory=dict, repr=False, compare=False)  # run-wide state templates keep across renders

    def __init__(
            self, repo_root: Path, config: Config = FACTORY, fail_on: str = "error", unknown_env: str = "production",
            allow_remote: bool = False, render_timeout: float = DEFAULT_RENDER_TIMEOUT,
            max_file_size: int = DEFAULT_MAX_FILE_SIZE, max_objects: int = DEFAULT_MAX_OBJECTS,
            chart_search: list[Path] = FACTORY, kubernetes_version: str | None = None, crds: list[Path] = FACTORY,
            jobs: int = 0, deadline: float = DEFAULT_DEADLINE, render_memory: int = DEFAULT_RENDER_MEMORY,
            confined: dict = FACTORY, notes: list[str] = FACTORY, named: list[Path] = FACTORY,
            scope: list | None = None, cache: dict = FACTORY
    ) -> None:
        self.repo_root = repo_root
        self.config = Config() if config is FACTORY else config
        self.fail_on = fail_on
        self.unknown_env = unknown_env
        self.allow_remote = allow_remote
        self.render_timeout = render_timeout
        self.max_file_size = max_file_size
        self.max_objects = max_objects
        self.chart_search = [] if chart_search is FACTORY else chart_search
        self.kubernetes_version = kubernetes_version
        self.crds = [] if crds is FACTORY else crds
        self.jobs = jobs
        self.deadline = deadline
        self.render_memory = render_memory
        self.confined = {} if confined is FACTORY else confined
        self.notes = [] if notes is FACTORY else notes
        self.named = [] if named is FACTORY else named
        self.scope = scope
        self.cache = {} if cache is FACTORY else cache

    @classmethod
    def build(cls, repo_root: Path, config: Config, trusted_config: bool = False, **flags) -> "Settings":
        """Flags over the configuration over defaults. The configuration is untrusted (it comes with
        the repository under check): it may narrow what a run does, never widen it. Remote access
        is the command line's alone, limits from it may only lower the defaults, and the paths it
        names must stay inside the repository root (see SECURITY.md). ``trusted_config``: the
        configuration file was named on the command line (--config), so its own folder may hold
        the paths it names too."""
        from .confine import bounded_limits, confined_paths

        limits = config.get("limits", {})
        helm = config.get("helm", {})
        base = config.file.parent if config.file else repo_root
        notes: list[str] = []
        where = f"{config.file.name}" if config.file else "the configuration"
        allowed = [repo_root] + ([base] if trusted_config and config.file else [])
        paths = confined_paths(config, base, allowed, where)
        if config.get("kustomize", {}).get("allow-remote") is True and flags.get("allow_remote") is None:
            notes.append(f"kustomize.allow-remote in {where} is ignored: the repository's configuration cannot "
                         "let kustomize use the network (pass --allow-remote on the command line)")
        bounded = bounded_limits(limits, {"render-timeout": DEFAULT_RENDER_TIMEOUT, "max-file-size": DEFAULT_MAX_FILE_SIZE,
                                          "max-objects": DEFAULT_MAX_OBJECTS, "deadline": DEFAULT_DEADLINE,
                                          "render-memory": DEFAULT_RENDER_MEMORY}, where, notes)
        settings = cls(
            repo_root=repo_root,
            config=config,
            fail_on=config.get("fail-on", "error"),
            unknown_env=config.get("unknown-env", "production"),
            allow_remote=False,
            render_timeout=float(bounded["render-timeout"]),
            max_file_size=int(bounded["max-file-size"]),
            max_objects=int(bounded["max-objects"]),
            deadline=float(bounded["deadline"]),
            render_memory=int(bounded["render-memory"]),
            chart_search=paths["helm.chart-search"],
            kubernetes_version=config.get("kubernetes-version"),
            crds=paths["crds"],
            confined=paths,
            notes=notes,
        )
        for key, value in flags.items():
            if value is not None:
                setattr(settings, key, value)
        return settings

    # -- configuration data (validated by schemas/config.schema.json) ------------------------
    @property
    def config_base(self) -> Path:
        """The folder paths in the configuration are relative to."""
        return self.config.file.parent if self.config.file else self.repo_root

    @property
    def config_rel(self) -> str | None:
        """The configuration file, repo-relative (None without one)."""
        return relative(self.config.file, self.repo_root) if self.config.file else None

    @property
    def environments(self) -> dict[str, str]:
        """Path glob -> environment (``environments:``)."""
        return self.config.get("environments", {})

    @property
    def aliases(self):
        """Environment names and globs -> environment: ``environment-aliases:`` over the built-in ones."""
        from ..envs import Aliases

        if "environment-aliases" not in self.cache:
            self.cache["environment-aliases"] = Aliases(self.config.get("environment-aliases") or None)
        return self.cache["environment-aliases"]

    @property
    def exclude(self) -> list[str]:
        """Globs of discovered targets not to check (``exclude:``)."""
        return self.config.get("exclude", [])

    @property
    def listed_targets(self) -> list[Path]:
        """The targets a run without paths checks (``targets:``), resolved; empty: discover them."""
        return list(self.confined.get("targets", []))

    @property
    def helm_release_name(self) -> str | None:
        return self.config.get("helm", {}).get("release-name")

    @property
    def helm_namespace(self) -> str | None:
        return self.config.get("helm", {}).get("namespace")

    @property
    def gitops_repo_urls(self) -> list[str]:
        """The repoURLs that mean this repository (``gitops.repo-urls``); empty: the git remotes."""
        return list(self.config.get("gitops", {}).get("repo-urls", []))

    @property
    def gitops_max_depth(self) -> int:
        """How deep app-of-apps are followed (``gitops.max-depth``): the untrusted configuration may
        lower the default, never raise it (the schema refuses more)."""
        return min(int(self.config.get("gitops", {}).get("max-depth", DEFAULT_GITOPS_DEPTH)), DEFAULT_GITOPS_DEPTH)

    @property
    def baseline(self) -> Path | None:
        """The baseline file of ``baseline:``, resolved (None without one)."""
        listed = self.confined.get("baseline")
        return listed[0] if listed else None

    def custom_rule_paths(self) -> list[Path]:
        """``custom-rules:`` files and folders (each must exist), else ``.k8slint/rules/`` when present."""
        from ..errors import K8slintError

        listed = self.config.get("custom-rules")
        if listed is not None:
            paths = list(self.confined.get("custom-rules", []))
            missing = [str(p) for p in paths if not p.exists()]
            if missing:
                raise K8slintError(f"custom-rules path not found: {', '.join(missing)}")
            return paths
        default = self.config_base / ".k8slint" / "rules"
        return [default] if default.is_dir() else []

    @property
    def configured_rules(self) -> list[str]:
        """The rule ids under ``rules:``, in file order."""
        rules = self.config.get("rules")
        return list(rules) if isinstance(rules, dict) else []

    @property
    def config_shown(self) -> str:
        """The configuration file as messages name it."""
        return str(self.config.file) if self.config.file else ".k8slint.yaml"

    def config_line(self, path: tuple) -> int | None:
        """The line of the key or item at ``path`` in the configuration file (the nearest enclosing
        one that has a line; None when the file has no line numbers, e.g. pyproject.toml)."""
        from .params import line_at

        return line_at(self.config.data, path)

    def rule_config(self, rule_id: str) -> dict:
        """``rules.<id>``: enabled, severity, params and their per-environment overrides."""
        return self.config.rule(rule_id)

    @property
    def ignore_entries(self) -> list[dict]:
        """``ignore:`` entries (rules, paths, kind, namespace, name, env, reason), in file order."""
        return self.config.get("ignore", [])

    def ignore_line(self, position: int) -> int:
        """The line of the ``position``-th ``ignore:`` entry in the configuration file."""
        items = self.config.data.get("ignore")
        return items.item_line(position) if hasattr(items, "item_line") else 1

    # -- what the stages of one run share ------------------------------------------------------
    @property
    def sources(self):
        """The repository's files, read (size limit, symlink guard) and parsed at most once per run."""
        found = self.cache.get("sources")
        if found is None:
            from ..sources import Sources

            with _LAZY:
                found = self.cache.get("sources")
                if found is None:
                    found = self.cache["sources"] = Sources(self.repo_root, self.max_file_size, tuple(self.named),
                                                            scope=self.scope)
        return found

    @property
    def kustomizations(self):
        """The run's kustomization graph (each kustomization read once)."""
        found = self.cache.get("kustomizations")
        if found is None:
            from ..render.kustomization import KustomizationGraph

            sources = self.sources
            with _LAZY:
                found = self.cache.get("kustomizations")
                if found is None:
                    found = self.cache["kustomizations"] = KustomizationGraph(self.repo_root, sources)
        return found

    def user_crds(self) -> dict[Any, Any]:
        """CRDs from config ``crds:`` and ``--crd``, read once per run (raises crds.CRDError)."""
        found = self.cache.get("user-crds")
        if found is None:
            from .. import crds

            root = self.repo_root

            def display(path):
                try:
                    return path.resolve().relative_to(root.resolve()).as_posix()
                except ValueError:
                    return str(path)

            found = crds.load_crd_paths(self.crds, display) if self.crds else {}
            self.cache["user-crds"] = found
        return found
