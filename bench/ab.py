#!/usr/bin/env python3
"""Interleaved A/B of one k8slint command between two source trees (e.g. main and a branch).

Each round runs A then B, each a fresh interpreter with that tree first on ``sys.path``; it
reports the median, min and max of the child's CPU time (user + system, which a loaded
shared machine disturbs far less than wall time), its wall time and peak RSS, and the load
average before and after. Not a test: nothing here fails a build.

    git archive main | tar -x -C /tmp/before
    python bench/ab.py --a /tmp/before --b . --cwd fixtures/deploy-repo -- check infra/k8s/base/deployments/api.yaml
    python bench/ab.py --a /tmp/before --b . -- --version

``--env K=V`` sets a variable for both sides (e.g. ``XDG_CACHE_HOME`` of a warm cache).
``--floor FILE`` also runs bench/run.py's streaming floor of FILE in each round (after A and B),
so both sides are stated as a ratio to it, measured under the same load.

    python bench/ab.py --a /tmp/before --b . --floor bench/out/objects-5000/objects-5000.yaml -- \
        check bench/out/objects-5000/objects-5000.yaml --repo-root bench/out/objects-5000 --format json
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

# What the console script does, without its own imports: the tree's own entry (k8slint.entry,
# or k8slint.cli in trees from before it). The tree comes first on sys.path, and an editable
# install's import hook (which would win over it) is set aside.
ENTRY = ("import os, sys; sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in repr(f)]; "
         "tree = os.environ['K8SLINT_AB_TREE']; sys.path.insert(0, tree); sys.argv[0] = 'k8slint'; "
         "entry = 'entry' if os.path.exists(os.path.join(tree, 'k8slint', 'entry.py')) else 'cli'; "
         "__import__('k8slint.' + entry, fromlist=['run']).run()")

LAUNCHER = (
    "import os, subprocess, sys, time\n"
    "start = time.perf_counter()\n"
    "proc = subprocess.Popen(sys.argv[2:], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
    "_, status, usage = os.wait4(proc.pid, 0)\n"
    "elapsed = time.perf_counter() - start\n"
    "with open(sys.argv[1], 'w') as out:\n"
    "    out.write(f'{elapsed} {usage.ru_utime + usage.ru_stime} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}')\n"
)


def run_once(tree: Path, args: list[str], cwd: Path, env: dict) -> tuple[float, float, float, int]:
    child_env = dict(env, K8SLINT_AB_TREE=str(tree))
    child_env.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.NamedTemporaryFile("r", suffix=".txt") as report:
        subprocess.run([sys.executable, "-c", LAUNCHER, report.name, sys.executable, "-c", ENTRY, *args],
                       cwd=cwd, env=child_env, check=True)
        wall, cpu, rss, code = report.read().split()
    return float(wall), float(cpu), int(rss) / 1024, int(code)


def floor_once(path: Path, cwd: Path, env: dict) -> tuple[float, float]:
    """The streaming floor of ``path`` (bench/run.py's FLOOR_SCRIPT): (its own timing, CPU of the process)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from run import FLOOR_SCRIPT

    with tempfile.NamedTemporaryFile("r", suffix=".txt") as report, tempfile.TemporaryFile() as out:
        subprocess.run([sys.executable, "-c", LAUNCHER.replace("stdout=subprocess.DEVNULL", "stdout=sys.stdout"), report.name,
                        sys.executable, "-c", FLOOR_SCRIPT, str(path)], cwd=cwd, env=env, check=True, stdout=out)
        _, cpu, _, _ = report.read().split()
        out.seek(0)
        elapsed = float(out.read().split()[0])
    return elapsed, float(cpu)


def show(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} s ({min(values):.3f}-{max(values):.3f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--a", required=True, type=Path, help="source tree A (holds the k8slint package)")
    parser.add_argument("--b", required=True, type=Path, help="source tree B")
    parser.add_argument("--cwd", type=Path, default=Path.cwd())
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--env", action="append", default=[], metavar="K=V")
    parser.add_argument("--floor", type=Path, metavar="FILE", help="also time the streaming floor of FILE each round")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="k8slint arguments (after --)")
    opts = parser.parse_args()
    args = opts.args[1:] if opts.args[:1] == ["--"] else opts.args
    env = dict(os.environ, **dict(item.split("=", 1) for item in opts.env))
    trees = {"A": opts.a.resolve(), "B": opts.b.resolve()}
    got: dict[str, dict[str, list[float]]] = {name: {"wall": [], "cpu": [], "rss": []} for name in trees}
    codes: dict[str, set[int]] = {name: set() for name in trees}
    floor: dict[str, list[float]] = {"wall": [], "cpu": []}
    load_before = os.getloadavg()
    for attempt in range(opts.runs + 1):  # the first round writes bytecode caches: not counted
        for name, tree in trees.items():
            wall, cpu, rss, code = run_once(tree, args, opts.cwd, env)
            codes[name].add(code)
            if attempt:
                got[name]["wall"].append(wall)
                got[name]["cpu"].append(cpu)
                got[name]["rss"].append(rss)
        if opts.floor is not None:
            wall, cpu = floor_once(opts.floor.resolve(), opts.cwd, env)
            if attempt:
                floor["wall"].append(wall)
                floor["cpu"].append(cpu)
    load_after = os.getloadavg()
    print(f"k8slint {' '.join(args)}  ({opts.runs} interleaved rounds; load average "
          f"{load_before[0]:.1f} -> {load_after[0]:.1f})")
    for name, tree in trees.items():
        stat = got[name]
        print(f"  {name} {tree}: CPU {show(stat['cpu'])}, wall {show(stat['wall'])}, "
              f"peak {max(stat['rss']):.0f} MiB, exit {sorted(codes[name])}")
    ratio = statistics.median(got["B"]["cpu"]) / statistics.median(got["A"]["cpu"])
    print(f"  B/A CPU median: {ratio:.2f}x")
    if opts.floor is not None:
        # the floor's own timing (interpreter start-up excluded) against a whole k8slint process,
        # as bench/run.py states it; the CPU ratio compares whole processes
        print(f"  floor: {show(floor['wall'])} (its own timing), CPU of its process {show(floor['cpu'])}")
        for name in trees:
            print(f"  {name}/floor: wall {statistics.median(got[name]['wall']) / statistics.median(floor['wall']):.2f}x, "
                  f"CPU {statistics.median(got[name]['cpu']) / statistics.median(floor['cpu']):.2f}x (whole processes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
