"""Small helpers the CI-facing formatters share: rule doc links, where a finding was rendered,
and paths as the CI workspace sees them."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

from ..envs import STRICTNESS
from ..model import Finding, pseudo_file

RULE_DOCS_URL = "https://github.com/k8slint/k8slint/blob/main/docs/rules/{id}.md"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def rule_help_uri(rule) -> str:
    """Built-in rules link to their generated page; custom rules to their own rule file."""
    if rule is None:
        return ""
    if getattr(rule, "builtin", True):
        return RULE_DOCS_URL.format(id=rule.id)
    return quote(str(rule.file))


def target_paths(run) -> dict[str, str]:
    """target label -> the overlay/chart path it was rendered from."""
    return {t.label: (t.path or t.label) for t in run.targets}


def rendered_by(finding: Finding, paths: dict[str, str]) -> str | None:
    """The target label when the finding's source file is not the target's own (a base file,
    a shared chart template rendered with an environment's values); None when it is."""
    label = finding.target
    if not label or label == ".":
        return None
    path = paths.get(label, label)
    file = finding.location.file
    if label == path and (file == path or file.startswith(path.rstrip("/") + "/")):
        return None
    return label


def is_pseudo(file: str) -> bool:
    """Locations that are not files in the repository (stdin, a rendered stream)."""
    return pseudo_file(file)


TARGETS_SHOWN = 5  # how many target names a finding in several targets spells out


def environments(finding: Finding) -> list[str]:
    """The distinct environments of a finding's targets, the strictest first."""
    found = {env for _, env in finding.targets if env not in ("", "-")}
    return sorted(found, key=lambda e: (STRICTNESS.get(e, len(STRICTNESS)), e))


def targets_phrase(finding: Finding, limit: int | None = TARGETS_SHOWN) -> str:
    """'in 7 targets under infra/k8s/overlays/: dev, dev-eu, production, … (+2 more) [production,
    staging, development]' - the targets a finding is in (their common folder said once), bounded."""
    labels = sorted(t for t, _ in finding.targets)
    prefix = ""
    if len(labels) > 1:
        common = labels[0]
        for label in labels[1:]:
            while common and not label.startswith(common):
                common = common[:-1]
        prefix = common[: common.rfind("/") + 1]
        if any(label == prefix.rstrip("/") for label in labels):
            prefix = ""
    names = [label[len(prefix):] for label in labels]
    shown = names if limit is None or len(names) <= limit else names[:limit] + [f"… (+{len(names) - limit} more)"]
    where = f" under {prefix}" if prefix else ""
    envs = environments(finding)
    return f"in {len(labels)} targets{where}: {', '.join(shown)}" + (f" [{', '.join(envs)}]" if envs else "")


def workspace_file(run, file: str) -> str:
    """A repo-relative path made relative to $GITHUB_WORKSPACE when the deploy repo root is a
    folder inside it (annotations and code scanning resolve paths from the checkout root)."""
    workspace = os.environ.get("GITHUB_WORKSPACE")
    if not workspace or is_pseudo(file):
        return file
    try:
        prefix = Path(run.repo_root).resolve().relative_to(Path(workspace).resolve()).as_posix()
    except ValueError:
        return file
    return file if prefix in ("", ".") else f"{prefix}/{file}"


def via(finding: Finding) -> str:
    """'via templates/deployment.yaml:21' for a finding whose primary line is a values file (or a
    helper) and whose template line is related; '' when there is none."""
    return "via " + ", ".join(f"{r.file}:{r.line}" for r in finding.related) if finding.related else ""


def shown_path(run, file: str, cwd: str | None = None) -> str:
    """A repo-relative path as the user can open it from where they stand: relative to the current
    directory, absolute when the file is outside it. Pseudo files (stdin, a rendered stream) keep
    their form, with the path part converted."""
    if file.startswith("<"):
        return file
    suffix = ""
    if file.endswith(" (rendered)"):
        file, suffix = file[: -len(" (rendered)")], " (rendered)"
    here = Path(cwd or os.getcwd()).resolve()
    full = Path(os.path.normpath(Path(run.repo_root).resolve() / file))
    try:
        shown = full.relative_to(here).as_posix()
    except ValueError:
        shown = full.as_posix()
    return (shown or ".") + suffix


def object_name(finding: Finding) -> str:
    obj = finding.object or {}
    if not obj:
        return ""
    ns = f"{obj['namespace']}/" if obj.get("namespace") else ""
    return f"{obj.get('kind') or '?'} {ns}{obj.get('name') or '?'}"
