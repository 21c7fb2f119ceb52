#!/usr/bin/env python3
"""k8slint benchmark: start-up, full checks at 1k/5k/50k objects against the YAML parse floor,
peak memory, and a whole repo with several overlays and charts (render included).

Inputs are built from real renders of ../shared/corpus (object names made unique per copy).
Every measurement runs the installed `k8slint` in a subprocess several times and reports
median, min and max; peak memory is the child's max RSS. Results are printed and written to
BENCHMARKS.md (``--write``).

    python bench/run.py              # quick: 1k and 5k objects, 5 runs each
    python bench/run.py --full       # adds 50k objects (slow) - what BENCHMARKS.md shows
    python bench/run.py --full --write
"""

from __future__ import annotations

import argparse
import copy
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
OUT = ROOT / "bench" / "out"
SEEDS = [  # real renders the inputs are grown from
    "stefanprodan__podinfo/deploy/overlays/production",
    "stefanprodan__podinfo/charts/podinfo",
    "GoogleCloudPlatform__microservices-demo/kubernetes-manifests",
    "GoogleCloudPlatform__microservices-demo/helm-chart",
    "bitnami__charts/bitnami/postgresql",
    "argoproj__argocd-example-apps/sock-shop",
    "fluxcd__flux2-kustomize-helm-example/apps/production",
]


def k8slint_cmd() -> list[str]:
    exe = Path(sys.executable).parent / "k8slint"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "k8slint"]


def measure(cmd: list[str], runs: int, cwd: Path | None = None, stdin: bytes | None = None) -> dict:
    """Wall time and peak RSS of a command, ``runs`` times (one warm-up run first)."""
    times, peaks, codes = [], [], set()
    for attempt in range(runs + 1):
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if stdin is not None:
            proc.stdin.write(stdin)
            proc.stdin.close()
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        err = proc.stderr.read()
        proc.stderr.close()
        code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1):
            raise SystemExit(f"{' '.join(cmd)} exited {code}: {err.decode(errors='replace')[:500]}")
        codes.add(code)
        if attempt == 0:
            continue  # warm-up: file cache, .pyc
        times.append(elapsed)
        peaks.append(usage.ru_maxrss / 1024)  # KiB -> MiB
    return {"median": statistics.median(times), "min": min(times), "max": max(times), "peak_mib": max(peaks)}


def render_seed_objects() -> list[dict]:
    """Render every seed target once with k8slint's own renderers and keep the objects."""
    sys.path.insert(0, str(ROOT))
    from k8slint.config import Config
    from k8slint.render import render
    from k8slint.settings import Settings
    from k8slint.targets import Target, classify, relative

    objects: list[dict] = []
    settings = Settings(repo_root=CORPUS, config=Config())
    for seed in SEEDS:
        path = CORPUS / seed
        kind = classify(path, CORPUS)
        target = Target(kind, path, relative(path, CORPUS), "production", "bench", release_name=path.name)
        result = render(target, settings)
        if result.failed:
            raise SystemExit(f"seed {seed} did not render: {result.problems[0].message}")
        import json

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


def parse_floor(path: Path, runs: int) -> dict:
    """yaml.load_all with the C loader on the same file, in this process."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    times = []
    for attempt in range(runs + 1):
        text = path.read_text(encoding="utf-8")
        start = time.perf_counter()
        docs = list(yaml.load_all(text, Loader=loader))
        elapsed = time.perf_counter() - start
        assert docs
        if attempt:
            times.append(elapsed)
    return {"median": statistics.median(times), "min": min(times), "max": max(times)}


def build_repo(base: Path, overlays: int) -> Path:
    """A deploy repo with ``overlays`` copies of the demo's overlays and charts."""
    repo = base / "repo"
    if repo.exists():
        shutil.rmtree(repo)
    demo = ROOT / "fixtures" / "deploy-repo"
    shutil.copytree(demo, repo)
    k8s = repo / "infra" / "k8s" / "overlays"
    for i in range(overlays - 2):
        shutil.copytree(k8s / ("production" if i % 2 else "staging"), k8s / f"{'production' if i % 2 else 'staging'}-{i}")
    return repo


def render_only(repo: Path, runs: int) -> dict:
    """Render every overlay and chart of the repo (no checks), in parallel like k8slint does."""
    script = (
        "import sys\nfrom pathlib import Path\nfrom concurrent.futures import ThreadPoolExecutor\n"
        "import os\n"
        "from k8slint.config import Config\nfrom k8slint.render import render\nfrom k8slint.settings import Settings\n"
        "from k8slint.targets import Target, discover, relative, env_values_file\n"
        "root = Path(sys.argv[1])\nsettings = Settings(repo_root=root, config=Config())\n"
        "targets = [Target(k, p, relative(p, root), 'production', 'bench', values=[f] if f else [], release_name=p.name)"
        " for k, p, f in discover(root)]\n"
        "with ThreadPoolExecutor(max_workers=min(len(targets), os.cpu_count() or 2)) as pool:\n"
        "    results = list(pool.map(lambda t: render(t, settings), targets))\n"
        "assert all(not r.failed for r in results)\n"
    )
    return measure([sys.executable, "-c", script, str(repo)], runs)


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
    return f"{os.cpu_count()} cores ({cpu}){mem}, {platform.system()} {platform.release()}, Python {platform.python_version()}, PyYAML {yaml.__version__} (C loader: {hasattr(yaml, 'CSafeLoader')})"


def fmt(m: dict) -> str:
    peak = f", peak {m['peak_mib']:.0f} MiB" if "peak_mib" in m else ""
    return f"{m['median']:.3f} s (min {m['min']:.3f}, max {m['max']:.3f}{peak})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help="also 50,000 objects")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="write BENCHMARKS.md")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        raise SystemExit(f"{CORPUS} not found: the benchmark grows its inputs from ../shared/corpus")

    cmd = k8slint_cmd()
    rows: list[tuple[str, str]] = []
    results: dict = {}
    print(f"machine: {machine()}")

    results["version"] = measure(cmd + ["--version"], args.runs)
    rows.append(("start-up: `k8slint --version`", fmt(results["version"])))
    small = ROOT / "fixtures" / "deploy-repo" / "infra" / "k8s" / "base" / "deployments" / "api.yaml"
    results["small"] = measure(cmd + ["check", str(small), "--env", "production", "--format", "json"], args.runs)
    rows.append(("one small file: `k8slint check api.yaml`", fmt(results["small"])))
    for row in rows:
        print(f"{row[0]}: {row[1]}")

    seed = render_seed_objects()
    sizes = [1000, 5000] + ([50000] if args.full else [])
    for size in sizes:
        path = OUT / f"objects-{size}.yaml"
        write_input(grow(seed, size), path)
        runs = args.runs if size <= 5000 else max(1, args.runs // 3)
        check = measure(cmd + ["check", str(path), "--env", "production", "--format", "json", "--repo-root", str(OUT)], runs)
        floor = parse_floor(path, runs)
        results[size] = (check, floor)
        ratio = check["median"] / floor["median"]
        line = f"{fmt(check)}; parse floor {floor['median']:.3f} s; ratio {ratio:.2f}x"
        rows.append((f"{size:,} objects, all rules, JSON output", line))
        print(f"{size:,} objects: {line}")
        if size == 5000:  # the schema rules' share (target: at most 1 s; bench/schema_bench.py has the detail)
            bare = measure(cmd + ["check", str(path), "--env", "production", "--format", "json", "--repo-root", str(OUT),
                                  "--skip", "schema", "--skip", "crd-schema", "--skip", "deprecated-api"], runs)
            share = check["min"] - bare["min"]  # min: least disturbed by other load on the machine
            rows.append(("5,000 objects: share of schema, crd-schema, deprecated-api",
                         f"{share:.2f} s (fastest runs compared; {fmt(bare)} without them)"))
            print(f"{rows[-1][0]}: {rows[-1][1]}")

    with tempfile.TemporaryDirectory(prefix="k8slint-bench-") as tmp:
        repo = build_repo(Path(tmp), overlays=8)
        lint = measure(cmd + ["check", str(repo), "--format", "json"], args.runs)
        rend = render_only(repo, args.runs)
        ratio = lint["median"] / rend["median"]
        rows.append(("repo with 8 overlays + chart x 2 envs: check vs render only",
                     f"check {fmt(lint)}; render only {fmt(rend)}; ratio {ratio:.2f}x"))
        print(rows[-1][0] + ": " + rows[-1][1])
        results["repo"] = (lint, rend)

    checkov = shutil.which("checkov")
    if checkov:
        path = OUT / "objects-1000.yaml"
        cov = measure([checkov, "-f", str(path), "--framework", "kubernetes", "--quiet", "--compact"], 1)
        rows.append(("Checkov on 1,000 objects", f"{fmt(cov)}; k8slint is {cov['median'] / results[1000][0]['median']:.1f}x faster"))
        print(rows[-1][0] + ": " + rows[-1][1])
    else:
        rows.append(("Checkov", "not installed on this machine (`pip install checkov` to compare)"))

    if args.write:
        write_markdown(rows)
    return 0


def write_markdown(rows: list[tuple[str, str]]) -> None:
    table = "\n".join(f"| {name} | {value} |" for name, value in rows)
    text = (Path(__file__).parent / "BENCHMARKS.template.md").read_text(encoding="utf-8")
    text = text.replace("{{MACHINE}}", machine()).replace("{{TABLE}}", table).replace("{{DATE}}", time.strftime("%Y-%m-%d"))
    (ROOT / "BENCHMARKS.md").write_text(text, encoding="utf-8")
    print("wrote BENCHMARKS.md")


if __name__ == "__main__":
    raise SystemExit(main())
