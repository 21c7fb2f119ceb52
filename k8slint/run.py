"""One `k8slint check` run: config -> rules -> targets -> renders (parallel) -> checks -> formatters."""

from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import __version__, envs
from .config import ConfigError, find_config, load_config
from .rules import RuleError, load_rules
from .settings import Settings
from .targets import Target, TargetError, classify, discover, env_values_file, relative


class RunError(Exception):
    """The run cannot check what it was asked to: exit 2 with this sentence."""


@dataclass
class RunOptions:
    paths: list[str] = field(default_factory=list)
    env: str | None = None
    values: list[str] = field(default_factory=list)
    set_values: list[str] = field(default_factory=list)
    release_name: str | None = None
    namespace: str | None = None
    config_path: str | None = None
    formats: list[str] = field(default_factory=lambda: ["text"])
    outputs: list[str] = field(default_factory=list)
    fail_on: str | None = None
    select: list[str] = field(default_factory=list)
    skip: list[str] = field(default_factory=list)
    allow_empty: bool = False
    allow_remote: bool | None = None
    jobs: int | None = None
    color: bool | None = None
    changed: bool = False  # paths are changed files: check the targets they feed (pre-commit)
    list_targets: bool = False  # print the targets and stop (CI matrices)
    kubernetes_version: str | None = None
    crds: list[str] = field(default_factory=list)
    baseline: str | None = None
    write_baseline: str | None = None
    limits: dict = field(default_factory=dict)  # max_file_size, max_objects, render_timeout from flags
    retained: Any = None  # the run's renders and findings, kept for a caller that exits right after (see cli.run)


def _config(config_path: str | None, start: Path, root: Path):
    try:
        path = Path(config_path) if config_path else find_config(start, stop=root)
        if config_path and not path.is_file():
            raise RunError(f"--config {config_path}: no such file")
        return load_config(path)
    except ConfigError as exc:
        raise RunError(f"invalid configuration: {exc}") from None


def _custom_rule_paths(config, root: Path) -> list[Path]:
    base = config.file.parent if config.file else root
    listed = config.get("custom-rules")
    if listed is not None:
        paths = [(base / p) for p in listed]
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise RunError(f"custom-rules path not found: {', '.join(missing)}")
        return paths
    default = base / ".k8slint" / "rules"
    return [default] if default.is_dir() else []


def load_all_rules(config_path: str | None, start: Path):
    from .targets import find_repo_root

    root = find_repo_root(start)
    config = _config(config_path, start, root)
    try:
        return load_rules(_custom_rule_paths(config, root), root)
    except RuleError as exc:
        raise RunError(f"invalid rule file {exc}") from None


def _build_targets(options: RunOptions, settings: Settings) -> list[Target]:
    root = settings.repo_root
    config = settings.config
    globs = config.get("environments", {})
    targets: list[Target] = []
    if options.changed:
        from .changed import units_for_changed

        changed = [Path(p) for p in options.paths]
        options.paths = []
        units = units_for_changed(changed, root) if changed else None
        if units is not None:  # None: something only a whole-repository run covers
            options.allow_empty = True
            changed_units = units
        else:
            changed_units = None
    else:
        changed_units = None

    def resolve_env(display: str) -> tuple[str, str]:
        return envs.resolve(display, options.env, globs)

    def add_chart(path: Path, env_file: Path | None) -> None:
        display = relative(path, root)
        env, source = resolve_env(relative(env_file, root) if env_file else display)
        if env_file is None and env in envs.ENVIRONMENTS:
            env_file = env_values_file(path, env)
        values = ([env_file] if env_file else []) + [Path(v).resolve() for v in options.values]
        for value in values:
            if not value.is_file():
                raise RunError(f"values file {value}: no such file")
        helm = config.get("helm", {})
        chart_name = _chart_name(path)
        targets.append(
            Target("helm", path, display, env, source, values, list(options.set_values),
                   options.release_name or helm.get("release-name") or chart_name,
                   options.namespace or helm.get("namespace"))
        )

    def add_units(units) -> None:
        import fnmatch

        excluded = config.get("exclude", [])
        for kind, path, env_file in units:
            display = relative(path, root)
            if any(fnmatch.fnmatchcase(display, g) or fnmatch.fnmatchcase(display + "/", g) for g in excluded):
                continue
            if kind == "helm":
                add_chart(path, env_file)
            else:
                env, source = resolve_env(display)
                targets.append(Target(kind, path, display, env, source))

    if changed_units is not None:
        add_units(changed_units)
        return targets
    if not options.paths:
        listed = config.get("targets")
        if listed:
            base = config.file.parent if config.file else root
            options.paths = [str(base / p) for p in listed]
        else:
            add_units(discover(root))
            if not targets:
                raise RunError(f"no kustomize overlays or Helm charts found under {root}: give a PATH (or - for stdin)")
            return targets

    for raw in options.paths:
        if raw == "-":
            data = sys.stdin.buffer.read(settings.max_file_size + 1) if sys.stdin is not None else b""
            env, source = (envs.normalize(options.env) or options.env, "--env") if options.env else (envs.UNKNOWN, "unresolved")
            targets.append(Target("stdin", Path.cwd(), "<stdin>", env, source, stdin_data=data))
            continue
        path = Path(raw).resolve()
        try:
            kind = classify(path, root)
        except TargetError:
            raise RunError(f"{raw}: no such file or directory") from None
        if kind in ("kustomize", "helm") and path.is_file():
            path = path.parent
        if kind == "helm":
            add_chart(path, None)
            continue
        if kind == "dir":
            units = discover(path)
            if units:  # a repository or a folder of overlays/charts: lint what it holds
                add_units(units)
                continue
        display = relative(path, root)
        env, source = resolve_env(display)
        targets.append(Target(kind, path, display, env, source))
    return targets


def _chart_name(path: Path) -> str:
    import re

    try:
        text = (path / "Chart.yaml").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return path.name
    found = re.search(r"^name:\s*['\"]?([\w.-]+)", text, re.M)
    return found.group(1) if found else path.name


def _pair_outputs(options: RunOptions) -> list[tuple[str, str | None]]:
    formats = list(options.formats)
    outputs = list(options.outputs)
    if len(outputs) > len(formats):
        raise RunError("more --output than --format options: give one --format per --output")
    pairs = []
    for position, name in enumerate(formats):
        if name == "auto":
            name = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
        pairs.append((name, outputs[position] if position < len(outputs) else None))
    to_stdout = [name for name, out in pairs if out in (None, "-")]
    if len(to_stdout) > 1:
        raise RunError(f"formats {', '.join(to_stdout)} would all write to stdout: give each but one an --output FILE")
    return pairs


def execute(options: RunOptions, root: Path) -> int:
    from . import formatters
    from .engine import Checker, Policy, apply_config_ignores, config_ignore_findings, finalize, passes
    from .render import render

    start = Path(options.paths[0]).resolve() if options.paths and options.paths[0] != "-" else Path.cwd()
    config = _config(options.config_path, start, root)
    settings = Settings.build(root, config, fail_on=options.fail_on, allow_remote=options.allow_remote, jobs=options.jobs,
                              kubernetes_version=options.kubernetes_version, **options.limits)
    schema_note = _schema_settings(settings, options)
    if options.env and envs.normalize(options.env) is None:
        raise RunError(f"--env {options.env!r}: not an environment (use production, staging or development, or prod/stg/dev)")
    try:
        rules = load_rules(_custom_rule_paths(config, root), root)
    except RuleError as exc:
        raise RunError(f"invalid rule file {exc}") from None
    unknown = [r for r in [*options.select, *options.skip] if r not in rules]
    if unknown:
        raise RunError(f"unknown rule id {', '.join(map(repr, unknown))} (see `k8slint rules`)")
    only = set(options.select) if options.select else None
    if options.skip:
        only = (only if only is not None else set(rules)) - set(options.skip)
    pairs = _pair_outputs(options)
    for name, _ in pairs:
        try:
            formatters.get(name)
        except KeyError as exc:
            raise RunError(str(exc.args[0])) from None

    whole_repo = not options.paths
    targets = sorted(_build_targets(options, settings), key=lambda t: (t.label(), t.kind))  # output independent of argument order
    if options.list_targets:
        _print_targets(targets, pairs, root)
        return 0
    jobs = settings.jobs or min(len(targets), os.cpu_count() or 2)
    if jobs > 1 and len(targets) > 1:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            renders = list(pool.map(lambda t: render(t, settings), targets))
    else:
        renders = [render(t, settings) for t in targets]

    policy = Policy(rules, settings, only)
    checker = Checker(policy, settings)
    findings = []
    run = formatters.Run(__version__, rules=rules, repo_root=str(root), fail_on=settings.fail_on)
    unknown_envs = []
    empty = []
    for result in renders:
        target = result.target
        findings.extend(checker.check_render(result))
        run.notes.extend(result.notes)
        if target.env == envs.UNKNOWN:
            unknown_envs.append(target.label())
        if not result.failed and not result.objects and not result.problems:
            empty.append(target.label())
        in_force = tuple(sorted(a.rule.id for a in policy.active(target.env if target.env in envs.ENVIRONMENTS else settings.unknown_env)))
        run.targets.append(formatters.TargetInfo(target.label(), target.kind, target.env, target.env_source, len(result.objects),
                                                 result.failed, target.display, in_force))
    if schema_note:
        run.notes.append(schema_note)
    if unknown_envs:
        run.notes.append(
            f"environment unknown for {', '.join(unknown_envs)}: applying the {settings.unknown_env} policy "
            "(set --env, or map paths under environments: in .k8slint.yaml)"
        )
    for label in empty:
        run.notes.append(f"{label} rendered no objects")
    if options.changed or any(t.kind != "stdin" for t in targets):
        findings.extend(checker.check_repo(root, settings.unknown_env))

    unusable = [r for r in renders if r.failed or (not r.objects and not r.problems)]
    if renders and len(unusable) == len(renders) and not options.allow_empty:
        if all(r.failed for r in renders):
            reasons = "; ".join(p.message for r in renders for p in r.problems[:1])
            raise RunError(f"nothing could be rendered: {reasons}")
        if not any(r.problems for r in renders):
            raise RunError(
                f"{', '.join(r.target.label() for r in renders)}: no Kubernetes objects to check "
                "(empty input; pass --allow-empty if that is expected)"
            )

    findings.extend(checker.unused_suppressions())
    used: set[int] = set()
    findings = apply_config_ignores(findings, settings, used)
    ran = {item.rule.id for env in {r.target.env for r in renders} | {settings.unknown_env}
           for item in policy.active(env if env in envs.ENVIRONMENTS else settings.unknown_env)}
    findings = finalize(findings + config_ignore_findings(settings, policy, used, whole_repo, ran))
    findings = _baseline(findings, options, settings, run)
    passed = passes(findings, settings.fail_on) or bool(options.write_baseline)
    summary = formatters.summarize(findings, run, passed)
    color_default = options.color
    for name, output in pairs:
        stream, close = _open_output(output)
        try:
            color = color_default if color_default is not None else (stream.isatty() and "NO_COLOR" not in os.environ)
            formatter = formatters.get(name)(stream, color=color)
            formatter.start(run)
            for finding in findings:
                formatter.finding(finding)
            formatter.finish(summary)
        finally:
            if close:
                stream.close()
            else:
                stream.flush()
    options.retained = (renders, findings, checker)  # not freed here: cli.run() exits without freeing them
    return 0 if passed else 1


def _print_targets(targets: list[Target], pairs, root: Path) -> None:
    """--list-targets: one line per target, or with --format json a JSON list (a CI matrix)."""
    import json

    name, output = pairs[0]
    stream, close = _open_output(output)
    try:
        if name == "json":
            rows = [{"target": t.label(), "path": t.display, "kind": t.kind, "env": t.env, "envSource": t.env_source,
                     "values": [relative(v, root) for v in t.values]} for t in targets]
            stream.write(json.dumps(rows, separators=(",", ":")) + "\n")
        else:
            stream.write("".join(f"{t.label()}\t{t.env}\n" for t in targets))
    finally:
        if close:
            stream.close()


def _schema_settings(settings: Settings, options: RunOptions) -> str | None:
    """Check --kubernetes-version and read the --crd / crds: files up front (exit 2 on bad ones)."""
    from . import k8s_schema

    settings.crds = settings.crds + [Path(p).resolve() for p in options.crds]
    try:
        target = k8s_schema.target_version(settings)
    except k8s_schema.VersionError as exc:
        raise RunError(f"{exc}") from None
    if settings.crds:
        from .crds import CRDError
        from .templates.schema import user_crds

        try:
            user_crds(settings)
        except CRDError as exc:
            raise RunError(str(exc)) from None
    return k8s_schema.schema_version(target)[1]


def _baseline(findings: list, options: RunOptions, settings: Settings, run) -> list:
    """--write-baseline records every finding; --baseline / `baseline:` hides the recorded ones."""
    from . import baseline

    try:
        if options.write_baseline:
            baseline.write(Path(options.write_baseline), findings)
            run.notes.append(f"baseline of {len(findings)} finding(s) written to {options.write_baseline}")
            return findings
        path = options.baseline
        if path is None and settings.config.get("baseline"):
            base = settings.config.file.parent if settings.config.file else settings.repo_root
            path = str(base / settings.config.get("baseline"))
        if path is None:
            return findings
        kept, hidden = baseline.apply(findings, baseline.load(Path(path)))
    except baseline.BaselineError as exc:
        raise RunError(str(exc)) from None
    if hidden:
        run.notes.append(f"{hidden} finding(s) recorded in the baseline {path} not shown")
    return kept


def _open_output(path: str | None):
    if path in (None, "-"):
        return sys.stdout, False
    try:
        return open(path, "w", encoding="utf-8", newline="\n"), True
    except OSError as exc:
        raise RunError(f"--output {path}: cannot write ({exc.strerror})") from None
