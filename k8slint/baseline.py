"""Baselines: adopt k8slint on a legacy repo and fail only on new findings.

``k8slint check --write-baseline FILE`` records the fingerprint of every current finding;
``--baseline FILE`` (or ``baseline:`` in the config) hides findings whose fingerprint is
recorded. Fingerprints (engine.fingerprint) are made of the rule, the target, the object's
kind/namespace/name and a stable key (container name, key name, path with list items named)
— never line numbers — so they survive lines moving and unrelated edits. Each recorded
fingerprint hides one finding: a second identical problem is new.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from .model import Finding

FORMAT = "k8slint-baseline/v1"


class BaselineError(Exception):
    """The baseline file cannot be used: one sentence."""


def write(path: Path, findings: list[Finding]) -> None:
    entries = sorted(
        ({"fingerprint": f.fingerprint, "rule": f.rule, "target": f.target, "file": f.location.file,
          "object": (f"{f.object['kind']} {f.object['namespace'] + '/' if f.object.get('namespace') else ''}{f.object['name']}"
                     if f.object else None),
          "message": f.message} for f in findings),
        key=lambda e: (e["target"], e["file"], e["rule"], e["fingerprint"]),
    )
    text = json.dumps({"format": FORMAT, "findings": entries}, indent=2, ensure_ascii=False) + "\n"
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise BaselineError(f"cannot write baseline {path}: {exc.strerror}") from None


def load(path: Path) -> Counter:
    from .load import load_json

    try:
        data, error = load_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(f"baseline {path} not found (create it with `k8slint check --write-baseline {path}`)") from None
    except (OSError, ValueError) as exc:
        raise BaselineError(f"baseline {path} is not a k8slint baseline ({exc})") from None
    if error is not None:
        raise BaselineError(f"baseline {path} is not a k8slint baseline ({error.message}, line {error.line})")
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("findings"), list):
        raise BaselineError(f"baseline {path} is not a k8slint baseline (format {FORMAT} expected)")
    return Counter(e.get("fingerprint") for e in data["findings"] if isinstance(e, dict) and e.get("fingerprint"))


def apply(findings: list[Finding], known: Counter) -> tuple[list[Finding], int]:
    """The findings that are new, and how many the baseline hid."""
    left = Counter(known)
    kept, hidden = [], 0
    for finding in findings:
        if finding.fingerprint and left[finding.fingerprint] > 0:
            left[finding.fingerprint] -= 1
            hidden += 1
        else:
            kept.append(finding)
    return kept, hidden
