"""Formatters: how findings are written. Each is one module, registered in the
``k8slint.formatters`` entry-point group (the built-ins exactly like a plugin would be).

Lifecycle, always in this order: ``start(run)`` once, ``finding(f)`` per finding (sorted),
``finish(summary)`` once. ``run`` is a :class:`Run`; the base class keeps the findings so
that formatters writing one document at the end (JSON, SARIF) only implement ``finish``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import IO, Any

from ..model import Finding


@dataclass
class TargetInfo:
    label: str
    kind: str
    env: str
    env_source: str
    objects: int
    failed: bool
    path: str = ""  # the overlay/chart/file as given (label without the [values] suffix)
    rules: tuple = ()  # ids of the rules in force for this target's environment


@dataclass
class Run:
    version: str
    targets: list[TargetInfo] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rules: dict = field(default_factory=dict)  # id -> Rule, for formatters that describe rules
    repo_root: str = "."
    fail_on: str = "error"
    repository: bool = False  # the repository-tree rules ran (their findings have target ".")
    rendered: bool = True  # targets were rendered and checked (not with --repository-rules only)
    diff_base: str | None = None  # --diff-base REF: findings are those REF does not have
    unchanged: list = field(default_factory=list)  # with diff_base: findings REF has too (state "unchanged"), not shown
    changed_files: frozenset | None = None  # with diff_base: repo-relative files that differ from REF
    unchecked_files: list = field(default_factory=list)  # YAML files neither checked nor recognised (repo-relative)
    baseline_written: str | None = None  # --write-baseline FILE: the findings were recorded there


class Formatter:
    """Base class: collects findings; subclasses write in start/finding/finish."""

    quiet = False  # --quiet: a formatter for people writes only the findings (report.write sets it)

    def __init__(self, out: IO[str], color: bool = False) -> None:
        self.out = out
        self.color = color
        self.run: Run | None = None
        self.findings: list[Finding] = []

    def start(self, run: Run) -> None:
        self.run = run

    def finding(self, finding: Finding) -> None:
        self.findings.append(finding)

    def finish(self, summary: dict[str, Any]) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


def summarize(findings: list[Finding], run: Run, passed: bool) -> dict[str, Any]:
    counts = {"error": 0, "warning": 0, "info": 0}
    for finding in findings:
        counts[finding.severity] += 1
    return {
        "findings": len(findings),
        "errors": counts["error"],
        "warnings": counts["warning"],
        "infos": counts["info"],
        "targets": len(run.targets),
        "objects": sum(t.objects for t in run.targets),
        "failed_targets": sum(1 for t in run.targets if t.failed),
        **({"unchanged": len(run.unchanged)} if run.diff_base else {}),
        "passed": passed,
        "fail_on": run.fail_on,
        "unchecked_files": list(run.unchecked_files),
    }


def write_json(out: IO[str], document: Any) -> None:
    """``json.dump(document, out, indent=2, ensure_ascii=False)`` plus a newline, in few writes.

    json.dump() writes every token separately (tens of writes per finding: 2 s for 8,700
    findings), and json.dumps() first holds every token of the document at once (hundreds of
    MB for 87,000 findings); this writes the same text in joined batches of tokens."""
    import json

    from ..escape import json_text

    batch: list[str] = []
    for chunk in json.JSONEncoder(indent=2, ensure_ascii=False).iterencode(document):
        batch.append(chunk)
        if len(batch) >= 8192:
            out.write(json_text("".join(batch)))
            batch.clear()
    batch.append("\n")
    out.write(json_text("".join(batch)))


@functools.lru_cache(maxsize=1)
def registry() -> dict[str, Any]:
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group="k8slint.formatters")}


def get(name: str):
    entry = registry().get(name)
    if entry is None:
        known = ", ".join(sorted(registry()))
        raise KeyError(f"unknown format {name!r} (installed: {known})")
    return entry.load()
