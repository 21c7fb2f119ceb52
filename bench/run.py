#!/usr/bin/env python3
"""k8slint benchmark: start-up, one small file, full checks at 1k/5k/50k objects against the
YAML parse floor, peak memory, a whole repo (render included) against rendering alone, and
Checkov on the same inputs when it is installed.

Inputs are grown from real renders of ../shared/corpus (object names made unique per copy).
Every measurement runs the installed ``k8slint`` in a fresh subprocess several times (after a
warm-up run that also writes the bytecode caches) and reports median, min and max; peak memory
is the child's max RSS. The streaming floor (``yaml.load_all`` with PyYAML's C loader, the
collector off, every document counted and dropped) runs in a fresh subprocess too, interleaved
with the checks of the same file, so both see the same load on a shared machine. Not a test:
nothing here fails a build.

    python bench/run.py                 # quick: 1k and 5k objects, 5 runs each
    python bench/run.py --full --write  # adds 50,000 objects and Checkov; writes BENCHMARKS.md
    python bench/run.py --checkov /path/to/checkov   # Checkov from a throwaway venv
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
OUT = ROOT / "bench" / "out"
SMALL = ROOT / "fixtures" / "deploy-repo" / "infra" / "k8s" / "base" / "deployments" / "api.yaml"
SEEDS = [  # real renders the inputs are grown from
    "stefanprodan__podinfo/deploy/overlays/production",
    "stefanprodan__podinfo/charts/podinfo",
    "GoogleCloudPlatform__microservices-demo/kubernetes-manifests",
    "GoogleCloudPlatform__microservices-demo/helm-chart",
    "bitnami__charts/bitnami/postgresql",
    "argoproj__argocd-example-apps/sock-shop",
    "fluxcd__flux2-kustomize-helm-example/apps/production",
]
OVERLAYS = 8  # the repo benchmark: this many kustomize overlays plus the demo chart x 2 environments
MiB = 1024 * 1024

# The children get the environment a user has: bytecode caches written and read (a sandbox may
# set PYTHONDONTWRITEBYTECODE, which would make every run recompile k8slint), no CI switches.
CHILD_ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "GITHUB_ACTIONS")}

# The streaming floor: what reading the file with PyYAML's C loader costs at the least. Timed
# inside a fresh interpreter (after `import yaml`), with the cyclic collector off as `k8slint
# check` runs, every document counted and dropped (none kept, so no heap to grow or walk).
# Keeping every document with the collector on (`list(yaml.load_all(...))`) costs up to a third
# more at 50,000 objects and flattered the ratio.
FLOOR_SCRIPT = (
    "import gc, sys, time, yaml\n"
    "gc.disable()\n"
    "start = time.perf_counter()\n"
    "with open(sys.argv[1], encoding='utf-8') as handle:\n"
    "    text = handle.read()\n"
    "count = 0\n"
    "for _ in yaml.load_all(text, Loader=yaml.CSafeLoader):\n"
    "    count += 1\n"
    "print(time.perf_counter() - start, count)\n"
)

LOADER_SCRIPT = (  # k8slint's loader (line numbers kept), timed as the floor is (collector off, file read included)
    "import gc, sys, time\nfrom k8slint.load import load_text\n"
    "gc.disable()\nstart = time.perf_counter()\n"
    "with open(sys.argv[1], encoding='utf-8') as handle:\n"
    "    text = handle.read()\n"
    "docs, errors = load_text(text)\n"
    "print(time.perf_counter() - start, len(docs))\n"
)


@dataclass
class Stat:
    times: list[float] = field(default_factory=list)
    peaks: list[float] = field(default_factory=list)  # MiB

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def peak(self) -> float:
        return max(self.peaks) if self.peaks else 0.0

    def show(self) -> str:
        peak = f", peak {self.peak:.0f} MiB" if self.peaks else ""
        return f"{self.median:.3f} s (min {min(self.times):.3f}, max {max(self.times):.3f}, n={len(self.times)}{peak})"


def k8slint_cmd() -> list[str]:
    exe = Path(sys.executable).parent / "k8slint"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "k8slint"]


# Each command is started by this small launcher, not by the benchmark itself: on Linux a child's
# max RSS includes the memory of the process it was forked from, and the benchmark holds tens of
# thousands of objects while it builds the inputs. The launcher (a bare interpreter, ~10 MB)
# reports the child's wall time, peak RSS and exit code.
LAUNCHER = (
    "import os, subprocess, sys, time\n"
    "start = time.perf_counter()\n"
    "proc = subprocess.Popen(sys.argv[2:], stdin=subprocess.DEVNULL)\n"
    "_, status, usage = os.wait4(proc.pid, 0)\n"
    "elapsed = time.perf_counter() - start\n"
    "with open(sys.argv[1], 'w') as out:\n"
    "    out.write(f'{elapsed} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}')\n"
)


def run_once(cmd: list[str], cwd: Path | None = None) -> tuple[float, float, str]:
    """Wall time, peak RSS (MiB) and stdout of one run; exit codes other than 0/1 stop the
    benchmark. Output goes to temporary files so the child never blocks on a pipe."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r", suffix=".txt") as report:
        subprocess.run([sys.executable, "-c", LAUNCHER, report.name, *map(str, cmd)], cwd=cwd,
                       stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=CHILD_ENV, check=True)
        elapsed, maxrss, code = report.read().split()
        out.seek(0)
        err.seek(0)
        text, problem = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if int(code) not in (0, 1):
        raise SystemExit(f"{' '.join(map(str, cmd))} exited {code}: {problem[:500]}")
    return float(elapsed), int(maxrss) / 1024, text  # KiB -> MiB


def measure(cmds: dict[str, list[str]], runs: int, cwd: Path | None = None) -> dict[str, Stat]:
    """Run each command ``runs`` times, interleaved (a, b, a, b...), after one warm-up each."""
    stats = {name: Stat() for name in cmds}
    for attempt in range(runs + 1):
        for name, cmd in cmds.items():
            elapsed, peak, _ = run_once(cmd, cwd)
            if attempt:
                stats[name].times.append(elapsed)
                stats[name].peaks.append(peak)
    return stats


def measure_with_floor(checks: dict[str, list[str]], path: Path, runs: int, loader: bool = False,
                       objects: int = 0) -> tuple[dict[str, Stat], Stat, Stat]:
    """Each check and the streaming floor of the same file, interleaved (check a, check b, floor,
    check a, ...), so all see the same load on a shared machine. With ``loader``, k8slint's own
    loader is timed the same way as the floor. The JSON check's report must count ``objects``
    checked, and the floor must have read as many documents: a refused input is no measurement."""
    got, floor, own = {name: Stat() for name in checks}, Stat(), Stat()
    for attempt in range(runs + 1):
        for name, check in checks.items():
            elapsed, peak, report = run_once(check)
            if name == "json" and checked_objects(report) != objects:
                raise SystemExit(f"{path.name}: the check read {checked_objects(report)} objects, not {objects}")
            if attempt:
                got[name].times.append(elapsed)
                got[name].peaks.append(peak)
        _, _, out = run_once([sys.executable, "-c", FLOOR_SCRIPT, str(path)])
        _, _, mine = run_once([sys.executable, "-c", LOADER_SCRIPT, str(path)]) if loader else (0, 0, "0")
        if int(out.split()[1]) != objects:
            raise SystemExit(f"{path.name}: the floor read {out.split()[1]} documents, not {objects}")
        if attempt:
            floor.times.append(float(out.split()[0]))
            own.times.append(float(mine.split()[0]))
    return got, floor, own


def render_seed_objects() -> list[dict]:
    """Render every seed target once with k8slint's own renderers and keep the objects."""
    sys.path.insert(0, str(ROOT))
    from k8slint.model import Target
    from k8slint.plan.config import Config
    from k8slint.plan.settings import Settings
    from k8slint.render import classify, render
    from k8slint.sources import relative

    objects: list[dict] = []
    settings = Settings(repo_root=CORPUS, config=Config())
    for seed in SEEDS:
        path = CORPUS / seed
        kind, path = classify(path)
        target = Target(kind, path, relative(path, CORPUS), "production", "bench", release_name=path.name)
        result = render(target, settings)
        if result.failed:
            raise SystemExit(f"seed {seed} did not render: {result.problems[0].message}")
        objects.extend(json.loads(json.dumps(o.data)) for o in result.objects)
    return objects


def grow(seed: list[dict], count: int) -> list[dict]:
    out: list[dict] = []
    copy_no = 0
    while len(out) < count:
        for obj in seed:
            if len(out) >= count:
                break
            clone = copy.deepcopy(obj)
            meta = clone.setdefault("metadata", {})
            meta["name"] = f"{meta.get('name', 'x')}-c{copy_no}"
            out.append(clone)
        copy_no += 1
    return out


def write_input(objects: list[dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        yaml.dump_all(objects, handle, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False)


def write_config(folder: Path) -> None:
    """The inputs' repository root (bench/out is git-ignored: absent on a fresh clone). A
    repository's config may only lower limits, so the 50,000-object input (~33 MB) gets its
    raised limits on the command line (``LIMITS``)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ".k8slint.yaml").write_text("# written by bench/run.py: the grown inputs' repository root\n", encoding="utf-8")


def input_path(size: int) -> Path:
    """Each grown input is the only file of its own repository root: the inputs hold Flux
    objects, so a check reads every manifest of its repository that names one (GitOps
    discovery), and the 5,000-object check must not also read the 1,000- and 50,000-object files."""
    return OUT / f"objects-{size}" / f"objects-{size}.yaml"


LIMITS = ["--max-file-size", str(256 * MiB), "--max-objects", "500000"]


def checked_objects(report: str) -> int:
    """How many objects a JSON report says were checked (a refused input checks none)."""
    return json.loads(report)["summary"]["objects"]


def build_repo(base: Path, overlays: int) -> Path:
    """A deploy repo with ``overlays`` kustomize overlays (copies of the demo's) and the demo chart."""
    repo = base / "repo"
    if repo.exists():
        shutil.rmtree(repo)
    shutil.copytree(ROOT / "fixtures" / "deploy-repo", repo)
    k8s = repo / "infra" / "k8s" / "overlays"
    for i in range(overlays - 2):
        name = "production" if i % 2 else "staging"
        shutil.copytree(k8s / name, k8s / f"{name}-{i}")
    return repo


RENDER_ONLY = (
    # The render stage alone, as `k8slint check` runs it (its plan, its threads, collector off),
    # without the render cache; exit 3 (never 0 or 1) if it breaks, so a broken script is never timed.
    "import gc, os, sys, time, traceback\ngc.disable()\n"
    "try:\n"
    "    from k8slint import api\n    from k8slint.plan import Options, make_plan\n"
    "    plan = make_plan(Options(paths=[sys.argv[1]]))\n"
    "    plan.settings.cache['deadline-at'] = time.monotonic() + plan.settings.deadline\n"
    "    renders = api._render_all(plan)\n"
    "    assert renders and not any(r.failed for r in renders), [r.problems for r in renders if r.failed]\n"
    "    print(len(renders), sum(len(r.objects) for r in renders))\n"
    "except BaseException:\n"
    "    traceback.print_exc()\n    sys.stdout.flush(); os._exit(3)\n"
    "sys.stdout.flush(); os._exit(0)\n"
)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kib = int(next(l for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")).split()[1])
        mem = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, StopIteration, ValueError):
        pass
    return (f"{os.cpu_count()} cores ({cpu}){mem}, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, PyYAML {yaml.__version__} (C loader: {hasattr(yaml, 'CSafeLoader')}), "
            f"{installed()}")


def installed() -> str:
    """How the measured k8slint was installed: an editable install (pip -e) adds its import hook
    to every start (~15-25 ms on this machine, ~50M instructions); a regular install, what users
    get and what the start-up targets are judged on, has none."""
    import sysconfig

    site = Path(sysconfig.get_paths()["purelib"])
    if any(site.glob("__editable__*k8slint*")) or any(site.glob("k8slint*.egg-link")):
        return "k8slint installed editable (pip -e: its import hook is part of every start-up; a regular install has none)"
    if any(site.glob("k8slint-*.dist-info")):
        return "k8slint installed as a regular package (not editable)"
    return "k8slint not installed (run from the source tree)"


def load_average() -> str:
    try:
        return " / ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


@dataclass
class Goal:
    """One of the issue's targets: what was measured against its bound."""

    name: str
    limit: str
    value: str
    measured: float
    bound: float
    unit: str = ""

    @property
    def met(self) -> bool:
        return self.measured <= self.bound

    @property
    def gap(self) -> str:
        over = self.measured - self.bound
        return "" if self.met else f"over by {over:.2f}{self.unit} ({over / self.bound:.0%})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help="also 50,000 objects, and Checkov on 5,000 objects")
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (50,000 objects: a third)")
    parser.add_argument("--write", action="store_true", help="write BENCHMARKS.md")
    parser.add_argument("--checkov", metavar="PATH", help="checkov executable (default: $CHECKOV, then PATH)")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        raise SystemExit(f"{CORPUS} not found: the benchmark grows its inputs from ../shared/corpus")

    cmd = k8slint_cmd()
    rows: list[tuple[str, str]] = []
    targets: list[Goal] = []
    started = load_average()
    print(f"machine: {machine()}; load average at start {started}")

    def row(name: str, value: str) -> None:
        rows.append((name, value))
        print(f"{name}: {value}")

    version = measure({"v": cmd + ["--version"]}, args.runs)["v"]
    row("start-up: `k8slint --version`", version.show())
    targets.append(Goal("start-up (`k8slint --version`)", "≤ 0.04 s", f"{version.median:.3f} s", version.median, 0.04, " s"))
    small = measure({"s": cmd + ["check", str(SMALL), "--env", "production", "--format", "json"]}, args.runs)["s"]
    row("one small file: `k8slint check infra/k8s/base/deployments/api.yaml` (demo repo, its config, repo rules)", small.show())
    targets.append(Goal("one small file checked (pre-commit)", "≤ 0.09 s", f"{small.median:.3f} s", small.median, 0.09, " s"))

    seed = render_seed_objects()
    sizes = [1000, 5000] + ([50000] if args.full else [])
    checks: dict[int, Stat] = {}
    for size in sizes:
        path = input_path(size)
        write_config(path.parent)
        write_input(grow(seed, size), path)  # the grown list is freed here, before anything is measured
        runs = args.runs if size <= 5000 else max(2, args.runs // 3)
        base = cmd + ["check", str(path), "--env", "production", "--repo-root", str(path.parent), *LIMITS]
        commands = {"json": base + ["--format", "json"]}
        if size == 5000:  # SARIF measured in the same interleaved rounds as JSON and the floor
            commands["sarif"] = base + ["--format", "sarif"]
        got, floor, loader = measure_with_floor(commands, path, runs, loader=size == 5000, objects=size)
        check = checks[size] = got["json"]
        ratio = check.median / floor.median
        row(f"{size:,} objects ({path.stat().st_size / MiB:.1f} MiB), all rules + schema, JSON output",
            f"{check.show()}; streaming floor {floor.show()}; ratio {ratio:.2f}x")
        if size == 5000:
            sarif = got["sarif"]
            sratio = sarif.median / floor.median
            row("5,000 objects, all rules + schema, SARIF output (same rounds)", f"{sarif.show()}; ratio {sratio:.2f}x")
            row("5,000 objects: k8slint's loader alone (line numbers kept) vs the streaming floor",
                f"{loader.show()}; {loader.median / floor.median:.2f}x the floor")
            targets.append(Goal("5,000 objects, all rules + schema, JSON vs the streaming floor", "≤ 1.2×",
                                f"{ratio:.2f}× ({check.median:.2f} s / {floor.median:.2f} s)", ratio, 1.2, "×"))
            targets.append(Goal("5,000 objects, all rules + schema, SARIF vs the streaming floor", "≤ 1.3×",
                                f"{sratio:.2f}× ({sarif.median:.2f} s / {floor.median:.2f} s)", sratio, 1.3, "×"))
            bare = measure({"b": commands["json"] + ["--skip", "schema", "--skip", "crd-schema", "--skip", "deprecated-api"]}, runs)["b"]
            row("5,000 objects: the schema rules' share (schema, crd-schema, deprecated-api)",
                f"{check.median - bare.median:.2f} s (medians; without them {bare.show()})")
        if size == 50000:
            growth = check.median / checks[5000].median
            targets.append(Goal("50,000 objects: time grows linearly (no more per object than at 5,000)", "≤ 10× the 5,000 time",
                                f"{growth:.1f}× ({check.median:.1f} s)", growth, 10, "×"))
            targets.append(Goal("50,000 objects: peak memory", "≤ 500 MiB", f"{check.peak:.0f} MiB", check.peak, 500, " MiB"))

    with tempfile.TemporaryDirectory(prefix="k8slint-bench-") as tmp:
        repo = build_repo(Path(tmp), OVERLAYS)
        _, _, listed = run_once(cmd + ["check", str(repo), "--list-targets"])
        count = len(listed.splitlines())
        _, _, rendered = run_once([sys.executable, "-c", RENDER_ONLY, str(repo)])
        if int(rendered.split()[0]) != count:
            raise SystemExit(f"the render-only script rendered {rendered.split()[0]} targets, the check lists {count}")
        # both without the render cache (a check renders what rendering alone renders); then the
        # same check again with it, warm (the warm-up run filled it)
        stats = measure({"lint": cmd + ["check", str(repo), "--format", "json", "--no-cache"],
                         "render": [sys.executable, "-c", RENDER_ONLY, str(repo)],
                         "warm": cmd + ["check", str(repo), "--format", "json"]}, args.runs)
        lint, rend, warm = stats["lint"], stats["render"], stats["warm"]
        ratio = lint.median / rend.median
        row(f"repo with {OVERLAYS} overlays + 1 chart x 2 envs ({count} targets, rendered in parallel): check vs render only "
            "(both without the render cache)",
            f"check {lint.show()}; render only {rend.show()}; ratio {ratio:.2f}x")
        row("the same repo re-checked with the render cache warm (nothing changed)", warm.show())
        targets.append(Goal(f"repo with {OVERLAYS} overlays + chart x 2 envs: check vs rendering alone", "≤ 1.1×",
                            f"{ratio:.2f}× ({lint.median:.2f} s / {rend.median:.2f} s)", ratio, 1.1, "×"))

    checkov_rows = run_checkov(args, version, small, checks)
    rows.extend(checkov_rows)

    print("\ntargets:")
    for t in targets:
        print(f"  {'met   ' if t.met else 'MISSED'} {t.name}: {t.value} (target {t.limit}) {t.gap}")
    ended = load_average()
    print(f"load average at the end {ended}")
    if args.write:
        write_markdown(rows, targets, args, f"{started} when the run started, {ended} when it ended")
    return 0


def find_checkov(args) -> str | None:
    for candidate in (args.checkov, os.environ.get("CHECKOV"), shutil.which("checkov")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def run_checkov(args, version: Stat, small: Stat, checks: dict[int, Stat]) -> list[tuple[str, str]]:
    """Checkov (1 run each: it is slow) on the same inputs, and how many times longer it takes."""
    checkov = find_checkov(args)
    if checkov is None:
        line = ("Checkov", "not installed here (give --checkov PATH, e.g. from a throwaway venv: "
                "`python -m venv /tmp/checkov && /tmp/checkov/bin/pip install checkov`); the issue's reference numbers: "
                "4 s start-up, 4.1 s one Deployment, 110 s and 1.1 GB for 5,000 objects")
        print(f"{line[0]}: {line[1]}")
        return [line]
    out = []
    _, _, shown = run_once([checkov, "--version"])
    label = f"Checkov {shown.strip()}"
    cov = measure({"v": [checkov, "--version"]}, 1)["v"]
    out.append((f"{label}: start-up (`checkov --version`)", f"{cov.show()}; {cov.median / version.median:.0f}x k8slint's"))
    cov = measure({"s": [checkov, "-f", str(SMALL), "--framework", "kubernetes", "--quiet", "--compact"]}, 1)["s"]
    out.append((f"{label}: one small file", f"{cov.show()}; {cov.median / small.median:.0f}x k8slint's"))
    for size in ([1000, 5000] if args.full else [1000]):
        cov = measure({"c": [checkov, "-f", str(input_path(size)), "--framework", "kubernetes",
                             "--quiet", "--compact"]}, 1)["c"]
        out.append((f"{label}: {size:,} objects", f"{cov.show()}; {cov.median / checks[size].median:.0f}x k8slint's"))
    for name, value in out:
        print(f"{name}: {value}")
    return out


def write_markdown(rows: list[tuple[str, str]], targets: list[Goal], args, started: str) -> None:
    command = "python bench/run.py" + (" --full" if args.full else "") + " --write" + (" --checkov PATH" if find_checkov(args) else "")
    target_table = "\n".join(
        f"| {t.name} | {t.limit} | {t.value} | {'met' if t.met else '**missed**, ' + t.gap} |" for t in targets
    )
    table = "\n".join(f"| {name} | {value} |" for name, value in rows)
    text = (Path(__file__).parent / "BENCHMARKS.template.md").read_text(encoding="utf-8")
    for key, value in {
        "{{MACHINE}}": machine(),
        "{{LOAD}}": started,
        "{{DATE}}": time.strftime("%Y-%m-%d"),
        "{{COMMAND}}": command,
        "{{RUNS}}": str(args.runs),
        "{{TARGETS}}": target_table,
        "{{TABLE}}": table,
    }.items():
        text = text.replace(key, value)
    (ROOT / "BENCHMARKS.md").write_text(text, encoding="utf-8")
    print("wrote BENCHMARKS.md")


if __name__ == "__main__":
    raise SystemExit(main())
