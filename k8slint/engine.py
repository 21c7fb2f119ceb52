"""Run the rules: match them to objects once, call templates, suppress, locate, sort.

One pass over a render's objects: each object is looked at once, its workload (pod spec and
containers) is extracted once, and the rules that fit its kind, scope and environment are
called. Cross-object rules get an :class:`Index` built once per render.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from . import envs
from .locate import Locator, SourceCache
from .model import SEVERITY_RANK, Finding, K8sObject, Location, Violation, fill_message
from .render import Render
from .rules import Rule
from .settings import Settings
from .targets import SKIP_DIRS
from .workloads import workload_of

IGNORE_ANNOTATION = "k8slint.io/ignore"
IGNORE_REASON_ANNOTATION = "k8slint.io/ignore-reason"


@dataclass
class ActiveRule:
    rule: Rule
    severity: str
    params: dict


class Policy:
    """The rules in force per environment, after the configuration is applied."""

    def __init__(self, rules: dict[str, Rule], settings: Settings, only: set[str] | None = None) -> None:
        self.rules = rules
        self.settings = settings
        self.only = only
        self._cache: dict[str, list[ActiveRule]] = {}

    def active(self, env: str) -> list[ActiveRule]:
        if env in self._cache:
            return self._cache[env]
        out: list[ActiveRule] = []
        for rule in self.rules.values():
            if self.only is not None and rule.id not in self.only:
                continue
            if rule.envs and env not in rule.envs:
                continue
            conf = self.settings.config.rule(rule.id)
            per_env = conf.get("env", {}).get(env, {})
            enabled = per_env.get("enabled", conf.get("enabled", True))
            if not enabled:
                continue
            severity = per_env.get("severity", conf.get("severity", rule.severity))
            params = _merge(_merge(rule.params, conf.get("params", {})), per_env.get("params", {}))
            out.append(ActiveRule(rule, severity, params))
        self._cache[env] = out
        return out

    def severity(self, rule_id: str, env: str) -> str | None:
        for active in self.active(env):
            if active.rule.id == rule_id:
                return active.severity
        return None


def _merge(base: dict, override: dict) -> dict:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


class Index:
    """All objects of one render, indexed once for cross-object rules."""

    def __init__(self, objects: list[K8sObject]) -> None:
        self.objects = objects
        self.by_kind: dict[str, list[K8sObject]] = {}
        self.by_key: dict[tuple, list[K8sObject]] = {}
        for obj in objects:
            self.by_kind.setdefault(obj.kind, []).append(obj)
            self.by_key.setdefault((obj.group, obj.kind, obj.namespace, obj.name), []).append(obj)
        self._workloads: dict[int, Any] = {}
        self._lookups: dict[str, Any] = {}
        self._by_kind_name: dict[tuple, list[K8sObject]] | None = None

    def cached(self, name: str, build) -> Any:
        """A lookup that cross-object rules share, built once per render: ``build(index)``."""
        if name not in self._lookups:
            self._lookups[name] = build(self)
        return self._lookups[name]

    def get(self, kind: str, name: str, namespace: str | None = None) -> list[K8sObject]:
        """Objects of ``kind`` named ``name`` (in ``namespace`` or with none), in render order.

        A dict lookup, not a scan of every object of the kind: rules call this once per object
        (a pod's ServiceAccount, a volume's claim), which would otherwise be quadratic."""
        by_name = self._by_kind_name
        if by_name is None:
            by_name = self._by_kind_name = {}
            for obj in self.objects:
                by_name.setdefault((obj.kind, obj.name), []).append(obj)
        found = by_name.get((kind, name), ())
        return [o for o in found if namespace is None or o.namespace in (namespace, None)]

    def workload(self, obj: K8sObject):
        key = id(obj)
        if key not in self._workloads:
            self._workloads[key] = workload_of(obj)
        return self._workloads[key]


@dataclass
class RepoFiles:
    """The repository tree, listed once: repo-relative POSIX paths of every file."""

    root: Path
    files: list[str] = field(default_factory=list)

    @classmethod
    def scan(cls, root: Path) -> "RepoFiles":
        out = cls(root)
        seen: set[tuple[int, int]] = set()
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            try:
                stat = os.stat(dirpath)
                if (stat.st_dev, stat.st_ino) in seen:
                    dirnames[:] = []
                    continue
                seen.add((stat.st_dev, stat.st_ino))
            except OSError:
                continue
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
            rel_dir = Path(dirpath).relative_to(root).as_posix()
            for name in sorted(filenames):
                out.files.append(name if rel_dir == "." else f"{rel_dir}/{name}")
        return out


@dataclass
class Context:
    """What a template sees besides its subject."""

    env: str
    policy_env: str
    rule: Rule
    index: Index | None
    settings: Settings
    target: Any = None
    sources: SourceCache | None = None  # parsed source files (kustomizations, values, patches), shared

    @property
    def env_phrase(self) -> str:
        if self.env == envs.UNKNOWN:
            return f"{self.policy_env} (environment unknown, strictest policy)"
        return self.env


def _ignored_rules(obj: K8sObject, workload) -> tuple[set[str], bool]:
    """Rule ids an object's annotations suppress, and whether a reason was given."""
    rules: set[str] = set()
    reason = False
    sources = [obj.annotations()]
    if workload is not None:
        meta_annotations = workload.template_metadata.get("annotations")
        if isinstance(meta_annotations, dict):
            sources.append(meta_annotations)
    for annotations in sources:
        value = annotations.get(IGNORE_ANNOTATION)
        if isinstance(value, str):
            rules.update(part.strip() for part in value.split(",") if part.strip())
            reason = reason or bool(str(annotations.get(IGNORE_REASON_ANNOTATION, "")).strip())
    return rules, reason


def _ignore_path(obj: K8sObject, workload) -> tuple:
    """Path of the k8slint.io/ignore annotation: on the object, else on its pod template."""
    if isinstance(obj.annotations().get(IGNORE_ANNOTATION), str) or workload is None or len(workload.path) < 2:
        return ("metadata", "annotations", IGNORE_ANNOTATION)
    return (*workload.path[:-1], "metadata", "annotations", IGNORE_ANNOTATION)


@dataclass
class Suppression:
    """One rule named by one k8slint.io/ignore annotation, over every render that saw it."""

    finding: Finding  # what to report if it turns out unused
    active: bool = False  # the rule ran on the object in at least one render
    used: bool = False  # and a finding of it was suppressed


def fingerprint(*parts: Any) -> str:
    text = "\x1f".join("" if p is None else str(p) for p in parts)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:20]


def _path_identity(obj: K8sObject, path: tuple) -> str:
    """A path with list indexes replaced by item names where they have one (survives reordering)."""
    out = []
    node: Any = obj.data
    for step in path:
        if isinstance(step, int) and isinstance(node, list) and 0 <= step < len(node):
            item = node[step]
            name = item.get("name") if isinstance(item, dict) else None
            out.append(f"[{name}]" if isinstance(name, str) else f"[{step}]")
            node = item
        else:
            out.append(str(step))
            node = node.get(step) if isinstance(node, dict) else None
    return ".".join(out)


class Checker:
    """Checks renders and repositories against a policy; collects findings."""

    def __init__(self, policy: Policy, settings: Settings) -> None:
        self.policy = policy
        self.settings = settings
        self.cache = SourceCache(settings.repo_root)
        self.notes: list[str] = []
        self._assert_validators: dict[str, Any] = {}
        self._sources_reported: set[tuple] = set()
        self.suppressions: dict[tuple, Suppression] = {}  # (annotation location, rule) -> state

    # -- per render --------------------------------------------------------------------
    def check_render(self, render: Render) -> list[Finding]:
        target = render.target
        env = target.env
        policy_env = env if env in envs.ENVIRONMENTS else self.settings.unknown_env
        active = self.policy.active(policy_env)
        label = target.label()
        locator = Locator(self.cache, _target_file(target))
        findings: list[Finding] = []

        for problem in render.problems:
            severity = self.policy.severity(problem.rule, policy_env)
            if severity is None:
                continue
            findings.append(
                Finding(problem.rule, severity, problem.message, problem.location, label, env,
                        fingerprint=fingerprint(problem.rule, label, problem.location.file, problem.message))
            )
        objects = render.objects
        if len(objects) > self.settings.max_objects:
            findings.append(
                Finding("render-error", "error", f"{label} renders {len(objects):,} objects, over limits.max-objects "
                        f"({self.settings.max_objects:,}): not checked; raise it with --max-objects or limits.max-objects", Location(_target_file(target), 1), label, env)
            )
            return findings

        by_scope: dict[str, list[ActiveRule]] = {}
        for item in active:
            by_scope.setdefault(item.rule.scope, []).append(item)
        index = Index(objects)
        contexts = {item.rule.id: Context(env, policy_env, item.rule, index, self.settings, target, self.cache) for item in active}

        active_ids = {item.rule.id for item in active}
        suppression_at: dict[int, Location] = {}  # id(object) -> where its ignore annotation is

        def emit(item: ActiveRule, violation: Violation, obj: K8sObject | None, ignored: set[str]) -> None:
            rule_id = item.rule.id
            if rule_id in ignored or "*" in ignored or "all" in ignored:
                state = self.suppressions.get((suppression_at.get(id(obj)), rule_id))
                if state is not None:
                    state.used = True
                return
            location = violation.location
            rendered, related = None, ()
            if location is None and obj is not None:
                place = locator.place(obj, violation.path, violation.part)
                location, rendered, related = place.location, place.rendered, place.related
            location = location or Location(_target_file(target), 1)
            ref = obj.ref() if obj is not None else None
            identity = violation.key or (_path_identity(obj, violation.path) if obj is not None else "")
            severity = item.severity
            if violation.severity and SEVERITY_RANK[violation.severity] < SEVERITY_RANK[severity]:
                severity = violation.severity
            findings.append(
                Finding(
                    rule_id, severity, violation.message, location, label, env, ref, rendered,
                    fingerprint=fingerprint(rule_id, "" if obj is None and violation.location is not None else label,
                                            ref and ref["kind"], ref and ref["namespace"], ref and ref["name"], identity,
                                            location.file if obj is None else ""),
                    related=list(related),
                )
            )

        object_rules = by_scope.get("object", [])
        pod_rules = by_scope.get("podspec", [])
        container_rules = by_scope.get("container", [])
        for obj in objects:
            kind = obj.kind
            workload = index.workload(obj) if (pod_rules or container_rules) else None
            ignored, has_reason = _ignored_rules(obj, workload)
            if ignored:
                self._record_suppressions(obj, workload or index.workload(obj), ignored, locator, label, env, policy_env,
                                          active_ids, suppression_at)
            if ignored and not has_reason:
                meta = self.policy.severity("ignore-without-reason", policy_env)
                if meta is not None:
                    findings.append(
                        Finding("ignore-without-reason", meta,
                                f"{kind} {obj.name} suppresses {', '.join(sorted(ignored))} without a {IGNORE_REASON_ANNOTATION} annotation",
                                locator.locate(obj, ("metadata", "annotations", IGNORE_ANNOTATION)), label, env, obj.ref(),
                                fingerprint=fingerprint("ignore-without-reason", label, kind, obj.namespace, obj.name))
                    )
            for item in object_rules:
                if item.rule.kinds and kind not in item.rule.kinds:
                    continue
                for violation in self._run(item, obj, contexts[item.rule.id]):
                    emit(item, violation, obj, ignored)
            if workload is None:
                continue
            for item in pod_rules:
                if item.rule.kinds and kind not in item.rule.kinds:
                    continue
                for violation in self._run(item, workload, contexts[item.rule.id]):
                    emit(item, violation, obj, ignored)
            for item in container_rules:
                if item.rule.kinds and kind not in item.rule.kinds:
                    continue
                groups = item.rule.data.get("containers")
                for container in workload.containers:
                    if groups and container.group not in groups:
                        continue
                    for violation in self._run(item, container, contexts[item.rule.id]):
                        emit(item, violation, obj, ignored)

        for item in by_scope.get("render", []):
            for violation in self._run(item, index, contexts[item.rule.id]):
                obj = violation.obj
                ignored = _ignored_rules(obj, index.workload(obj))[0] if obj is not None else set()
                emit(item, violation, obj, ignored)
        for item in by_scope.get("source", []):
            for violation in self._run(item, target, contexts[item.rule.id]):
                obj = violation.obj  # a source finding about an object honours that object's ignore annotation
                seen = (item.rule.id, violation.location, violation.key)
                if obj is None and violation.location is not None:
                    if seen in self._sources_reported:  # a base shared by several overlays: report it once
                        continue
                    self._sources_reported.add(seen)
                ignored = _ignored_rules(obj, index.workload(obj))[0] if obj is not None else set()
                emit(item, violation, obj, ignored)
        return findings

    def _record_suppressions(self, obj, workload, ignored, locator, label, env, policy_env, active_ids, suppression_at) -> None:
        where = locator.locate(obj, _ignore_path(obj, workload))
        suppression_at[id(obj)] = where
        severity = self.policy.severity("unused-suppression", policy_env)
        for rule_id in sorted(ignored - {"*", "all"}):
            key = (where, rule_id)
            state = self.suppressions.get(key)
            if state is None:
                known = rule_id in self.policy.rules
                message = (
                    f"{obj.kind} {obj.name} suppresses {rule_id}, which found nothing on it in any target checked: "
                    "remove the stale suppression" if known else
                    f"{obj.kind} {obj.name} suppresses {rule_id!r}, which is not a rule id (see `k8slint rules`)"
                )
                finding = Finding("unused-suppression", severity or "info", message, where, label, env, obj.ref(),
                                  fingerprint=fingerprint("unused-suppression", label, obj.kind, obj.namespace, obj.name, rule_id))
                state = self.suppressions[key] = Suppression(finding, active=not known)
                if severity is None:
                    state.used = True  # the meta rule is off: never report
            state.active = state.active or rule_id in active_ids

    def unused_suppressions(self) -> list[Finding]:
        """Annotations that suppressed nothing in any render where their rule ran."""
        return [s.finding for s in self.suppressions.values() if s.active and not s.used]

    # -- per repository ------------------------------------------------------------------
    def check_repo(self, root: Path, env_for_policy: str) -> list[Finding]:
        rules = [item for item in self.policy.active(env_for_policy) if item.rule.scope == "repo"]
        if not rules:
            return []
        repo = RepoFiles.scan(root)
        label = "."
        findings = []
        for item in rules:
            ctx = Context(envs.UNKNOWN, env_for_policy, item.rule, None, self.settings, None, self.cache)
            for violation in self._run(item, repo, ctx):
                location = violation.location or Location(".", 1)
                findings.append(
                    Finding(item.rule.id, item.severity, violation.message, location, label, "-",
                            fingerprint=fingerprint(item.rule.id, location.file, violation.key))
                )
        return findings

    # -- calling one rule --------------------------------------------------------------------
    def _run(self, item: ActiveRule, subject: Any, ctx: Context) -> Iterable[Violation]:
        rule = item.rule
        if rule.check is not None:
            return _bad_pattern_is_a_usage_error(rule, rule.check(subject, item.params, ctx) or ())
        if "assert" in rule.data:
            return self._assert(item, subject, ctx)
        return ()

    def _assert(self, item: ActiveRule, subject: Any, ctx: Context) -> Iterable[Violation]:
        rule = item.rule
        spec = rule.data["assert"]
        validator = self._assert_validators.get(rule.id)
        if validator is None:
            import jsonschema

            cls = jsonschema.validators.validator_for(spec["schema"])
            validator = cls(spec["schema"])
            self._assert_validators[rule.id] = validator
        data, base, obj, container = _subject_data(subject)
        error = next(iter(sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))), None)
        if error is None:
            return ()
        rel = tuple(error.absolute_path) or tuple(spec.get("path", ()))
        field_path = ".".join(str(p) for p in rel) or "(object)"
        explanation = f"{field_path} fails {error.validator} {error.validator_value!r}" if not isinstance(error.validator_value, (dict, list)) else f"{field_path} fails {error.validator}"
        message = fill_message(spec["message"], dict(
            kind=obj.kind, name=obj.name, namespace=obj.namespace or "", container=container or "",
            env=ctx.env_phrase, error=explanation,
        ))
        return (Violation(message, base + rel, key=container or ""),)


def _bad_pattern_is_a_usage_error(rule: Rule, violations: Iterable[Violation]) -> Iterable[Violation]:
    """A regular expression in a rule's params (from the rule file or .k8slint.yaml) that does
    not compile stops the run with one sentence naming the rule, not a traceback."""
    import re

    try:
        yield from violations
    except re.error as exc:
        from .run import RunError

        raise RunError(f"rule {rule.id} ({rule.file}): a pattern in its params is not a valid regular expression "
                       f"({exc}); fix it in the rule file or under rules.{rule.id}.params in .k8slint.yaml") from None


def _subject_data(subject: Any) -> tuple[Any, tuple, K8sObject, str | None]:
    from .workloads import Container, Workload

    if isinstance(subject, Container):
        return subject.data, subject.path, subject.obj, subject.name
    if isinstance(subject, Workload):
        return subject.spec, subject.path, subject.obj, None
    return subject.data, (), subject, None


def _target_file(target) -> str:
    from .targets import KUSTOMIZATION_FILES, relative

    if target.kind == "kustomize":
        for name in KUSTOMIZATION_FILES:
            if (target.path / name).is_file():
                return f"{target.display}/{name}" if target.display != "." else name
    if target.kind == "helm":
        return f"{target.display}/Chart.yaml" if target.display != "." else "Chart.yaml"
    if target.kind == "stdin":
        return "<stdin>"
    return target.display


def passes(findings: list[Finding], fail_on: str) -> bool:
    if fail_on == "never":
        return True
    threshold = SEVERITY_RANK[fail_on]
    return not any(SEVERITY_RANK[f.severity] >= threshold for f in findings)


def apply_config_ignores(findings: list[Finding], settings: Settings, used: set[int] | None = None) -> list[Finding]:
    """Drop the findings an ``ignore:`` entry matches; ``used`` collects the indexes of entries that matched."""
    entries = settings.config.get("ignore", [])
    if not entries:
        return findings
    kept = []
    for finding in findings:
        obj = finding.object or {}
        hit = None
        for position, entry in enumerate(entries):
            if "*" not in entry["rules"] and finding.rule not in entry["rules"]:
                continue
            if "paths" in entry and not any(
                fnmatch.fnmatchcase(finding.location.file, g) or fnmatch.fnmatchcase(finding.target, g) for g in entry["paths"]
            ):
                continue
            if "kind" in entry and obj.get("kind") != entry["kind"]:
                continue
            if "namespace" in entry and obj.get("namespace") != entry["namespace"]:
                continue
            if "name" in entry and not fnmatch.fnmatchcase(obj.get("name") or "", entry["name"]):
                continue
            if "env" in entry and finding.env != envs.normalize(entry["env"]):
                continue
            hit = position
            break
        if hit is None:
            kept.append(finding)
        elif used is not None:
            used.add(hit)
    return kept


def config_ignore_findings(settings: Settings, policy: Policy, used: set[int], whole_repo: bool, ran: set[str]) -> list[Finding]:
    """`ignore:` entries without a reason (ignore-without-reason), and, after a run over the whole
    repository, entries that matched nothing although one of their rules ran (unused-suppression)."""
    entries = settings.config.get("ignore", [])
    config_file = settings.config.file
    if not entries or config_file is None:
        return []
    from .targets import relative

    rel = relative(config_file, settings.repo_root)
    items = settings.config.data.get("ignore")
    out = []
    for position, entry in enumerate(entries):
        line = items.item_line(position) if hasattr(items, "item_line") else 1
        what = ", ".join(entry["rules"])
        parts = [f"{k}={entry[k]}" for k in ("kind", "namespace", "name", "env") if k in entry]
        parts += ["paths=" + ",".join(entry["paths"])] if "paths" in entry else []
        selector = " ".join(parts)
        shown = f"ignore entry {position + 1} ({what}{'; ' + selector if selector else ''})"
        for rule_id, message, wanted in (
            ("ignore-without-reason", f"{shown} has no reason: say why it is acceptable (reason: ...)",
             not str(entry.get("reason", "")).strip()),
            ("unused-suppression", f"{shown} matched no finding in this run over the whole repository: remove it or fix its selector",
             whole_repo and position not in used and ("*" in entry["rules"] or bool(set(entry["rules"]) & ran))),
        ):
            severity = policy.severity(rule_id, settings.unknown_env) if wanted else None
            if severity is not None:
                out.append(Finding(rule_id, severity, message, Location(rel, line), ".", "-",
                                   fingerprint=fingerprint(rule_id, rel, what, selector)))
    return out


def finalize(findings: list[Finding]) -> list[Finding]:
    """Deduplicate and sort: output order never depends on input order or threads."""
    unique: dict[tuple, Finding] = {}
    for finding in findings:
        key = finding.sort_key() + (finding.severity,)
        unique.setdefault(key, finding)
    return sorted(unique.values(), key=Finding.sort_key)
