"""The library API: ``k8slint.lint(paths, **options) -> Report`` - what ``k8slint check`` runs.

One run is a pipeline of stages, each fed by the one before:

    plan (options -> settings, rules, targets) -> render (targets -> objects, in parallel)
    -> check (objects -> findings) -> suppress (annotations, ignore:, baselines) -> Report

Nothing is printed: the command line hands the :class:`~k8slint.report.Report` to
:func:`k8slint.report.write`. Input that cannot be checked raises
:class:`~k8slint.errors.K8slintError` (one sentence). Each call builds its own settings and
caches, so calls in one process do not see each other's files; the cyclic garbage collector
is paused during the run (it costs a quarter of a large check) and restored afterwards.
"""

from __future__ import annotations

import gc
import os
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from . import __version__, envs
from .model import Target
from .plan import Options, Plan, make_plan
from .report import Report


def lint(paths: list[str] | tuple[str, ...] | str = (), **options: Any) -> Report:
    """Check ``paths`` (kustomize overlays, Helm charts, YAML files or folders, ``-`` for stdin;
    none: every target of the repository) and return the :class:`Report`.

    Keywords are :class:`k8slint.plan.Options` fields, named like ``k8slint check``'s flags:
    env, values, set_values, release_name, namespace, config, repo_root, fail_on, select, skip,
    allow_empty, allow_remote, jobs, changed, kubernetes_version, crds, baseline,
    write_baseline, max_file_size, max_objects, render_timeout, and stdin (bytes for ``-``).
    """
    report, _ = run(_options(paths, options))
    return report


def targets(paths: list[str] | tuple[str, ...] | str = (), **options: Any) -> list[Target]:
    """The targets :func:`lint` would check, with their environments (``--list-targets``)."""
    return make_plan(_options(paths, options)).targets


def unchecked_note(files: list[str], shown: int = 10) -> str:
    """"N YAML files not checked: a, b, c, ..." (at most ``shown`` names)."""
    names = ", ".join(files[:shown]) + (f", ... ({len(files) - shown} more)" if len(files) > shown else "")
    many = len(files) != 1
    return (f"{len(files)} YAML file{'s' if many else ''} not checked: {names} (no overlay or chart reads "
            f"{'them' if many else 'it'} and {'they are' if many else 'it is'} not recognised as anything else)")


def _options(paths, options: dict) -> Options:
    paths = [paths] if isinstance(paths, (str, os.PathLike)) else paths
    return Options(paths=[os.fspath(p) for p in paths], **options)


@contextmanager
def collector_paused():
    # One short run that builds millions of small containers and frees few cycles: the cyclic
    # collector's passes over the growing heap cost a quarter of a 5,000-object check.
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def run(options: Options, watchdog: bool = False, before_render=None) -> tuple[Report, Any]:
    """The run behind :func:`lint`; also returns what it built (renders, checker), which a caller
    about to exit can keep alive instead of paying to free it (see ``cli.run``).

    The run is bounded by ``limits.deadline``: renders get what is left of it, renderers still
    running when it passes are killed, and the run ends with a K8slintError. ``watchdog`` (the
    command line) also ends the process, exit 2, if the run has not stopped shortly after.
    ``before_render(plan)`` runs once the plan is made (the command line checks its outputs there)."""
    import threading
    import time

    from .render import process, render

    started = time.monotonic()
    with collector_paused():
        plan = make_plan(options)
        if before_render is not None:
            before_render(plan)
        settings = plan.settings
        settings.cache["deadline-at"] = started + settings.deadline
        timers = [threading.Timer(max(0.0, settings.deadline - (time.monotonic() - started)), process.kill_children)]
        if watchdog:
            timers.append(threading.Timer(max(0.0, settings.deadline - (time.monotonic() - started)) + 10, _hard_stop,
                                          args=(settings.deadline,)))
        for timer in timers:
            timer.daemon = True
            timer.start()
        try:
            targets = plan.targets
            jobs = settings.jobs or min(len(targets), os.cpu_count() or 2)
            if jobs > 1 and len(targets) > 1:
                with ThreadPoolExecutor(max_workers=jobs) as pool:
                    renders = list(pool.map(lambda t: _render(render, t, settings), targets))
            else:
                renders = [_render(render, t, settings) for t in targets]
            _within_deadline(settings)
            result = _check(plan, renders, options)
            _within_deadline(settings)
            return result
        finally:
            for timer in timers:
                timer.cancel()


_PLAIN_INPUTS = (".yaml", ".yml", ".json")


def reads(plan: Plan, options: Options):
    """``real path -> what it is`` for the files this run reads (None for the others): the
    configuration, the baseline, rule files, values and CRD files, and every target's inputs."""
    from .render import Unit, renderer

    settings = plan.settings

    def real(path) -> Path:
        return Path(os.path.realpath(os.path.abspath(path)))

    named: dict[Path, str] = {}
    if settings.config.file is not None:
        named[real(settings.config.file)] = "the configuration"
    for baseline in (options.baseline, settings.baseline):
        if baseline:
            named[real(baseline)] = "the baseline"
    for path in [*options.values, *options.crds, *settings.crds, *(p for t in plan.targets for p in t.values)]:
        named.setdefault(real(path), "an input file")
    rule_dirs = [real(p) for p in settings.custom_rule_paths()]
    inputs = []
    for target in plan.targets:
        if target.kind == "stdin":
            continue
        try:
            inputs.append((target.kind, renderer(target.kind).inputs(Unit(target.kind, target.path), settings)))
        except Exception:  # noqa: BLE001 - a target whose inputs cannot be listed: its folder
            inputs.append((target.kind, None))

    def what(path: Path) -> str | None:
        if path in named:
            return named[path]
        if any(path == d or d in path.parents for d in rule_dirs):
            return "a rule file"
        for (kind, found), target in zip(inputs, [t for t in plan.targets if t.kind != "stdin"]):
            top = real(target.path)
            if found is None or kind in ("file", "dir"):
                if (path == top or top in path.parents) and (kind != "dir" or path.suffix.lower() in _PLAIN_INPUTS):
                    return "an input file"
            elif found.fed_by(path) or found.fed_by(Path(os.path.abspath(path))):
                return "an input file"
        return None

    return what


def _render(render, target: Target, settings):
    try:
        return render(target, settings)
    except Exception as exc:  # a bug: say which input it came from (cli's last-resort guard reads it)
        exc.add_note(f"k8slint input: {target.label()}")
        raise


def _within_deadline(settings) -> None:
    from .errors import K8slintError
    from .render.process import past_deadline

    if past_deadline(settings):
        raise K8slintError(f"the run took longer than its deadline of {settings.deadline:g}s and was stopped "
                           "(limits.deadline; raise it with --deadline)")


def _hard_stop(deadline: float) -> None:
    """The run did not stop at its deadline: end the process (command line only)."""
    import sys

    from .render import process

    process.shutdown()
    try:
        sys.stderr.write(f"k8slint: error: the run took longer than its deadline of {deadline:g}s and was stopped "
                         "(limits.deadline; raise it with --deadline)\n")
        sys.stderr.flush()
    finally:
        os._exit(2)


def _check(plan: Plan, renders: list, options: Options) -> tuple[Report, Any]:
    from . import formatters, suppress
    from .check import Checker, Policy
    from .errors import K8slintError
    from .report import passes

    settings = plan.settings
    policy = Policy(plan.rules, settings, plan.only)
    checker = Checker(policy, settings)
    findings = []
    report = Report(__version__, rules=plan.rules, repo_root=str(settings.repo_root), fail_on=settings.fail_on)
    unknown_envs = []
    empty = []
    for result in renders:
        target = result.target
        _within_deadline(settings)
        try:
            findings.extend(checker.check_render(result))
        except Exception as exc:  # a bug: say which input it came from (cli's last-resort guard reads it)
            exc.add_note(f"k8slint input: {target.label()}")
            raise
        report.notes.extend(result.notes)
        if target.env == envs.UNKNOWN:
            unknown_envs.append(target.label())
        if not result.failed and not result.objects and not result.problems:
            empty.append(target.label())
        in_force = tuple(sorted(a.rule.id for a in policy.active(target.env if target.env in envs.ENVIRONMENTS else settings.unknown_env)))
        report.targets.append(formatters.TargetInfo(target.label(), target.kind, target.env, target.env_source, len(result.objects),
                                                    result.failed, target.display, in_force))
    report.notes.extend(plan.notes)
    report.unchecked_files = list(plan.unchecked)
    if plan.unchecked:
        report.notes.append(unchecked_note(plan.unchecked))
    if unknown_envs:
        report.notes.append(
            f"environment unknown for {', '.join(unknown_envs)}: applying the {settings.unknown_env} policy "
            "(set --env, or map paths under environments: in .k8slint.yaml)"
        )
    for label in empty:
        report.notes.append(f"{label} rendered no objects")
    if plan.repo_rules:
        findings.extend(checker.check_repo(settings.repo_root, settings.unknown_env))

    # a target that failed to render is a render-error finding (exit 1), never a stop: the other targets,
    # the repository rules and every output still come; only input with nothing in it at all cannot be checked
    if renders and not plan.allow_empty and not any(r.failed or r.objects or r.problems for r in renders):
        raise K8slintError(
            f"{', '.join(r.target.label() for r in renders)}: no Kubernetes objects to check "
            "(empty input; pass --allow-empty if that is expected)"
        )

    findings.extend(checker.unused_suppressions())
    used: set[int] = set()
    findings = suppress.apply_config_ignores(findings, settings, used)
    ran = {item.rule.id for env in {r.target.env for r in renders} | {settings.unknown_env}
           for item in policy.active(env if env in envs.ENVIRONMENTS else settings.unknown_env)}
    findings = suppress.finalize(findings + suppress.config_ignore_findings(settings, policy, used, plan.whole_repo, ran))
    findings = suppress.baseline(findings, settings, options.write_baseline, options.baseline, report.notes)
    report.findings = findings
    report.passed = passes(findings, settings.fail_on) or bool(options.write_baseline)
    report.summary = formatters.summarize(findings, report, report.passed)
    return report, (renders, checker)
