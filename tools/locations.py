#!/usr/bin/env python3
"""Where do findings point? List every finding of the shared corpus with the text of its source
line, so each can be judged by hand: is it the line a person would edit?

    python tools/locations.py                       # every finding, grouped by repository
    python tools/locations.py --judged verdicts.tsv # counts exact / near / wrong; lists the unjudged

The verdict file (kept outside the repository) has one finding per line:
``key<TAB>e|n|w<TAB>note``, where key is the first column this script prints. A finding whose
line moves gets a new key, so it must be judged again. Judged as:

- e (exact): the line to edit: the line that sets the value (values file, ``images:`` entry,
  patch, base); for something missing, the line of what it must be added to (a container's
  ``- name:``, a pod ``spec:``, a kustomization for kustomization-wide settings);
- n (near): the right file and block, but not that line (the template line when a values file
  sets the value, the list key instead of the item);
- w (wrong): another object, file or block.

Runs the k8slint of this interpreter on ../shared/corpus (each repository as a whole, plus the
charts that discovery does not list); nothing is written.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
RUNS = [  # (repository folder, extra arguments)
    ("stefanprodan__podinfo", []),
    ("stefanprodan__podinfo", ["charts/podinfo", "--env", "production"]),
    ("stefanprodan__podinfo-deploy", []),
    ("GoogleCloudPlatform__microservices-demo", []),
    ("bitnami__charts", []),
    ("argoproj__argocd-example-apps", []),
]


def run(repo: str, args: list[str]) -> dict:
    proc = subprocess.run([sys.executable, "-m", "k8slint", "check", *args, "--format", "json"],
                          cwd=CORPUS / repo, capture_output=True, text=True, timeout=600)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{repo} {' '.join(args)}: exit {proc.returncode}: {proc.stderr[-500:]}")
    return json.loads(proc.stdout)


def source_line(repo: str, file: str, line: int) -> str:
    try:
        return (CORPUS / repo / file).read_text(encoding="utf-8", errors="replace").splitlines()[line - 1].strip()
    except (OSError, IndexError):
        return "<not a file line>"


def key_of(repo: str, finding: dict) -> str:
    obj = finding.get("object") or {}
    name = obj.get("name") or ""
    if obj.get("kind") == "Pod":
        name = re.sub(r"-[a-z0-9]{5}$", "", name)  # Helm test pods get random names
    quoted = re.search(r"'([^']*)'", finding["message"])
    loc = finding["location"]
    return "|".join([repo, finding["rule"], f"{obj.get('kind') or '-'}/{name}", quoted.group(1) if quoted else "",
                     f"{loc['file']}:{loc['line']}"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--judged", type=Path, help="verdict file (key<TAB>e|n|w<TAB>note)")
    options = parser.parse_args()
    if not CORPUS.is_dir():
        raise SystemExit(f"{CORPUS} not found")
    verdicts: dict[str, str] = {}
    if options.judged and options.judged.is_file():
        for row in options.judged.read_text().splitlines():
            parts = row.split("\t")
            if len(parts) >= 2 and parts[1] in ("e", "n", "w"):
                verdicts[parts[0]] = parts[1]
    counts: Counter = Counter()
    for repo, args in RUNS:
        for finding in run(repo, args)["findings"]:
            key = key_of(repo, finding)
            loc = finding["location"]
            related = ", ".join(f"{r['file']}:{r['line']}" for r in finding.get("related", []))
            verdict = verdicts.get(key)
            counts[verdict or "?"] += 1
            if verdict is None or not options.judged:
                text = source_line(repo, loc["file"], loc["line"])[:80]
                print(f"{key}\t{text}" + (f"\tvia {related}" if related else ""))
    if options.judged:
        total = sum(counts.values())
        judged = total - counts["?"]
        share = f"{100 * counts['e'] / judged:.1f}% exact" if judged else "-"
        print(f"\n{total} findings: {counts['e']} exact, {counts['n']} near, {counts['w']} wrong, "
              f"{counts['?']} not judged ({share} of the judged)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
