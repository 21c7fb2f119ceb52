#!/usr/bin/env python3
"""Which YAML parser should k8slint load with? Throughput, line numbers, agreement with PyYAML,
YAML 1.1 scalar resolution and behaviour on hostile input, for every candidate installed.

k8slint needs the line of every key and item, PyYAML's (YAML 1.1) reading of scalars, and no
crash or unbounded work on hostile input. Candidates are looked for in the interpreter given
with --python (a throwaway venv: they are not k8slint dependencies); PyYAML and k8slint's own
loader are always measured. Each timing runs in a fresh process with the cyclic GC off (as
`k8slint check` runs) and drops each document once counted: the "streaming floor".

    python bench/parsers.py --python /tmp/venv/bin/python            # grown 5,000 objects + corpus
    python bench/parsers.py --python /tmp/venv/bin/python --runs 7

Not a test: nothing here fails a build. The numbers go into BENCHMARKS.md ("YAML parser").
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
ADVERSARIAL = ROOT / "fixtures" / "adversarial"

# name -> (module, does it give the line of every node, code run on `text` that counts documents)
CANDIDATES = {
    "PyYAML C load_all (floor)": ("yaml", "yes (nodes' marks)",
                                  "n = sum(1 for _ in yaml.load_all(text, Loader=yaml.CSafeLoader))"),
    "PyYAML C compose only": ("yaml", "yes (nodes' marks)",
                              "n = sum(1 for _ in yaml.compose_all(text, Loader=yaml.CSafeLoader))"),
    "k8slint load (PyYAML C + lines)": ("k8slint.load", "yes",
                                        "n = sum(1 for _ in k8slint.load.iter_load(text))"),
    "rapidyaml (ryml)": ("ryml", "no: the Python module exposes no node locations",
                         "n = walk_ryml(ryml.parse_in_arena(text.encode()))"),
    "libfyaml": ("libfyaml", "no (only with create_markers)",
                 "n = sum(1 for d in libfyaml.loads_all(text, mode='yaml1.1') if d.to_python() is not None or True)"),
    "libfyaml + markers": ("libfyaml", "yes (create_markers=True)",
                           "n = sum(1 for d in libfyaml.loads_all(text, mode='yaml1.1', create_markers=True) if d.to_python() is not None or True)"),
    "yaml-rs": ("yaml_rs", "no", "n = len(yaml_rs.loads(text))"),
    "fastyaml-rs": ("fast_yaml", "no", "n = sum(1 for _ in fast_yaml.safe_load_all(text))"),
    "ryaml": ("ryaml", "no", "n = len(ryaml.loads_all(text))"),
    "pyyaml-rs": ("pyyaml_rs", "no", "n = sum(1 for _ in pyyaml_rs.safe_load_all(text))"),
}

PRELUDE = """
import gc, sys, time, importlib
sys.setrecursionlimit(10000)
module = importlib.import_module(sys.argv[1])
import yaml
if sys.argv[1] == "k8slint.load":
    import k8slint.load
globals()[sys.argv[1].split('.')[0]] = importlib.import_module(sys.argv[1].split('.')[0])

def walk_ryml(tree):
    import ryml
    def build(node):
        if tree.is_map(node):
            out, child = {}, tree.first_child(node)
            while child != ryml.NONE:
                out[bytes(tree.key(child)).decode()] = build(child)
                child = tree.next_sibling(child)
            return out
        if tree.is_seq(node):
            out, child = [], tree.first_child(node)
            while child != ryml.NONE:
                out.append(build(child))
                child = tree.next_sibling(child)
            return out
        return None if tree.val_is_null(node) else bytes(tree.val(node)).decode()
    root, count = tree.root_id(), 0
    child = tree.first_child(root) if tree.is_stream(root) else root
    while child != ryml.NONE:
        build(child)
        count += 1
        child = tree.next_sibling(child) if tree.is_stream(root) else ryml.NONE
    return count

text = open(sys.argv[2], encoding="utf-8").read()
gc.disable()
start = time.perf_counter()
"""

SCALARS = ["yes", "on", "No", "010", "0o10", "0x1F", "1e3", "1.0e+3", "1_000", "1:30", ".inf", "~", "2020-01-01", "'010'"]
PROBE = """
import json, resource, sys, importlib
resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
sys.setrecursionlimit(10000)
name, code, path = sys.argv[1], sys.argv[2], sys.argv[3]
import yaml
mod = importlib.import_module(name)
globals()[name.split('.')[0]] = importlib.import_module(name.split('.')[0])
text = open(path, encoding="utf-8", errors="surrogateescape").read()
try:
    result = eval(code)
    print(json.dumps({"ok": repr(result)[:400]}))
except Exception as exc:
    print(json.dumps({"error": type(exc).__name__ + ": " + str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__}))
"""

# name -> expression on `text` giving the documents as Python data (for agreement and probes)
DATA = {
    "PyYAML C load_all (floor)": "list(yaml.load_all(text, Loader=yaml.CSafeLoader))",
    "k8slint load (PyYAML C + lines)": "(lambda r: [d.data for d in r[0]] + [('ERROR', e.line, e.message) for e in r[1]])(k8slint.load.load_text(text))",
    "libfyaml": "[d.to_python() for d in libfyaml.loads_all(text, mode='yaml1.1')]",
    "yaml-rs": "yaml_rs.loads(text) if '\\n---' in text else [yaml_rs.loads(text)]",
    "fastyaml-rs": "list(fast_yaml.safe_load_all(text))",
    "ryaml": "ryaml.loads_all(text)",
    "pyyaml-rs": "list(pyyaml_rs.safe_load_all(text))",
}


def available(python: str, module: str) -> bool:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([python, "-c", f"import {module}"], capture_output=True, env=env).returncode == 0


def time_once(python: str, name: str, path: Path) -> float:
    module, _, code = CANDIDATES[name]
    script = PRELUDE + code + "\nprint(time.perf_counter() - start, n)\n"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    ran = subprocess.run([python, "-c", script, module, str(path)], capture_output=True, text=True, env=env, timeout=600)
    if ran.returncode != 0:
        raise RuntimeError(ran.stderr.strip().splitlines()[-1] if ran.stderr.strip() else f"exit {ran.returncode}")
    return float(ran.stdout.split()[0])


def probe(python: str, name: str, path: Path, code: str | None = None) -> str:
    module = CANDIDATES[name][0]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    try:
        ran = subprocess.run([python, "-c", PROBE, module, code or DATA[name], str(path)], capture_output=True, text=True,
                             env=env, timeout=60)
    except subprocess.TimeoutExpired:
        return "still running after 60 s (killed)"
    if ran.returncode < 0:
        return f"crashed (signal {-ran.returncode})"
    if ran.returncode != 0 or not ran.stdout.strip():
        last = ran.stderr.strip().splitlines()[-1:] or [f"exit {ran.returncode}"]
        return "MemoryError (2 GiB cap)" if "MemoryError" in last[0] else f"died: {last[0][:100]}"
    answer = json.loads(ran.stdout)
    return f"refused: {answer['error']}" if "error" in answer else f"loaded: {answer['ok']}"


def grown_input(folder: Path, size: int) -> Path:
    sys.path.insert(0, str(ROOT / "bench"))
    import run  # bench/run.py: real renders of ../shared/corpus, names made unique per copy

    path = folder / f"objects-{size}.yaml"
    run.write_input(run.grow(run.render_seed_objects(), size), path)
    return path


def corpus_input(folder: Path) -> tuple[Path, list[Path]]:
    """Every corpus YAML file PyYAML loads, concatenated as one stream (and the list of them)."""
    import yaml

    files, parts = [], []
    for path in sorted(CORPUS.rglob("*.y*ml")):
        try:
            text = path.read_text(encoding="utf-8")
            list(yaml.load_all(text, Loader=yaml.CSafeLoader))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        files.append(path)
        parts.append(text if text.endswith("\n") else text + "\n")
    out = folder / "corpus.yaml"
    out.write_text("---\n".join(parts), encoding="utf-8")
    return out, files


def agreement(python: str, name: str, files: list[Path], folder: Path) -> str:
    """How many corpus files the candidate reads as PyYAML does (documents as JSON)."""
    module = CANDIDATES[name][0]
    listing = folder / "files.json"
    listing.write_text(json.dumps([str(p) for p in files]))
    script = (
        "import json, sys, importlib, datetime, yaml\n"
        f"globals()[{module.split('.')[0]!r}] = importlib.import_module({module!r}.split('.')[0])\n"
        f"import {module}\n"
        "def norm(x):\n"
        "    if isinstance(x, dict): return {str(k): norm(v) for k, v in x.items()}\n"
        "    if isinstance(x, list): return [norm(v) for v in x]\n"
        "    if isinstance(x, (datetime.date, datetime.datetime)): return 'date'\n"
        "    if isinstance(x, str) and len(x) == 10 and x[4:5] == '-' and x[7:8] == '-': return 'date'\n"
        "    return x\n"
        "same = differ = failed = 0\n"
        "for path in json.load(open(sys.argv[1])):\n"
        "    text = open(path, encoding='utf-8').read()\n"
        "    want = json.dumps(norm([d for d in yaml.load_all(text, Loader=yaml.CSafeLoader) if d is not None]), sort_keys=True, default=str)\n"
        "    try:\n"
        f"        got = json.dumps(norm([d for d in ({DATA[name]}) if d is not None]), sort_keys=True, default=str)\n"
        "    except Exception:\n"
        "        failed += 1\n"
        "        continue\n"
        "    same += got == want\n"
        "    differ += got != want\n"
        "print(same, differ, failed)\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    ran = subprocess.run([python, "-c", script, str(listing)], capture_output=True, text=True, env=env, timeout=600)
    if ran.returncode != 0:
        return "could not run: " + (ran.stderr.strip().splitlines() or ["?"])[-1][:80]
    same, differ, failed = ran.stdout.split()
    return f"{same} same, {differ} differ, {failed} refused"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--python", default=sys.executable, help="interpreter that has the candidates installed")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--objects", type=int, default=5000)
    parser.add_argument("--probes-only", action="store_true", help="skip the timings")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        raise SystemExit(f"{CORPUS} not found: the inputs are grown from ../shared/corpus")
    names = [n for n in CANDIDATES if available(args.python, CANDIDATES[n][0])]
    print(f"load average at start: {' / '.join(f'{x:.1f}' for x in os.getloadavg())}; medians of {args.runs} runs (min-max), "
          "each in a fresh process; x = against PyYAML's load_all")
    with tempfile.TemporaryDirectory(prefix="k8slint-parsers-") as tmp:
        folder = Path(tmp)
        grown = grown_input(folder, args.objects)
        corpus, files = corpus_input(folder)
        inputs = [(f"{args.objects:,} rendered objects ({grown.stat().st_size / 2**20:.1f} MiB)", grown),
                  (f"{len(files)} corpus files as one stream ({corpus.stat().st_size / 2**10:.0f} KiB)", corpus)]
        print("| parser | lines of keys and items | " + " | ".join(label for label, _ in inputs) + " |")
        print("|---|---|" + "---|" * len(inputs))
        floor = {}
        for name in [] if args.probes_only else names:
            cells = []
            for label, path in inputs:
                try:
                    times = [time_once(args.python, name, path) for _ in range(args.runs)]
                except RuntimeError as exc:
                    cells.append(f"failed: {exc}"[:60])
                    continue
                median = statistics.median(times)
                floor.setdefault(label, median)
                cells.append(f"{median:.3f} s ({min(times):.3f}-{max(times):.3f}; {median / floor[label]:.2f}x)")
            print(f"| {name} | {CANDIDATES[name][1]} | " + " | ".join(cells) + " |", flush=True)

        print("\nAgreement with PyYAML on each corpus file (documents compared as JSON):")
        for name in names:
            if name in DATA and not name.startswith("PyYAML"):
                print(f"- {name}: {agreement(args.python, name, files, folder)}", flush=True)

        print(f"\nScalars {SCALARS} and a merge key (PyYAML, YAML 1.1, is the reference):")
        sample = folder / "scalars.yaml"
        sample.write_text(f"[{', '.join(SCALARS)}, {{<<: {{merged: 1}}, own: 2}}]\n")
        duplicate = folder / "duplicate.yaml"
        duplicate.write_text("a: 1\nb: 2\na: 3\n")
        for name in names:
            if name in DATA:
                print(f"- {name}: {probe(args.python, name, sample, code=DATA[name] + '[0]')[:220]}", flush=True)
        print("\nA duplicate key (`a: 1` ... `a: 3`):")
        for name in names:
            if name in DATA:
                print(f"- {name}: {probe(args.python, name, duplicate)}", flush=True)

        print("\nHostile input (fresh process, 2 GiB address space, 60 s):")
        deep = folder / "deep.yaml"
        deep.write_text("[" * 100_000 + "]" * 100_000)
        bad = folder / "bad-utf8.yaml"
        bad.write_bytes(b"a: caf\xe9\n")
        for label, path in [("alias bomb (fixtures/adversarial/alias-bomb)", ADVERSARIAL / "alias-bomb" / "bomb.yaml"),
                            ("100,000-deep flow nesting", deep), ("bad UTF-8 (read with surrogateescape)", bad)]:
            print(f"- {label}:")
            for name in names:
                if name in DATA:
                    print(f"  - {name}: {probe(args.python, name, path)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
