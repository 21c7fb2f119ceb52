"""Check stage: run the rules over each render - dispatch only.

One pass over a render's objects: each object is looked at once, its workload (pod spec and
containers) is extracted once, and the rules that fit its kind, scope and environment are
called with the :class:`~k8slint.check.context.Context` (the one thing templates see).
Cross-object rules get an :class:`~k8slint.check.index.Index` built once per render. Findings
are placed on the source line by :mod:`k8slint.locate`; objects' ``k8slint.io/ignore``
annotations are honoured as they are met (:mod:`k8slint.suppress`).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, Iterable

from .. import envs
from ..errors import K8slintError
from ..locate import Locator, plain_source, walk
from ..model import SEVERITY_RANK, Finding, K8sObject, Location, Violation, pseudo_file
from ..plan.rules import Rule
from ..plan.settings import Settings
from ..render import Render, renderer
from ..suppress import (IGNORE_ANNOTATION, IGNORE_REASON_ANNOTATION, Annotations, fingerprint, ignore_path,
                        ignored_rules, path_identity, suppresses)
from .asserts import Asserts
from .context import Context, RepoFiles
from .index import Index
from .policy import ActiveRule, Policy

__all__ = ["Checker", "Context", "Index", "Policy", "RepoFiles"]

_NOTHING: frozenset[str] = frozenset()  # what most objects' annotations suppress: one shared empty set


class Checker:
    """Checks renders and repositories against a policy; collects findings."""

    def __init__(self, policy: Policy, settings: Settings) -> None:
        self.policy = policy
        self.settings = settings
        self.cache = settings.sources
        self.notes: list[str] = []
        self._asserts = Asserts()
        self.suppressions = Annotations(policy)
        self._repo_findings: dict[tuple, list[Finding]] = {}  # (root, env) -> check_repo's answer

    # -- per render --------------------------------------------------------------------
    def check_render(self, render: Render) -> list[Finding]:
        with self._patterns():
            return self._check_render(render)

    def _check_render(self, render: Render) -> list[Finding]:
        target = render.target
        env = target.env
        policy_env = env if env in envs.ENVIRONMENTS else self.settings.unknown_env
        active = self.policy.active(policy_env)
        label = target.label()
        target_file = renderer(target.kind).source_file(target)
        locator = Locator(self.cache, target_file)
        findings: list[Finding] = []

        def shared(location: Location) -> bool:
            # a line of the repository that other targets may render too; the rendered stream and
            # the target's own fallback place (its kustomization or Chart.yaml, line 1) stay per target
            return not pseudo_file(location.file) and (location.line != 1 or location.file != target_file)

        def fingerprints(legacy: str, location: Location, *identity) -> dict:
            """The finding's fingerprint - without the target at a shared source line - and the
            per-target one earlier versions recorded in baselines, when they differ."""
            if not shared(location):
                return {"fingerprint": legacy}
            common = fingerprint(*identity)
            return {"fingerprint": common, "target_fingerprint": legacy if legacy != common else ""}

        for problem in render.problems:
            severity = self.policy.severity(problem.rule, policy_env)
            if severity is None:
                continue
            where = problem.location
            findings.append(
                Finding(problem.rule, severity, problem.message, where, label, env,
                        **fingerprints(fingerprint(problem.rule, label, where.file, problem.message), where,
                                       problem.rule, "", where.file, problem.message))
            )
        objects = render.objects
        if len(objects) > self.settings.max_objects:
            findings.append(
                Finding("render-error", "error", f"{label} renders {len(objects):,} objects, over limits.max-objects "
                        f"({self.settings.max_objects:,}): not checked; raise it with --max-objects or limits.max-objects", Location(target_file, 1), label, env)
            )
            return findings

        by_scope: dict[str, list[ActiveRule]] = {}
        for item in active:
            by_scope.setdefault(item.rule.scope, []).append(item)
        index = Index(objects)
        index.unreadable = [p.location for p in render.problems if p.rule == "parse-error"]
        peers = {item.rule.id: item.params for item in active}
        contexts = {item.rule.id: Context(env, policy_env, item.rule, index, self.settings, target, self.cache, peers)
                    for item in active}

        active_ids = {item.rule.id for item in active}
        suppression_at: dict[int, Location] = {}  # id(object) -> where its ignore annotation is

        seen: list = [None, False, None, None]  # the object whose findings are being built: obj, plain, ref, source identity

        def emit(item: ActiveRule, violation: Violation, obj: K8sObject | None, ignored: set[str] | frozenset[str]) -> None:
            rule_id = item.rule.id
            if ignored and suppresses(ignored, rule_id):
                self.suppressions.use(suppression_at.get(id(obj)), rule_id)
                return
            location = violation.location
            rendered, related = None, ()
            severity = item.severity
            if violation.severity and SEVERITY_RANK[violation.severity] < SEVERITY_RANK[severity]:
                severity = violation.severity
            if obj is None:
                location = location or Location(target_file, 1)
                identity = violation.key
                legacy = fingerprint(rule_id, "" if violation.location is not None else label, None, None, None, identity,
                                     location.file)
                findings.append(Finding(rule_id, severity, violation.message, location, label, env, None, None, related=[],
                                        fingerprint=legacy))  # a source finding without an object: never had the target
                return
            if seen[0] is not obj:  # what every finding of one object shares, worked out once (they come together)
                seen[0], seen[1], seen[2], seen[3] = obj, plain_source(obj), obj.ref(), None
            ref = seen[2]  # shared by its findings: each Finding keeps a copy
            if location is None:
                if seen[1]:  # a plain file is its own source: one walk (Locator.place's answer, without the Place)
                    line, _ = walk(obj.data, violation.path)
                    location = Location(obj.origin, line or 1)
                else:
                    place = locator.place(obj, violation.path, violation.part)
                    location, rendered, related = place.location, place.rendered, place.related
            location = location or Location(target_file, 1)
            identity = violation.key or path_identity(obj, violation.path)
            legacy = fingerprint(rule_id, label, ref["kind"], ref["namespace"], ref["name"], identity, "")
            if seen[3] is None:
                seen[3] = locator.source_identity(obj)
            name, namespace = seen[3]
            if shared(location):  # the fingerprint without the target, and the per-target one when they differ
                common = fingerprint(rule_id, "", obj.kind, namespace, name, identity, location.file)
                prints, legacy = common, (legacy if legacy != common else "")
            else:
                prints, legacy = legacy, ""
            findings.append(
                Finding(rule_id, severity, violation.message, location, label, env, ref, rendered, related=list(related),
                        fingerprint=prints, target_fingerprint=legacy)
            )

        object_rules = by_scope.get("object", [])
        pod_rules = by_scope.get("podspec", [])
        container_rules = by_scope.get("container", [])
        by_kind: dict[str, tuple] = {}  # kind -> its object, pod and container rules, each with its context

        def rules_for(kind: str) -> tuple:
            def fitting(items: list[ActiveRule]) -> list:
                # a template is called here directly (what _run does); assert rules through _run
                return [(item, contexts[item.rule.id], item.rule, item.rule.check, item.params)
                        for item in items if not item.rule.kinds or kind in item.rule.kinds]

            found = by_kind[kind] = (fitting(object_rules), fitting(pod_rules),
                                     [(*one, one[2].data.get("containers")) for one in fitting(container_rules)])
            return found

        run = self._run
        ignores: dict[int, set[str] | frozenset[str]] = {}  # id(object) -> the rules its annotations suppress (see ignored_by)
        with_workloads = bool(pod_rules or container_rules)
        for obj in objects:
            kind = obj.kind
            workload = index.workload(obj) if with_workloads else None
            ignored, has_reason = ignored_rules(obj, workload)
            if with_workloads:  # asked with index.workload(obj), as ignored_by asks
                ignores[id(obj)] = ignored or _NOTHING
            if ignored:
                where = locator.locate(obj, ignore_path(obj, workload or index.workload(obj)))
                suppression_at[id(obj)] = where
                self.suppressions.record(obj, where, ignored, label, env, policy_env, active_ids)
            if ignored and not has_reason:
                meta = self.policy.severity("ignore-without-reason", policy_env)
                if meta is not None:
                    at = locator.locate(obj, ("metadata", "annotations", IGNORE_ANNOTATION))
                    name, namespace = locator.source_identity(obj)
                    findings.append(
                        Finding("ignore-without-reason", meta,
                                f"{kind} {obj.name} suppresses {', '.join(sorted(ignored))} without a {IGNORE_REASON_ANNOTATION} annotation",
                                at, label, env, obj.ref(),
                                **fingerprints(fingerprint("ignore-without-reason", label, kind, obj.namespace, obj.name), at,
                                               "ignore-without-reason", "", kind, namespace, name, "", at.file))
                    )
            for_objects, for_pods, for_containers = by_kind.get(kind) or rules_for(kind)
            for item, ctx, rule, check, params in for_objects:
                if check is None:
                    found = run(item, obj, ctx)
                else:
                    self._current = rule
                    found = check(obj, params, ctx)
                if found:
                    for violation in found:
                        emit(item, violation, obj, ignored)
            if workload is None:
                continue
            for item, ctx, rule, check, params in for_pods:
                if check is None:
                    found = run(item, workload, ctx)
                else:
                    self._current = rule
                    found = check(workload, params, ctx)
                if found:
                    for violation in found:
                        emit(item, violation, obj, ignored)
            for item, ctx, rule, check, params, groups in for_containers:
                for container in workload.containers:
                    if groups and container.group not in groups:
                        continue
                    if check is None:
                        found = run(item, container, ctx)
                    else:
                        self._current = rule
                        found = check(container, params, ctx)
                    if found:
                        for violation in found:
                            emit(item, violation, obj, ignored)

        def ignored_by(obj: K8sObject | None) -> set[str] | frozenset[str]:
            """The rules ``obj``'s annotations (its own and its pod template's) suppress, read once per object."""
            if obj is None:
                return set()
            found = ignores.get(id(obj))
            if found is None:
                found = ignores[id(obj)] = ignored_rules(obj, index.workload(obj))[0] or _NOTHING
            return found

        for item in by_scope.get("render", []):
            for violation in self._run(item, index, contexts[item.rule.id]):
                emit(item, violation, violation.obj, ignored_by(violation.obj))
        for item in by_scope.get("source", []):
            for violation in self._run(item, target, contexts[item.rule.id]):
                # a source finding about an object honours that object's ignore annotation
                emit(item, violation, violation.obj, ignored_by(violation.obj))
        return findings

    def unused_suppressions(self) -> list[Finding]:
        """Annotations that suppressed nothing in any render where their rule ran."""
        return self.suppressions.unused()

    # -- per repository ------------------------------------------------------------------
    def check_repo(self, root: Path, env_for_policy: str) -> list[Finding]:
        """The repository-tree rules' findings (worked out once: the warm-up may ask first)."""
        key = (root, env_for_policy)
        found = self._repo_findings.get(key)
        if found is None:
            with self._patterns():
                found = self._repo_findings[key] = self._check_repo(root, env_for_policy)
        return list(found)

    def _check_repo(self, root: Path, env_for_policy: str) -> list[Finding]:
        rules = [item for item in self.policy.active(env_for_policy) if item.rule.scope == "repo"]
        if not rules:
            return []
        repo = RepoFiles(root, self.settings.sources.files())
        label = "."
        findings = []
        peers = {item.rule.id: item.params for item in self.policy.active(env_for_policy)}
        for item in rules:
            ctx = Context(envs.UNKNOWN, env_for_policy, item.rule, None, self.settings, None, self.cache, peers)
            for violation in self._run(item, repo, ctx):
                location = violation.location or Location(".", 1)
                findings.append(
                    Finding(item.rule.id, item.severity, violation.message, location, label, "-",
                            fingerprint=fingerprint(item.rule.id, location.file, violation.key))
                )
        return findings

    # -- calling one rule --------------------------------------------------------------------
    _current: Rule | None = None  # the rule whose violations are being read (a rule's are read before the next is called)

    def _run(self, item: ActiveRule, subject: Any, ctx: Context) -> Iterable[Violation]:
        rule = self._current = item.rule
        if rule.check is not None:
            return rule.check(subject, item.params, ctx) or ()
        if "assert" in rule.data:
            return self._asserts.run(rule, subject, ctx)
        return ()

    @contextlib.contextmanager
    def _patterns(self):
        """A regular expression in a rule's params (from the rule file or .k8slint.yaml) that does
        not compile stops the run with one sentence naming the rule, not a traceback. (Caught once
        around the whole check, not by a generator wrapped around each of ~45,000 rule calls.)"""
        import re

        from ..regex import PatternError

        try:
            yield
        except re.error as exc:
            rule = self._current
            if rule is None or rule.check is None:
                raise
            raise K8slintError(f"rule {rule.id} ({rule.file}): a pattern in its params is not a valid regular expression "
                               f"({exc}); fix it in the rule file or under rules.{rule.id}.params in .k8slint.yaml") from None
        except PatternError as exc:
            rule = self._current
            if rule is None or rule.check is None:
                raise
            raise K8slintError(f"rule {rule.id} ({rule.file}): a pattern in its params cannot be used: {exc}; fix it in "
                               f"the rule file or under rules.{rule.id}.params in .k8slint.yaml") from None
