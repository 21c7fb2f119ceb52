#!/usr/bin/env python3
"""Build the bitnami-like stand-in for a whole Helm repository (issue 16: bitnami/charts, 116 charts).

The corpus copy of bitnami/charts holds two application charts (nginx, postgresql) and their
``common`` library chart; the stand-in is ``--copies`` copies of each application chart
(``bitnami/<chart>-<n>``, the same files) beside one ``common``, committed to a new git
repository, so that ``k8slint check <out>`` renders 2 x copies charts, each finding its library
as a sibling chart, as in the upstream repository. Not a test: nothing here fails a build.

    python bench/charts.py --out /tmp/b116            # 58 copies of each: 116 charts
    k8slint check /tmp/b116 --no-cache -o json
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "bitnami__charts" / "bitnami"


def build(out: Path, copies: int, corpus: Path = CORPUS) -> int:
    """Write the stand-in to ``out`` (which must not exist); return the number of charts."""
    if out.exists():
        raise SystemExit(f"{out} exists: give a new folder")
    charts = sorted(p.name for p in corpus.iterdir() if p.is_dir() and p.name != "common" and (p / "Chart.yaml").is_file())
    top = out / "bitnami"
    top.mkdir(parents=True)
    shutil.copytree(corpus / "common", top / "common")
    for name in charts:
        for n in range(1, copies + 1):
            shutil.copytree(corpus / name, top / f"{name}-{n}")
    git = ["git", "-C", str(out), "-c", "user.name=bench", "-c", "user.email=bench@localhost", "-c", "commit.gpgsign=false"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "stand-in"], check=True)
    return len(charts) * copies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, type=Path, help="a new folder")
    parser.add_argument("--copies", type=int, default=58, help="copies of each application chart (default 58: 116 charts)")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="the corpus bitnami folder")
    opts = parser.parse_args()
    if not opts.corpus.is_dir():
        print(f"{opts.corpus}: no corpus copy of bitnami/charts here", file=sys.stderr)
        return 2
    count = build(opts.out, opts.copies, opts.corpus)
    print(f"{opts.out}: {count} charts and their library")
    return 0


if __name__ == "__main__":
    sys.exit(main())
