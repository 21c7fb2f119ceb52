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
    write_baseline, max_file_size, max_objects, render_timeout, diff_base, repository_rules, and
    stdin (bytes for ``-``).
    """
    report, _ = run(_options(paths, options))
    return report


def targets(paths: list[str] | tuple[str, ...] | str = (), **options: Any) -> list[Target]:
    """The targets :func:`lint` would check, with their environments (``--list-targets``)."""
    from .render import process

    plan = make_plan(_options(paths, options))
    process.release(plan.settings)  # renderer workers that finding Applications' targets started
    return plan.targets


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
def collector_paused(resume: bool = True):
    # One short run that builds millions of small containers and frees few cycles: the cyclic
    # collector's passes over the growing heap cost a quarter of a 5,000-object check.
    # ``resume=False`` (a process that ends right after, without freeing what it built: the
    # command line) leaves it off: the first allocation after re-enabling it would walk every
    # container the run made (0.1-0.15 s at 5,000 objects) only to free nothing.
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting and resume:
            gc.enable()


def run(options: Options, watchdog: bool = False, before_render=None, progress=None) -> tuple[Report, Any]:
    """The run behind :func:`lint`; also returns what it built (renders, checker), which a caller
    about to exit can keep alive instead of paying to free it (see ``cli.run``).

    The run is bounded by ``limits.deadline``: renders get what is left of it (the --diff-base run's
    included), renderers still running when it passes are killed, and the run ends with a
    K8slintError. ``watchdog`` (the command line) also ends the process, exit 2, if the run has not
    stopped shortly after. ``before_render(plan)`` runs once the plan is made (the command line
    checks its outputs there). ``progress(done, total)`` is called as renders finish (from the
    render threads, or this one for answers from the render cache)."""
    import threading
    import time

    from . import formatters
    from .errors import K8slintError
    from .render import process
    from .report import passes

    if options.diff_base and options.write_baseline:
        raise K8slintError("--write-baseline records every finding: it does not combine with --diff-base")
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
            checker = _checker(plan)
            renders = _render_all(plan, progress, options.cache, meanwhile=_warmup(checker, plan))
            _within_deadline(settings)
            report, built = _check(plan, renders, options, checker=checker)
            if options.diff_base:
                _against_base(report, plan, options)
            _within_deadline(settings)
            report.passed = passes(report.findings, settings.fail_on) or bool(options.write_baseline)
            report.baseline_written = options.write_baseline
            report.summary = formatters.summarize(report.findings, report, report.passed)
            return report, built
        finally:
            for timer in timers:
                timer.cancel()
            process.release(settings)


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
            if target.deployed_by:  # an Application's target: its manifest and what it passes too
                found = renderer("gitops").inputs(Unit("gitops", target.path, name=target.deployed_by), settings)
            else:
                found = renderer(target.kind).inputs(Unit(target.kind, target.path), settings)
            inputs.append((target.kind, found))
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


def _render_all(plan: Plan, progress=None, cached: bool = False, relocated: bool = False, meanwhile=None) -> list:
    """Every target rendered, then what only all the renders together show added to them
    (``render.finish``: two Applications deploying one object). ``progress(done, total)`` is
    called after each render. ``cached``: a renderer's answer comes from the render cache when
    nothing it reads changed (:mod:`k8slint.render.cache`); ``relocated``: the tree is a temporary
    checkout (--diff-base), cached by what it holds, not where. ``meanwhile``: a
    :class:`k8slint.check.warm.Warmup`, given this thread while render threads run."""
    import threading

    from .render import finish, groups, prepare, process, render

    settings = plan.settings
    targets = plan.targets if plan.rendered else []
    jobs = settings.jobs or min(len(targets), os.cpu_count() or 2)
    counted, lock = [0], threading.Lock()
    memo = None
    if cached and any(t.kind in ("kustomize", "helm") or t.deployed_by for t in targets):
        from .plan import cache as folder
        from .render import cache as render_cache

        memo = render_cache.start(settings, folder, relocated)

    def one(target):
        if memo is not None:
            with render_cache.scope(target, memo):
                result = _render(render, target, settings)
        else:
            result = _render(render, target, settings)
        if progress is not None:
            with lock:
                counted[0] += 1
                done = counted[0]
            progress(done, len(targets))
        return result

    def from_cache(target):
        """The render of ``target`` if no renderer child is needed for it (its answers are in the
        render cache), else None."""
        try:
            with process.cache_only():
                return one(target)
        except process.NeedsChild:
            return None

    try:
        if len(targets) > 1:  # several targets: kustomize ones missing from the cache are built in groups
            renders = _in_parallel(one, from_cache if memo is not None else None, targets, jobs,
                                   lambda misses: groups(misses, settings, jobs), lambda group: prepare(group, settings),
                                   meanwhile)
        elif meanwhile is not None and targets and _waits(targets[0]):  # one renderer child: warm up beside it
            renders = _in_parallel(one, from_cache if memo is not None else None, targets, 1, meanwhile=meanwhile)
        else:
            renders = [one(t) for t in targets]
        if memo is not None:
            memo.finish()
        finish(renders, settings)
    finally:
        process.release(settings)  # the renderer workers kept for the run's renders (Helm SDK)
    return renders


def _waits(target: Target) -> bool:
    """Whether rendering ``target`` waits for a renderer child (kustomize, Helm, an Application's)."""
    return target.kind in ("kustomize", "helm") or bool(target.deployed_by)


def _in_parallel(one, from_cache, targets: list, jobs: int, grouped=None, prepare=None, meanwhile=None) -> list:
    """``[one(t) for t in targets]``, renders run by ``jobs`` threads. ``from_cache(t)``, when given,
    is tried first in this thread: answers from the render cache are Python work under one lock (the
    GIL), which threads only add switching to; a target it returns None for (it needs a renderer
    child) is left to the threads. ``grouped(misses)`` splits those into groups, each rendered by
    one thread: ``prepare(group)`` (which may render them together), then ``one`` for each. The
    threads start only when a target needs them; while they run, this thread (which would only
    wait) gives ``meanwhile`` (a :class:`k8slint.check.warm.Warmup`) the renders done so far."""
    pool = None
    found: list = []
    misses: list[int] = []
    for target in targets:
        result = from_cache(target) if from_cache is not None else None
        if result is None:
            misses.append(len(found))
        found.append(result)
    if not misses:
        return found
    position_of: dict[int, list[int]] = {}
    for p in misses:
        position_of.setdefault(id(targets[p]), []).append(p)
    split = grouped([targets[p] for p in misses]) if grouped is not None else [[targets[p]] for p in misses]

    def render_group(group: list) -> list:
        if prepare is not None and len(group) > 1:
            prepare(group)
        return [one(t) for t in group]

    try:
        from concurrent.futures import ThreadPoolExecutor  # its import: logging, threads

        pool = ThreadPoolExecutor(max_workers=jobs)
        waiting = {}
        for group in split:
            future = pool.submit(render_group, group)
            for index, target in enumerate(group):
                waiting[position_of[id(target)].pop(0)] = (future, index)
        if meanwhile is not None:
            _warm_while_waiting(meanwhile, [r for r in found if r is not None], {f for f, _ in waiting.values()})
        for position in sorted(waiting):  # in target order: the first failure is raised
            future, index = waiting[position]
            found[position] = future.result()[index]
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)  # after a failure, nothing more is started
    return found


def _checker(plan: Plan):
    """The check stage's Checker for ``plan`` (made before the renders, for the warm-up)."""
    from .check import Checker, Policy

    return Checker(Policy(plan.rules, plan.settings, plan.only), plan.settings)


def _warmup(checker, plan: Plan):
    """The check stage's first-use work, done while renderer children run (k8slint.check.warm)."""
    from .check.warm import Warmup

    return Warmup(checker, plan)


def _warm_while_waiting(meanwhile, ready: list, futures: set) -> None:
    """Give ``meanwhile`` the renders ``ready`` and each group's renders as it ends, for as long as
    another group is still rendering: once none is, the check stage itself is next."""
    from concurrent.futures import FIRST_COMPLETED, wait

    pending = list(futures)

    def busy() -> bool:  # a render thread is still at work (asked between pieces of warm-up work)
        while pending and pending[-1].done():
            pending.pop()
        return bool(pending)

    meanwhile.busy = busy
    meanwhile.start()
    for result in ready:
        if not busy():
            return
        meanwhile.rendered(result)
    waiting = set(futures)  # those done already come first
    while waiting:
        done, waiting = wait(waiting, return_when=FIRST_COMPLETED)
        for future in done:
            if future.exception() is None:
                for result in future.result():
                    if not busy():
                        return
                    meanwhile.rendered(result)


def _check(plan: Plan, renders: list, options: Options, base: bool = False, checker=None) -> tuple[Report, Any]:
    """Check the renders (and the repository tree): the report's findings, merged across targets,
    with ignore entries and baselines applied. ``base``: the run over --diff-base, whose findings
    are only compared with (no baseline; repository-tree findings anywhere). ``checker``: the one
    :func:`_checker` made for the warm-up (default: a new one)."""
    from . import formatters, suppress
    from .errors import K8slintError

    settings = plan.settings
    checker = checker or _checker(plan)
    policy = checker.policy
    findings = []
    report = Report(__version__, rules=plan.rules, repo_root=str(settings.repo_root), fail_on=settings.fail_on,
                    repository=plan.repo_rules, rendered=plan.rendered)
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
            "(set --env, or map paths under environments: or names under environment-aliases: in .k8slint.yaml)"
        )
    for label in empty:
        report.notes.append(f"{label} rendered no objects")
    if plan.repo_rules:
        found = checker.check_repo(settings.repo_root, settings.unknown_env)
        scope = None if base else repository_scope(plan, options)
        findings.extend(found if scope is None else [f for f in found if scope(f.location.file)])

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
           for item in policy.active(env if env in envs.ENVIRONMENTS else settings.unknown_env)
           if (item.rule.scope == "repo" and plan.repo_rules) or (item.rule.scope != "repo" and plan.rendered)}
    findings = suppress.finalize(findings + suppress.config_ignore_findings(settings, policy, used, plan.whole_repo, ran))
    findings = suppress.merge(findings, ordered=True)  # finalize sorted them
    if not base:
        findings = suppress.baseline(findings, settings, options.write_baseline, options.baseline, report.notes)
    report.findings = findings
    return report, (renders, checker)


def repository_scope(plan: Plan, options: Options):
    """Which files the repository-tree rules report on: None for all of them (a run over the whole
    repository, or a change to the configuration), else a test of a repo-relative path - inside a
    path given, read by a target checked (what its renderer reads: the same list --changed uses),
    or, with --changed, one of the changed files."""
    from pathlib import Path

    from .plan.changed import CONFIG_FILES
    from .render import Unit, renderer

    if not options.paths:
        return None
    settings = plan.settings
    root = settings.repo_root.resolve()
    given = [Path(p).resolve() for p in options.paths if p != "-"]
    if options.changed and any(p.name in CONFIG_FILES and p.parent == root for p in given):
        return None
    inputs = []
    for target in plan.targets:
        if target.kind == "stdin":
            continue
        env_file = next((v for v in target.values if v.parent == target.path and v.name.startswith("values-")), None)
        inputs.append(renderer(target.kind).inputs(Unit(target.kind, target.path, env_file), settings))

    def inside(rel: str) -> bool:
        path = (root / rel).resolve()
        return (any(path == p or p in path.parents for p in given)
                or any(i.fed_by(path) for i in inputs))

    return inside


def _against_base(report: Report, plan: Plan, options: Options) -> None:
    """--diff-base REF: check the repository as it is at REF with the same options and targets, and
    keep only the findings REF does not have (matched like a baseline, per target)."""
    from . import suppress
    from .errors import K8slintError
    from .plan.gitref import checkout

    ref = options.diff_base
    root = plan.settings.repo_root.resolve()
    with checkout(ref, root) as base:
        if base.root is None:
            base_findings: list = []
            report.notes.append(f"--diff-base {ref}: the branch has no commit yet, so every finding is new")
        else:
            try:
                base_findings, failed = _base_findings(plan, options, root, base.root)
            except K8slintError as exc:
                raise K8slintError(f"--diff-base {ref} ({base.commit[:12]}) could not be checked: {exc}") from None
            if failed:
                report.notes.append(f"--diff-base {ref}: {', '.join(failed)} did not render there, so every finding "
                                    f"of {'it' if len(failed) == 1 else 'them'} is new")
        new, unchanged = suppress.compare(report.findings, base_findings)
        files = {f.location.file for f in new + unchanged}
        report.changed_files = frozenset(f for f in files if _differs(root, base.root, f))
    report.findings, report.unchanged, report.diff_base = new, unchanged, ref
    shown = f"{ref} ({base.commit[:12]})" if base.commit else ref
    report.notes.append(f"compared with {shown}: {len(new)} new finding(s) shown, {len(unchanged)} that {ref} has too not shown")


def _base_findings(plan: Plan, options: Options, root, base_root) -> tuple[list, list[str]]:
    """The findings of the same targets, with the same options, in the tree of the base revision,
    and the targets that did not render there. None rendering is a K8slintError."""
    from .errors import K8slintError
    from dataclasses import replace
    from pathlib import Path

    def moved(path: Path) -> Path | None:
        """A path of the repository, in the base tree (None: not there); other paths unchanged."""
        try:
            rel = Path(path).resolve().relative_to(root)
        except ValueError:
            return Path(path)
        there = base_root / rel
        return there if there.exists() or there.is_symlink() else None

    targets = []
    for target in plan.targets:
        path, values = moved(target.path), [moved(v) for v in target.values]
        if path is not None and None not in values:
            targets.append(replace(target, path=path, values=values))  # a target REF lacks: all its findings are new
    config = plan.settings.config.file
    base_config = moved(config) if config is not None and options.config else None
    base_options = replace(options, repo_root=str(base_root), config=str(base_config) if base_config else None,
                           crds=[str(moved(Path(c)) or c) for c in options.crds], baseline=None, write_baseline=None,
                           diff_base=None, stdin=None)
    base_plan = make_plan(base_options, targets=targets)
    base_plan.settings.cache["deadline-at"] = plan.settings.cache.get("deadline-at")  # one deadline for both runs
    checker = _checker(base_plan)
    renders = _render_all(base_plan, cached=options.cache, relocated=True, meanwhile=_warmup(checker, base_plan))
    if renders and all(r.failed for r in renders):
        raise K8slintError("nothing could be rendered: " + "; ".join(p.message for r in renders for p in r.problems[:1]))
    report, _ = _check(base_plan, renders, base_options, base=True, checker=checker)
    return report.findings, [r.target.label() for r in renders if r.failed]


def _differs(root, base_root, rel: str) -> bool:
    """Whether a repo-relative file differs from its version in the base tree (new files do)."""
    from .model import pseudo_file

    if pseudo_file(rel) or rel == ".":
        return False
    if base_root is None:
        return True
    try:
        here, there = (root / rel), (base_root / rel)
        if not there.is_file():
            return True
        if here.stat().st_size != there.stat().st_size:
            return True
        return here.read_bytes() != there.read_bytes()
    except OSError:
        return True
