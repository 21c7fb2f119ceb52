#!/usr/bin/env python3
"""Whole repositories: ``k8slint check <repo>`` against rendering the same targets alone, per
repository of ``../shared/corpus`` (or the folders given), and where the time of a check goes.

For each repository and round, each fresh processes:

- **check**: ``k8slint check <repo> --format json`` (what a user runs: plan, render, load,
  check, suppress, report);
- **render**: the same plan and the same parallel render stage (``make_plan`` and the render
  stage of ``k8slint.api``, which reads each renderer's output into objects), nothing after it.

Both run with a cache folder of their own that holds what a user's holds after a first run (the
compiled rule catalogue, the Kubernetes schema index and closures) but never renders: the render
cache's entries are removed before every run. ``--no-user-cache`` runs them with no cache at all
(``K8SLINT_NO_CACHE=1``), as a first run on a new machine.

Rounds are interleaved (check, render, check, render ...; with ``--a``/``--b`` the two source
trees alternate too, A's pair then B's), so all see the same load. Each time is the child's
wall time and its CPU time (user + system, its renderer children included: a loaded shared
machine disturbs CPU far less than wall time); medians with min and max; the load average is
printed before and after. ``--stages`` instead runs one check per repository in this process
with timers around the stages (plan, render, load, locate, check, suppress and report).
Not a test: nothing here fails a build.

    python bench/repos.py                                  # this tree, every corpus repository
    python bench/repos.py --a /tmp/before --b . --runs 5   # A/B between two source trees
    python bench/repos.py --stages
    python bench/repos.py /path/to/repo --runs 3
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"

# The tree comes first on sys.path, and an editable install's import hook (which would win over
# it) is set aside: the same entry for both sides of an A/B.
_PRELUDE = ("import os, sys; sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in repr(f)]; "
            "sys.path.insert(0, os.environ['K8SLINT_AB_TREE']); sys.argv[0] = 'k8slint'; ")
CHECK = _PRELUDE + "from k8slint.cli import run; run()"
# The render stage alone, as `k8slint check` runs it (collector paused, the run's deadline set).
RENDER = _PRELUDE + (
    "import gc, time; gc.disable()\n"
    "from k8slint import api\nfrom k8slint.plan import Options, make_plan\n"
    "plan = make_plan(Options(paths=[sys.argv[1]]))\n"
    "plan.settings.cache['deadline-at'] = time.monotonic() + plan.settings.deadline\n"
    "renders = api._render_all(plan)\n"
    "print(len(renders), sum(len(r.objects) for r in renders))\n"
    "sys.stdout.flush(); os._exit(0)\n"
)

from ab import LAUNCHER  # noqa: E402 - the same timing launcher as the A/B runs (bench/ is on sys.path when run)

# The children get the environment a user has: bytecode caches written and read, no CI switches;
# and a cache folder of their own (XDG_CACHE_HOME) holding what a user's holds after a first run
# (the compiled rule catalogue, the schema definitions' index and closures) but never renders:
# its render entries are removed before each run, so a check's renders are renders, never the
# render cache's answers from the warm-up round (bench/warm.py measures the render cache). With
# --no-user-cache, no cache at all (K8SLINT_NO_CACHE): a first run on a new machine.
CHILD_ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "GITHUB_ACTIONS")}
CACHE_HOME = Path(tempfile.mkdtemp(prefix="k8slint-bench-cache-"))
atexit.register(shutil.rmtree, CACHE_HOME, ignore_errors=True)
CHILD_ENV["XDG_CACHE_HOME"] = str(CACHE_HOME)


def no_user_cache() -> None:
    CHILD_ENV["K8SLINT_NO_CACHE"] = "1"


def drop_renders() -> None:
    """The render cache's entries removed (the rest of the cache folder kept)."""
    shutil.rmtree(CACHE_HOME / "k8slint" / "render", ignore_errors=True)


def run_once(tree: Path, code: str, args: list[str], cwd: Path) -> tuple[float, float, float, int]:
    """(wall s, CPU s of the child and its waited-for children, peak MiB, exit code)."""
    env = dict(CHILD_ENV, K8SLINT_AB_TREE=str(tree))
    drop_renders()
    with tempfile.NamedTemporaryFile("r", suffix=".txt") as report:
        subprocess.run([sys.executable, "-c", LAUNCHER, report.name, sys.executable, "-c", code, *args],
                       cwd=cwd, env=env, check=True)
        wall, cpu, rss, status = report.read().split()
    return float(wall), float(cpu), int(rss) / 1024, int(status)


def show(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def compare(repos: list[Path], trees: dict[str, Path], runs: int) -> None:
    load = os.getloadavg()
    print(f"{runs} interleaved rounds per repository; load average {load[0]:.1f}; times in s: median (min-max)")
    for repo in repos:
        got = {(name, what): {"wall": [], "cpu": [], "codes": set()} for name in trees for what in ("check", "render")}
        for attempt in range(runs + 1):  # the first round writes bytecode caches: not counted
            for name, tree in trees.items():
                for what, code, args in (("check", CHECK, ["check", str(repo), "--format", "json"]),
                                         ("render", RENDER, [str(repo)])):
                    wall, cpu, _, status = run_once(tree, code, args, repo.parent)
                    slot = got[(name, what)]
                    slot["codes"].add(status)
                    if attempt:
                        slot["wall"].append(wall)
                        slot["cpu"].append(cpu)
        print(f"{repo.name}  (load {os.getloadavg()[0]:.1f})")
        for name in trees:
            check, render = got[(name, "check")], got[(name, "render")]
            bad = sorted(check["codes"] - {0, 1}) + sorted(render["codes"] - {0})
            ratio_wall = statistics.median(check["wall"]) / statistics.median(render["wall"])
            ratio_cpu = statistics.median(check["cpu"]) / statistics.median(render["cpu"])
            print(f"  {name}: check wall {show(check['wall'])} CPU {show(check['cpu'])} | render wall "
                  f"{show(render['wall'])} CPU {show(render['cpu'])} | check/render wall {ratio_wall:.2f}x "
                  f"CPU {ratio_cpu:.2f}x{'  EXIT ' + str(bad) if bad else ''}")
        if len(trees) == 2:
            (a, b) = trees
            for what in ("check", "render"):
                wa, wb = (statistics.median(got[(n, what)]["wall"]) for n in (a, b))
                ca, cb = (statistics.median(got[(n, what)]["cpu"]) for n in (a, b))
                print(f"  {what} {b}/{a}: wall {wb / wa:.2f}x, CPU {cb / ca:.2f}x")
    load = os.getloadavg()
    print(f"load average at the end {load[0]:.1f}")


STAGES = r'''
import gc, os, sys, threading, time
from collections import defaultdict
gc.disable()
acc, lock, local = defaultdict(float), threading.Lock(), threading.local()

def timed(owner, name, key):
    fn = getattr(owner, name)
    def wrap(*a, **k):
        depth = getattr(local, key, 0)
        setattr(local, key, depth + 1)
        cpu, wall = time.thread_time(), time.perf_counter()
        try:
            return fn(*a, **k)
        finally:
            setattr(local, key, depth)
            if depth == 0:
                with lock:
                    acc[key] += time.thread_time() - cpu
                    acc[key + " wall"] += time.perf_counter() - wall
    setattr(owner, name, wrap)

start = time.perf_counter()
from k8slint import api, cli, report, suppress
import k8slint.locate as locate
import k8slint.render.stream as stream
import k8slint.check as check
from k8slint.plan import Options
for mod in [m for n, m in list(sys.modules.items()) if n.startswith("k8slint.render") and hasattr(m, "parse_stream")]:
    timed(mod, "parse_stream", "load")
timed(locate.Locator, "place", "locate"); timed(locate.Locator, "locate", "locate")
timed(check.Checker, "check_render", "rules"); timed(check.Checker, "check_repo", "repo rules")
timed(api, "make_plan", "plan"); timed(api, "_render_all", "render"); timed(api, "_check", "check")
for name in ("finalize", "merge", "baseline", "apply_config_ignores"):
    timed(suppress, name, "suppress")
imported = time.perf_counter() - start
ran = time.perf_counter()
result, built = api.run(Options(paths=[sys.argv[1]]))
ran = time.perf_counter() - ran
written = time.perf_counter()
report.write(result, [("json", os.devnull)])
written = time.perf_counter() - written
times = os.times()
objects = sum(t.objects for t in result.targets)
print(f"{os.path.basename(sys.argv[1])}: {len(result.targets)} targets, {objects} objects, {len(result.findings)} findings")
print(f"  wall: imports {imported:.2f}, run {ran:.2f} = plan {acc['plan wall']:.2f} + render {acc['render wall']:.2f} "
      f"+ check {acc['check wall']:.2f} (rules {acc['rules wall']:.2f} of which locate {acc['locate wall']:.2f}; "
      f"repo rules {acc['repo rules wall']:.2f}; suppress {acc['suppress wall']:.2f}); report {written:.2f}")
print(f"  CPU: k8slint process {times.user + times.system:.2f} (loading renders into objects {acc['load']:.2f}, in the render threads), "
      f"renderer children {times.children_user + times.children_system:.2f}")
'''


def stages(repos: list[Path], tree: Path) -> None:
    print(f"load average {os.getloadavg()[0]:.1f}")
    for repo in repos:
        env = dict(CHILD_ENV, K8SLINT_AB_TREE=str(tree))
        for _ in range(2):  # the first run fills the cache folder (and bytecode caches): the second is shown
            drop_renders()
            out = subprocess.run([sys.executable, "-c", _PRELUDE.replace("sys.argv[0] = 'k8slint'; ", "") + STAGES,
                                  str(repo)], cwd=repo.parent, env=env, capture_output=True, text=True)
        print(out.stdout.rstrip() or out.stderr[-2000:])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("repos", nargs="*", type=Path, help="repositories (default: every folder of the corpus)")
    parser.add_argument("--a", type=Path, help="source tree A (holds the k8slint package); default: this tree")
    parser.add_argument("--b", type=Path, help="source tree B, compared with A")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--stages", action="store_true", help="where the time of one check goes, per repository")
    parser.add_argument("--no-user-cache", action="store_true",
                        help="no cache folder at all (K8SLINT_NO_CACHE=1: a first run on a new machine); by default "
                             "the children share one that holds all but renders, as a user's does after a first run")
    opts = parser.parse_args()
    if opts.no_user_cache:
        no_user_cache()
    if not opts.repos and not CORPUS.is_dir():
        parser.error(f"no repositories given and no corpus at {CORPUS}: name the repositories to measure")
    repos = [p.resolve() for p in opts.repos] or sorted(p for p in CORPUS.iterdir() if p.is_dir())
    trees = {"A": (opts.a or ROOT).resolve()}
    if opts.b:
        trees["B"] = opts.b.resolve()
    if opts.stages:
        for name, tree in trees.items():
            print(f"-- {name} {tree}")
            stages(repos, tree)
        return 0
    compare(repos, trees, opts.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
