"""Suppress stage: what the user asked not to see, and what no longer suppresses anything.

- **annotations**: ``k8slint.io/ignore: "rule-a,rule-b"`` on an object or its pod template (with
  ``k8slint.io/ignore-reason``); one that suppressed nothing where its rule ran is an
  ``unused-suppression`` finding, one without a reason an ``ignore-without-reason`` finding;
- **config** ``ignore:`` entries (rules x paths/kind/namespace/name/env), reported the same way;
- **baselines**: ``k8slint check --write-baseline FILE`` records every current finding (its
  fingerprint and the targets it is in); ``--baseline FILE`` (or ``baseline:`` in the config)
  hides each recorded finding in the targets it was recorded for, so a base's old problem that
  a new overlay starts to deploy is new there. Each record hides one finding: a second identical
  problem is new. Baselines written before findings were merged across targets
  (``k8slint-baseline/v1``: one fingerprint per target) still hide the same findings;
- **fingerprints**: made of the rule, the object's kind/namespace/name and a stable key
  (container name, key name, path with list items named) - never line numbers - so they survive
  lines moving and unrelated edits. At a source line several targets render (a base, a chart
  template) the object is named as the source writes it and the target is left out, so the
  fingerprint is the same in every target; elsewhere the target is part of it;
- :func:`finalize`: deduplicate and sort, so output never depends on input order or threads;
- :func:`merge`: one finding per source location - the findings of several targets with the same
  rule, source file and line, object (as the source writes it) and key are one finding that lists
  every target, with the severity of the strictest environment;
- :func:`compare`: ``--diff-base REF`` - which findings the checked base already has (matched
  like a baseline, per target), and which a change introduces.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import field, replace
from pathlib import Path
from typing import Any

from . import envs, globs
from .digests import sha256
from .errors import BaselineError
from .model import SEVERITY_RANK, Finding, K8sObject, Location
from .records import FACTORY, record

FORMAT = "k8slint-baseline/v2"
FORMAT_V1 = "k8slint-baseline/v1"  # one entry per finding per target, before findings were merged
IGNORE_ANNOTATION = "k8slint.io/ignore"
IGNORE_REASON_ANNOTATION = "k8slint.io/ignore-reason"


# -- fingerprints --------------------------------------------------------------------------------
def fingerprint(*parts: Any) -> str:
    text = "\x1f".join([p if p.__class__ is str else "" if p is None else str(p) for p in parts])
    return sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:20]


def path_identity(obj: K8sObject, path: tuple) -> str:
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


# -- k8slint.io/ignore annotations -----------------------------------------------------------------
def ignored_rules(obj: K8sObject, workload) -> tuple[set[str], bool]:
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


def ignore_path(obj: K8sObject, workload) -> tuple:
    """Path of the k8slint.io/ignore annotation: on the object, else on its pod template."""
    if isinstance(obj.annotations().get(IGNORE_ANNOTATION), str) or workload is None or len(workload.path) < 2:
        return ("metadata", "annotations", IGNORE_ANNOTATION)
    return (*workload.path[:-1], "metadata", "annotations", IGNORE_ANNOTATION)


def suppresses(ignored: set[str], rule_id: str) -> bool:
    return rule_id in ignored or "*" in ignored or "all" in ignored


@record
class Suppression:
    """One rule named by one k8slint.io/ignore annotation, over every render that saw it."""

    finding: Finding  # what to report if it turns out unused
    active: bool = False  # the rule ran on the object in at least one render
    used: bool = False  # and a finding of it was suppressed

    def __init__(self, finding: Finding, active: bool = False, used: bool = False) -> None:
        self.finding = finding
        self.active = active
        self.used = used


class Annotations:
    """The k8slint.io/ignore annotations of a run, keyed by (where the annotation is, rule id)."""

    def __init__(self, policy) -> None:
        self.policy = policy
        self.states: dict[tuple, Suppression] = {}

    def record(self, obj: K8sObject, where: Location, ignored: set[str], label: str, env: str, policy_env: str,
               active_ids: set[str]) -> None:
        severity = self.policy.severity("unused-suppression", policy_env)
        for rule_id in sorted(ignored - {"*", "all"}):
            key = (where, rule_id)
            state = self.states.get(key)
            if state is None:
                known = rule_id in self.policy.rules
                message = (
                    f"{obj.kind} {obj.name} suppresses {rule_id}, which found nothing on it in any target checked: "
                    "remove the stale suppression" if known else
                    f"{obj.kind} {obj.name} suppresses {rule_id!r}, which is not a rule id (see `k8slint rules`)"
                )
                finding = Finding("unused-suppression", severity or "info", message, where, label, env, obj.ref(),
                                  fingerprint=fingerprint("unused-suppression", label, obj.kind, obj.namespace, obj.name, rule_id))
                state = self.states[key] = Suppression(finding, active=not known)
                if severity is None:
                    state.used = True  # the meta rule is off: never report
            state.active = state.active or rule_id in active_ids

    def use(self, where: Location | None, rule_id: str) -> None:
        """A finding of ``rule_id`` was suppressed by the annotation at ``where``."""
        state = self.states.get((where, rule_id))
        if state is not None:
            state.used = True

    def unused(self) -> list[Finding]:
        """Annotations that suppressed nothing in any render where their rule ran."""
        return [s.finding for s in self.states.values() if s.active and not s.used]


# -- config ignore: entries ------------------------------------------------------------------------
def apply_config_ignores(findings: list[Finding], settings, used: set[int] | None = None) -> list[Finding]:
    """Drop the findings an ``ignore:`` entry matches; ``used`` collects the indexes of entries that matched."""
    entries = settings.ignore_entries
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
                globs.fnmatchcase(finding.location.file, g) or globs.fnmatchcase(finding.target, g) for g in entry["paths"]
            ):
                continue
            if "kind" in entry and obj.get("kind") != entry["kind"]:
                continue
            if "namespace" in entry and obj.get("namespace") != entry["namespace"]:
                continue
            if "name" in entry and not globs.fnmatchcase(obj.get("name") or "", entry["name"]):
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


def config_ignore_findings(settings, policy, used: set[int], whole_repo: bool, ran: set[str]) -> list[Finding]:
    """`ignore:` entries without a reason (ignore-without-reason), and, after a run over the whole
    repository, entries that matched nothing although one of their rules ran (unused-suppression)."""
    entries = settings.ignore_entries
    rel = settings.config_rel
    if not entries or rel is None:
        return []
    out = []
    for position, entry in enumerate(entries):
        line = settings.ignore_line(position)
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
    unique: dict[tuple, tuple[tuple, Finding]] = {}
    for finding in findings:
        order = finding.sort_key()
        unique.setdefault(order + (finding.severity,), (order, finding))
    return [finding for _, finding in sorted(unique.values(), key=_first)]


def _first(pair: tuple) -> Any:
    return pair[0]


# -- one finding per source location -------------------------------------------------------------
def merge(findings: list[Finding], ordered: bool = False) -> list[Finding]:
    """The findings of several targets at one source location as one finding each, sorted.
    ``ordered``: ``findings`` are sorted already (what :func:`finalize` returns), so when none
    merge they are returned in their order, not sorted again.

    Same location means the same rule, fingerprint (rule, object as its source writes it, key,
    source file - the target is not part of it at a shared source line), file and line. A finding
    whose fingerprint has the target in it (the rendered stream, a target's own file) stays alone.
    Two findings of one target are never merged: where a template renders several objects from
    one line, they are told apart by their rendered namespace, name and message."""
    groups: dict[object, list[Finding]] = {}
    for finding in findings:
        key = (finding.rule, finding.fingerprint, finding.location.file, finding.location.line) if finding.fingerprint else id(finding)
        groups.setdefault(key, []).append(finding)
    if ordered and len(groups) == len(findings) and not any(f.occurrences for f in findings):
        return list(findings)  # no two share a place: nothing merges (combine() would return each as it is)
    out = []
    for items in groups.values():
        if len({f.target for f in items}) < len(items):
            parts: dict[tuple, list[Finding]] = {}
            for f in items:
                obj = f.object or {}
                parts.setdefault((obj.get("namespace") or "", obj.get("name") or "", f.message), []).append(f)
            for part in parts.values():
                if len({f.target for f in part}) < len(part):
                    out.extend(part)  # cannot be told apart: never merged
                else:
                    out.append(combine(part))
        else:
            out.append(combine(items))
    return sorted(out, key=Finding.sort_key)


def combine(occurrences: list[Finding]) -> Finding:
    """One finding for per-target findings of one source location: the strictest first (its
    message, object and severity are shown; ties by environment, production first, then by
    target), the others by target."""
    items = [o for f in occurrences for o in (f.occurrences or [f])]
    if len(items) == 1:
        return items[0]
    first = min(items, key=lambda f: (-SEVERITY_RANK[f.severity], envs.STRICTNESS.get(f.env, len(envs.STRICTNESS)), f.target))
    rest = sorted((f for f in items if f is not first), key=lambda f: f.target)
    return replace(first, occurrences=[first, *rest])


# -- matching recorded findings (baselines, --diff-base) -------------------------------------------
@record
class Recorded:
    """Findings recorded elsewhere (a baseline file, the run over --diff-base): each record hides one
    finding in one target (``pairs``: (fingerprint, target) -> count), or, from a v1 baseline,
    per fingerprint (``prints``: the per-target fingerprint -> count)."""

    pairs: Counter = field(default_factory=Counter)
    prints: Counter = field(default_factory=Counter)
    version: str = FORMAT

    def __init__(self, pairs: Counter = FACTORY, prints: Counter = FACTORY, version: str = FORMAT) -> None:
        self.pairs = Counter() if pairs is FACTORY else pairs
        self.prints = Counter() if prints is FACTORY else prints
        self.version = version

    @classmethod
    def of(cls, findings: list[Finding]) -> Recorded:
        pairs: Counter = Counter()
        for finding in findings:
            for target, _ in finding.targets:
                pairs[(finding.fingerprint, target)] += 1
        return cls(pairs)


def match(findings: list[Finding], recorded: Recorded) -> tuple[list[Finding], list[Finding]]:
    """(what the records leave of the findings, the findings they cover entirely). A finding
    recorded in some of its targets only is left with the others (a new overlay deploying a base's
    recorded problem: new there)."""
    pairs, prints = Counter(recorded.pairs), Counter(recorded.prints)
    left_over, covered = [], []
    for finding in findings:
        occurrences = finding.occurrences or [finding]
        left, consumed = [], set()
        for occurrence in occurrences:
            pair = (finding.fingerprint, occurrence.target)
            legacy = occurrence.target_fingerprint or occurrence.fingerprint
            if pairs[pair] > 0:
                pairs[pair] -= 1
            elif legacy in consumed:
                pass  # a v1 record of a finding that was reported once for every target
            elif legacy and prints[legacy] > 0:
                prints[legacy] -= 1
                consumed.add(legacy)
            else:
                left.append(occurrence)
        if not left:
            covered.append(finding)
        elif len(left) == len(occurrences):
            left_over.append(finding)
        else:
            left_over.append(combine(left))
    return left_over, covered


def compare(findings: list[Finding], base: list[Finding]) -> tuple[list[Finding], list[Finding]]:
    """--diff-base: (the findings the change introduces, those the base already has), with
    ``state`` new / unchanged. A finding the base has in fewer targets is new, in the others.
    ``render-error`` is always new: a target that does not render is not checked, whatever the base."""
    new, unchanged = match([f for f in findings if f.rule != "render-error"], Recorded.of(base))
    new = sorted(new + [f for f in findings if f.rule == "render-error"], key=Finding.sort_key)
    for finding in new:
        finding.state = "new"
    for finding in unchanged:
        finding.state = "unchanged"
    return new, unchanged


# -- baselines -------------------------------------------------------------------------------------
def baseline(findings: list[Finding], settings, write: str | None, given: str | None, notes: list[str]) -> list[Finding]:
    """``write``: record every finding (--write-baseline); else hide the findings recorded in
    ``given`` (--baseline) or the config's ``baseline:``. Notes say what happened."""
    if write:
        write_baseline(Path(write), findings)
        notes.append(f"baseline of {len(findings)} finding(s) written to {write}")
        return findings
    path = given
    if path is None and settings.baseline is not None:
        path = str(settings.baseline)
    if path is None:
        return findings
    recorded = load_baseline(Path(path))
    kept, hidden = apply_baseline(findings, recorded)
    if hidden:
        notes.append(f"{hidden} finding(s) recorded in the baseline {path} not shown")
    if recorded.version == FORMAT_V1:
        notes.append(f"the baseline {path} records each finding once per target ({FORMAT_V1}); it still hides the same "
                     f"findings: rewrite it with --write-baseline {path} to record one entry per source line")
    return kept


def write_baseline(path: Path, findings: list[Finding]) -> None:
    entries = sorted(
        ({"fingerprint": f.fingerprint, "rule": f.rule, "targets": sorted(t for t, _ in f.targets), "file": f.location.file,
          "object": (f"{f.object['kind']} {f.object['namespace'] + '/' if f.object.get('namespace') else ''}{f.object['name']}"
                     if f.object else None),
          "message": f.message} for f in findings),
        key=lambda e: (e["file"], e["rule"], e["fingerprint"], e["targets"]),
    )
    text = json.dumps({"format": FORMAT, "findings": entries}, indent=2, ensure_ascii=False) + "\n"
    from .outputs import atomic

    try:
        with atomic(path) as stream:
            stream.write(text)
    except OSError as exc:
        raise BaselineError(f"cannot write baseline {path}: {exc.strerror}") from None


def load_baseline(path: Path) -> Recorded:
    from .load import load_json

    try:
        data, error = load_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(f"baseline {path} not found (create it with `k8slint check --write-baseline {path}`)") from None
    except (OSError, ValueError) as exc:
        raise BaselineError(f"baseline {path} is not a k8slint baseline ({exc})") from None
    if error is not None:
        raise BaselineError(f"baseline {path} is not a k8slint baseline ({error.message}, line {error.line})")
    version = data.get("format") if isinstance(data, dict) else None
    if version not in (FORMAT, FORMAT_V1) or not isinstance(data.get("findings"), list):
        raise BaselineError(f"baseline {path} is not a k8slint baseline (format {FORMAT} expected)")
    entries = [e for e in data["findings"] if isinstance(e, dict) and isinstance(e.get("fingerprint"), str) and e["fingerprint"]]
    if version == FORMAT_V1:
        return Recorded(prints=Counter(e["fingerprint"] for e in entries), version=FORMAT_V1)
    pairs: Counter = Counter()
    for entry in entries:
        targets = entry.get("targets")
        for target in targets if isinstance(targets, list) else []:
            if isinstance(target, str):
                pairs[(entry["fingerprint"], target)] += 1
    return Recorded(pairs)


def apply_baseline(findings: list[Finding], recorded: Recorded) -> tuple[list[Finding], int]:
    """The findings that are new (in the targets the baseline does not record them for), and how
    many the baseline hid entirely."""
    kept, covered = match(findings, recorded)
    return kept, len(covered)
