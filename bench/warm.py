#!/usr/bin/env python3
"""The warm pre-commit path: a generated repository of one real kustomize base and 50 overlays,
checked with the render cache (k8slint.render.cache) and without it (--no-cache), interleaved.

Scenarios (each a fresh ``k8slint`` process; the cache folder is this benchmark's own):

- cold: the whole repository with an empty render cache (every overlay rendered and stored);
- warm: the whole repository again, nothing changed (every answer from the cache);
- changed-base: a base file edited (new bytes each round), then ``--changed`` on it: every
  overlay reads the base, so every one is rendered again;
- changed-overlay: one overlay's kustomization edited, then ``--changed`` on it;
- precommit-base: ``--changed`` on the base file again, nothing edited since (a hook run twice);
- hook-base / hook-again: what the pre-commit hook runs (``--changed --diff-base HEAD``) on an
  edited base file, then again with nothing edited (the base revision is rendered too).

Each is timed with the cache and with --no-cache in the same round (median, min, max of wall and
CPU time; CPU = user + system of k8slint and the renderers it waited for). Not a test: nothing
here fails a build.

    python bench/warm.py                # 5 rounds
    python bench/warm.py --rounds 9 --overlays 50
    git archive HEAD | tar -x -C /tmp/tree && python bench/warm.py --tree /tmp/tree   # a snapshot
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "fixtures" / "deploy-repo" / "infra"
BASE_FILE = "k8s/base/deployments/api.yaml"
CHILD_ENV = {k: v for k, v in os.environ.items()
             if k not in ("PYTHONDONTWRITEBYTECODE", "GITHUB_ACTIONS", "K8SLINT_NO_CACHE", "XDG_CACHE_HOME")}

LAUNCHER = (
    "import os, subprocess, sys, time\n"
    "start = time.perf_counter()\n"
    "proc = subprocess.Popen(sys.argv[2:], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
    "err = proc.stderr.read()\n"
    "_, status, usage = os.wait4(proc.pid, 0)\n"
    "elapsed = time.perf_counter() - start\n"
    "with open(sys.argv[1], 'w') as out:\n"
    "    out.write(f'{elapsed} {usage.ru_utime + usage.ru_stime} {os.waitstatus_to_exitcode(status)}')\n"
    "sys.stderr.write(err.decode(errors='replace')[-2000:])\n"
)


def build_repo(where: Path, overlays: int) -> Path:
    """The demo repository's base (12 objects and its monitoring component) and ``overlays``
    overlays of it, each with its own namespace and the demo overlay's patches."""
    repo = where / "repo"
    if repo.exists():
        shutil.rmtree(repo)
    (repo / "k8s").mkdir(parents=True)
    shutil.copytree(DEMO / "k8s" / "base", repo / "k8s" / "base")
    shutil.copytree(DEMO / "_shared" / "monitoring", repo / "_shared" / "monitoring")
    overlay = DEMO / "k8s" / "overlays" / "production"
    text = (overlay / "kustomization.yaml").read_text()
    for i in range(overlays):
        target = repo / "k8s" / "overlays" / f"team-{i:02d}"
        shutil.copytree(overlay / "patches", target / "patches")
        (target / "kustomization.yaml").write_text(text.replace("namespace: prj-01", f"namespace: team-{i:02d}"))
    (repo / ".k8slint.yaml").write_text("fail-on: error\n")
    env = dict(os.environ, GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@example.com", GIT_COMMITTER_NAME="b",
               GIT_COMMITTER_EMAIL="b@example.com", GIT_CONFIG_NOSYSTEM="1")
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "bench"]):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)
    return repo


TREE: str | None = None  # --tree: a source tree run instead of the installed k8slint


def k8slint_cmd() -> list[str]:
    if TREE is not None:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from ab import ENTRY  # the console script's entry, with the tree first on sys.path

        return [sys.executable, "-c", ENTRY]
    exe = Path(sys.executable).parent / "k8slint"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "k8slint"]


def run_once(args: list[str], repo: Path, cache: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one check; an exit code other than 0/1 stops the benchmark."""
    with tempfile.NamedTemporaryFile("r", suffix=".txt") as report:
        env = dict(CHILD_ENV, XDG_CACHE_HOME=str(cache), **({"K8SLINT_AB_TREE": TREE} if TREE else {}))
        done = subprocess.run([sys.executable, "-c", LAUNCHER, report.name, *k8slint_cmd(), "check", "-o", "json", *args],
                              cwd=repo, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True)
        elapsed, cpu, code = report.read().split()
    if int(code) not in (0, 1):
        raise SystemExit(f"check {' '.join(args)} exited {code}: {done.stderr[-500:]}")
    return float(elapsed), float(cpu)


def show(values: list[tuple[float, float]]) -> str:
    wall, cpu = [v[0] for v in values], [v[1] for v in values]
    return (f"wall {statistics.median(wall):.3f} s ({min(wall):.3f}-{max(wall):.3f}), "
            f"CPU {statistics.median(cpu):.3f} s ({min(cpu):.3f}-{max(cpu):.3f}), n={len(values)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--overlays", type=int, default=50)
    parser.add_argument("--no-uncached", action="store_true", help="skip the --no-cache runs (they take ~20 s each)")
    parser.add_argument("--tree", help="a k8slint source tree to run (default: the installed k8slint)")
    args = parser.parse_args()
    global TREE
    TREE = str(Path(args.tree).resolve()) if args.tree else None
    work = Path(tempfile.mkdtemp(prefix="k8slint-warm-"))
    try:
        repo = build_repo(work, args.overlays)
        cache = work / "cache"
        base = repo / BASE_FILE
        original = base.read_text()
        overlay = repo / "k8s" / "overlays" / f"team-{min(7, args.overlays - 1):02d}" / "kustomization.yaml"
        overlay_text = overlay.read_text()
        results: dict[str, list] = {}

        def timed(name: str, check_args: list[str], before=None) -> None:
            # --no-cache first: the cached run leaves the cache holding the files as they are now
            variants = ([] if args.no_uncached else [("no-cache", ["--no-cache"])]) + [("cache", [])]
            for variant, extra in variants:
                if before is not None:
                    before()
                results.setdefault(f"{name} ({variant})", []).append(run_once([*extra, *check_args], repo, cache))

        print(f"{args.overlays} overlays; load average before: {os.getloadavg()}", flush=True)
        run_once([], repo, cache)  # bytecode caches, catalogue, and the renders of the tree
        run_once(["--changed", "--diff-base", "HEAD", BASE_FILE], repo, cache)  # and of HEAD
        cold = work / "cold"
        for round_ in range(args.rounds):
            shutil.rmtree(cold / "k8slint" / "render", ignore_errors=True)
            results.setdefault("cold (cache)", []).append(run_once([], repo, cold))
            timed("warm", [])
            counter = iter(range(1_000_000))
            edit = lambda: base.write_text(original + f"# edit {round_}-{next(counter)}\n")  # noqa: E731 - new bytes each time
            timed("changed-base", ["--changed", BASE_FILE], before=edit)
            timed("precommit-base", ["--changed", BASE_FILE])
            overlay_edit = lambda: overlay.write_text(overlay_text + f"# edit {round_}-{next(counter)}\n")  # noqa: E731
            timed("changed-overlay", ["--changed", str(overlay.relative_to(repo))], before=overlay_edit)
            timed("hook-base", ["--changed", "--diff-base", "HEAD", BASE_FILE], before=edit)
            timed("hook-again", ["--changed", "--diff-base", "HEAD", BASE_FILE])
            print(f"round {round_ + 1}/{args.rounds} done; load average {os.getloadavg()}", flush=True)
        for name, values in results.items():
            print(f"{name:32} {show(values)}")
        print(f"load average after: {os.getloadavg()}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
