#!/usr/bin/env python3
"""What kustomize's ``buildMetadata`` annotations cost (issue 16): every kustomize target of the
shared corpus (and the demo repository) built through the wrapper kustomization k8slint uses,
with both annotations (what k8slint asks for today), each alone, and none, interleaved per
target so all variants see the same load. Each build is a fresh kustomize process (wall time);
the total per variant is the sum over targets of each target's median. Not a test.

    python bench/kustomize_metadata.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from k8slint.plan.targets import discover  # noqa: E402
from k8slint.render.kustomize import kustomize_command  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
VARIANTS = {
    "both (today)": "buildMetadata: [originAnnotations, transformerAnnotations]\n",
    "originAnnotations only": "buildMetadata: [originAnnotations]\n",
    "transformerAnnotations only": "buildMetadata: [transformerAnnotations]\n",
    "none": "",
}


def targets() -> list[Path]:
    roots = [ROOT / "fixtures" / "deploy-repo"] + sorted(p for p in CORPUS.iterdir() if p.is_dir())
    found = []
    for root in roots:
        for kind, path, _values, _files in discover(root):
            if kind == "kustomize":
                found.append(path)
    return found


def build(command: list[str], wrapper: Path) -> float | None:
    start = time.perf_counter()
    ran = subprocess.run([*command, str(wrapper)], capture_output=True)
    return time.perf_counter() - start if ran.returncode == 0 else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    command = kustomize_command()
    print(f"kustomize: {' '.join(command)}; load average {' / '.join(f'{x:.1f}' for x in os.getloadavg())}")
    totals = {name: 0.0 for name in VARIANTS}
    worst = {name: 0.0 for name in VARIANTS}
    counted = 0
    with tempfile.TemporaryDirectory(prefix="k8slint-kmeta-") as tmp:
        for number, path in enumerate(targets()):
            wrappers = {}
            for i, (name, meta) in enumerate(VARIANTS.items()):
                wrapper = Path(os.path.realpath(tmp)) / f"w{number}-{i}"
                wrapper.mkdir()
                rel = os.path.relpath(os.path.realpath(path), wrapper)
                (wrapper / "kustomization.yaml").write_text(
                    f"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- {json.dumps(rel)}\n{meta}")
                wrappers[name] = wrapper
            times: dict[str, list[float]] = {name: [] for name in VARIANTS}
            ok = True
            for attempt in range(args.runs + 1):
                for name, wrapper in wrappers.items():
                    elapsed = build(command, wrapper)
                    if elapsed is None:
                        ok = False
                        break
                    if attempt:
                        times[name].append(elapsed)
                if not ok:
                    break
            if not ok:
                continue  # a target that does not build (remote bases, errors on purpose) is not timed
            counted += 1
            medians = {name: statistics.median(values) for name, values in times.items()}
            for name, value in medians.items():
                totals[name] += value
                worst[name] = max(worst[name], value / medians["none"])
            shown = ", ".join(f"{value / medians['none']:.2f}x" for value in medians.values())
            print(f"{path.relative_to(path.parents[2]) if len(path.parents) > 2 else path}: none {medians['none']:.3f} s; "
                  f"{' / '.join(VARIANTS)} vs none: {shown}")
    print(f"\n{counted} targets built; sum of medians per variant (ratio to none; worst single target):")
    for name in VARIANTS:
        print(f"  {name}: {totals[name]:.2f} s ({totals[name] / totals['none']:.2f}x; worst {worst[name]:.2f}x)")
    print(f"load average at the end {' / '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
