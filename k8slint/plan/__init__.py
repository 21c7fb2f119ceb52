"""Plan stage: from the options of a run to what it will do.

:func:`make_plan` finds the repository root and the configuration, builds the run's
:class:`~k8slint.plan.settings.Settings` (the only reader of the configuration), loads the
rules (built-in and custom), checks the schema settings and the rule selection, and lists the
targets. Everything it cannot use is a :class:`~k8slint.errors.K8slintError`.
"""

from __future__ import annotations

import os
from dataclasses import field
from pathlib import Path
from typing import Any

from .. import envs
from ..errors import ConfigError, K8slintError, RuleError
from ..model import Target
from ..records import FACTORY, record
from .config import find_config, load_config
from .params import check_configuration, check_selection
from .rules import Rule, load_rules
from .settings import Settings


@record
class Options:
    """Everything a run can be asked to do (``k8slint.lint`` keywords, ``k8slint check`` flags)."""

    paths: list[str] = field(default_factory=list)  # targets, '-' for stdin; none: the whole repository
    env: str | None = None
    values: list[str] = field(default_factory=list)  # Helm -f files
    set_values: list[str] = field(default_factory=list)  # Helm --set expressions
    release_name: str | None = None
    namespace: str | None = None
    config: str | None = None  # config file (default: the nearest .k8slint.yaml)
    repo_root: str | None = None  # default: the nearest folder with .k8slint.yaml or .git
    fail_on: str | None = None
    select: list[str] = field(default_factory=list)
    skip: list[str] = field(default_factory=list)
    allow_empty: bool = False
    allow_remote: bool | None = None
    jobs: int | None = None
    changed: bool = False  # paths are changed files: check the targets they feed (pre-commit)
    kubernetes_version: str | None = None
    crds: list[str] = field(default_factory=list)
    baseline: str | None = None
    write_baseline: str | None = None
    max_file_size: int | None = None
    max_objects: int | None = None
    render_timeout: float | None = None
    diff_base: str | None = None  # a git revision: report only the findings it does not have
    repository_rules: str = "auto"  # auto: with the targets, on their files | only | skip
    deadline: float | None = None  # seconds the whole run may take
    render_memory: int | None = None  # bytes of data memory one renderer process may use
    stdin: Any = None  # bytes or a binary stream for '-' (default: the process's standard input)
    cache: bool = True  # use the user's cache folder (the compiled rule catalogue); K8SLINT_NO_CACHE=1 also turns it off

    def __init__(
            self, paths: list[str] = FACTORY, env: str | None = None, values: list[str] = FACTORY,
            set_values: list[str] = FACTORY, release_name: str | None = None, namespace: str | None = None,
            config: str | None = None, repo_root: str | None = None, fail_on: str | None = None,
            select: list[str] = FACTORY, skip: list[str] = FACTORY, allow_empty: bool = False,
            allow_remote: bool | None = None, jobs: int | None = None, changed: bool = False,
            kubernetes_version: str | None = None, crds: list[str] = FACTORY, baseline: str | None = None,
            write_baseline: str | None = None, max_file_size: int | None = None, max_objects: int | None = None,
            render_timeout: float | None = None, diff_base: str | None = None, repository_rules: str = "auto",
            deadline: float | None = None, render_memory: int | None = None, stdin: Any = None, cache: bool = True
    ) -> None:
        self.paths = [] if paths is FACTORY else paths
        self.env = env
        self.values = [] if values is FACTORY else values
        self.set_values = [] if set_values is FACTORY else set_values
        self.release_name = release_name
        self.namespace = namespace
        self.config = config
        self.repo_root = repo_root
        self.fail_on = fail_on
        self.select = [] if select is FACTORY else select
        self.skip = [] if skip is FACTORY else skip
        self.allow_empty = allow_empty
        self.allow_remote = allow_remote
        self.jobs = jobs
        self.changed = changed
        self.kubernetes_version = kubernetes_version
        self.crds = [] if crds is FACTORY else crds
        self.baseline = baseline
        self.write_baseline = write_baseline
        self.max_file_size = max_file_size
        self.max_objects = max_objects
        self.render_timeout = render_timeout
        self.diff_base = diff_base
        self.repository_rules = repository_rules
        self.deadline = deadline
        self.render_memory = render_memory
        self.stdin = stdin
        self.cache = cache


@record
class Plan:
    """What a run will do: its settings, the rules (and which of them run), its targets."""

    settings: Settings
    rules: dict[str, Rule]
    only: set[str] | None  # the rules --select/--skip leave (None: all)
    targets: list[Target]
    whole_repo: bool  # no paths given: config ignore: entries that matched nothing are reported
    repo_rules: bool  # run the repository-tree rules (not for a stream on stdin alone, nor with repository_rules=skip)
    allow_empty: bool
    notes: list[str] = field(default_factory=list)
    rendered: bool = True  # render and check the targets (not with --repository-rules only)
    unchecked: list[str] = field(default_factory=list)  # YAML files discovery neither checked nor recognised

    def __init__(
            self, settings: Settings, rules: dict[str, Rule], only: set[str] | None, targets: list[Target],
            whole_repo: bool, repo_rules: bool, allow_empty: bool, notes: list[str] = FACTORY, rendered: bool = True,
            unchecked: list[str] = FACTORY
    ) -> None:
        self.settings = settings
        self.rules = rules
        self.only = only
        self.targets = targets
        self.whole_repo = whole_repo
        self.repo_rules = repo_rules
        self.allow_empty = allow_empty
        self.notes = [] if notes is FACTORY else notes
        self.rendered = rendered
        self.unchecked = [] if unchecked is FACTORY else unchecked


def _config(config_path: str | None, start: Path, root: Path):
    try:
        path = Path(config_path) if config_path else find_config(start, stop=root)
        if config_path and not path.is_file():
            raise K8slintError(f"--config {config_path}: no such file")
        return load_config(path)
    except ConfigError as exc:
        raise K8slintError(f"invalid configuration: {exc}") from None


def _settings(root: Path, config, config_path: str | None, **flags) -> Settings:
    try:
        return Settings.build(root, config, trusted_config=bool(config_path), **flags)
    except ConfigError as exc:
        raise K8slintError(f"invalid configuration: {exc}") from None


def _rules(settings: Settings, cache: bool = True) -> dict[str, Rule]:
    paths = settings.custom_rule_paths()
    try:
        return load_rules(paths, settings.repo_root, cache=cache)
    except RuleError as exc:
        raise K8slintError(f"invalid rule file {exc}") from None


def load_all_rules(config_path: str | None, start: Path) -> dict[str, Rule]:
    """Built-in and custom rules, for `k8slint rules | explain | test`."""
    from .targets import find_repo_root

    root = find_repo_root(start)
    return _rules(_settings(root, _config(config_path, start, root), config_path))


def _schema_note(settings: Settings, crds: list[str]) -> str | None:
    """Check --kubernetes-version and read the --crd / crds: files up front (exit 2 on bad ones)."""
    from .. import k8s_schema

    settings.crds = settings.crds + [Path(p).resolve() for p in crds]
    target = k8s_schema.target_version(settings)
    if settings.crds:
        settings.user_crds()
    return k8s_schema.schema_version(target)[1]


REPOSITORY_RULES = ("auto", "only", "skip")


def _named_outside(options: Options, root: Path) -> list[Path]:
    """Paths the command line names outside the repository root: the only things outside it a run reads."""
    from ..sources import within

    top = Path(os.path.normpath(root.absolute()))
    named = [Path(os.path.normpath(Path(p).absolute())) for p in [*options.paths, *options.values] if p != "-"]
    return [p for p in named if not within(p, top)]


def make_plan(options: Options, targets: list[Target] | None = None) -> Plan:
    """The plan of a run; ``targets`` given (another plan's, re-rooted for --diff-base) are
    checked as they are instead of being chosen from the paths."""
    from .targets import build_targets, decide_root

    if options.repository_rules not in REPOSITORY_RULES:
        raise K8slintError(f"--repository-rules {options.repository_rules!r}: use auto, only or skip")
    located = [p for p in options.paths if Path(p).exists()] if options.changed else list(options.paths)  # changed files may be deleted ones
    root, scope = decide_root(located, options.repo_root)
    if options.changed:
        scope = None  # --changed runs the repository rules over the whole repository
    cwd = Path.cwd().resolve()
    if options.paths and options.paths[0] != "-" and targets is None:
        start = Path(options.paths[0]).resolve()
    else:  # the configuration of the repository checked, not of wherever the caller stands
        start = cwd if cwd == root or root in cwd.parents else root
    config = _config(options.config, start, root)
    settings = _settings(root, config, options.config, fail_on=options.fail_on, allow_remote=options.allow_remote,
                         jobs=options.jobs, kubernetes_version=options.kubernetes_version,
                         max_file_size=options.max_file_size, max_objects=options.max_objects,
                         render_timeout=options.render_timeout, deadline=options.deadline,
                         render_memory=options.render_memory, scope=scope)
    settings.named = _named_outside(options, root)
    note = _schema_note(settings, options.crds)
    fixed = sorted(set(config.get("environment-aliases") or {}) & set(envs.ENVIRONMENTS))
    if fixed:
        raise K8slintError(f"{settings.config_rel}: environment-aliases: {fixed[0]!r} is a policy name and cannot be "
                           "mapped onto another one (map other names onto it)")
    if options.env and envs.normalize(options.env, settings.aliases) is None:
        raise K8slintError(f"--env {options.env!r}: not an environment (use production, staging or development, an alias "
                           "such as prod, stg, dev, qa, preprod, or one of environment-aliases: in the config)")
    rules = _rules(settings, options.cache)
    if options.cache:  # the user's cache folder, passed on (the schema rule keeps its definitions index there)
        from . import cache

        settings.cache["folder"] = cache
    check_selection(rules, options.select, options.skip)
    check_configuration(settings, rules)
    only = set(options.select) if options.select else None
    if options.skip:
        only = (only if only is not None else set(rules)) - set(options.skip)
    repository_only = options.repository_rules == "only"
    if "-" in options.paths and (repository_only or options.diff_base):
        raise K8slintError(f"{'--repository-rules only' if repository_only else '--diff-base'} checks files of the "
                           "repository, not a stream on stdin")
    unchecked: list[str] = []
    chosen_notes: list[str] = []
    if targets is not None:
        allow_empty = True
    elif repository_only and not options.paths:
        targets, allow_empty = [], True  # the whole tree: nothing to discover or render
    else:
        chosen = build_targets(options, settings)
        targets, allow_empty, unchecked = chosen.targets, chosen.allow_empty, chosen.unchecked
        chosen_notes = chosen.notes  # paths checked as the Applications that deploy them
    repo_rules = options.repository_rules != "skip" and (options.changed or repository_only or any(t.kind != "stdin" for t in targets))
    notes = [*settings.notes, *([note] if note else []), *chosen_notes]
    if not repo_rules and options.repository_rules != "skip":
        notes.append("repository rules not run: only a stream on standard input was checked")
    return Plan(settings, rules, only, targets, whole_repo=not options.paths, repo_rules=repo_rules,
                allow_empty=allow_empty, notes=notes, rendered=not repository_only, unchecked=unchecked)
