"""Benchmark schema validation: naive kubernetes_validate vs cached jsonschema vs cached jsonschema-rs.

    python bench/schema_bench.py [--objects 5000] [--corpus ../shared/corpus] [--no-e2e]

Builds an input of N rendered objects from real renders (every kustomize overlay and Helm
chart of the corpus, plus the demo deploy repo's custom resources), one in ten of them
broken on purpose (an unknown field, a wrong type), then:

1. naive ``kubernetes_validate.validate()`` on a sample (reloads definitions per call);
2. ``jsonschema`` (Python) with one validator per (apiVersion, kind), built once;
3. ``jsonschema-rs`` through k8slint's own path (k8slint.k8s_schema + schema_errors);

checks that (2) and (3) give the same verdict on every object (valid or not, and the same
set of error paths), and finally times ``k8slint check -`` on the whole stream with and
without the three schema rules, which is what a user pays. Not a test: run it by hand.
"""

from __future__ import annotations

import argparse
import copy
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from k8slint import crds, k8s_schema  # noqa: E402
from k8slint.model import Target  # noqa: E402
from k8slint.plan.config import Config  # noqa: E402
from k8slint.plan.settings import Settings  # noqa: E402
from k8slint.plan.targets import discover  # noqa: E402
from k8slint.render import render  # noqa: E402
from k8slint.schema_errors import validate as rs_validate, without_nulls  # noqa: E402
from k8slint.sources import relative  # noqa: E402


def plain(value):
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def rendered_objects(corpus: Path) -> list[dict]:
    objects = []
    roots = [p for p in sorted(corpus.iterdir()) if p.is_dir()] + [ROOT / "fixtures" / "deploy-repo"]
    for repo in roots:
        settings = Settings(repo_root=repo, config=Config())
        seen = set()
        for kind, path, env_file, _ in discover(repo):
            if path in seen or kind == "dir":  # overlays and charts (folders of loose manifests are not measured)
                continue
            seen.add(path)
            target = Target(kind, path, relative(path, repo), "production", "bench", [env_file] if env_file else [])
            objects.extend(plain(o.data) for o in render(target, settings).objects)
    demo = ROOT / "fixtures" / "deploy-repo" / "infra"
    for extra in ("argocd/applications", "_shared/secrets/sealed"):
        settings = Settings(repo_root=demo, config=Config())
        target = Target("dir", demo / extra, extra, "production", "bench")
        objects.extend(plain(o.data) for o in render(target, settings).objects)
    return objects


def break_some(objects: list[dict], count: int) -> list[dict]:
    """Cycle the rendered objects up to ``count``; every tenth gets an unknown field or a wrong type."""
    out = []
    for i in range(count):
        obj = copy.deepcopy(objects[i % len(objects)])
        if i % 10 == 3:
            obj.setdefault("metadata", {})["lables"] = {"a": "b"}
        elif i % 10 == 7 and isinstance(obj.get("spec"), dict):
            obj["spec"]["replicas"] = "three" if obj.get("kind") == "Deployment" else obj["spec"].get("replicas", [])
            obj["spec"]["bogusField"] = 1
        obj.setdefault("metadata", {})["name"] = f"{obj.get('metadata', {}).get('name', 'x')}-{i}"
        out.append(obj)
    return out


def schema_for(version, obj):
    """(kind, schema or None) the way k8slint picks it: built-in definitions, else the shipped CRD schema."""
    group, ver = k8s_schema.split_api_version(obj["apiVersion"])
    defs = k8s_schema.definitions(version)
    if group in defs.groups:
        name = defs.by_gvk.get((group, ver, obj["kind"]))
        return ("native", name) if name else (None, None)
    shipped = crds.shipped_schema(group, ver, obj["kind"])
    return ("crd", shipped) if shipped else (None, None)


def python_jsonschema(objects, version):
    import jsonschema
    from referencing import Registry, Resource

    defs = k8s_schema.definitions(version)
    with open(dict(k8s_schema.shipped_versions())[version] / "_definitions.json", encoding="utf-8") as handle:
        document = json.load(handle)
    registry = Resource.from_contents(document) @ Registry()
    cache = {}
    verdicts = []
    start = time.perf_counter()
    for obj in objects:
        key = (obj["apiVersion"], obj["kind"])
        if key not in cache:
            kind, ref = schema_for(version, obj)
            if kind == "native":
                cache[key] = jsonschema.Draft202012Validator({"$ref": f"{k8s_schema.DEFS_URI}#/$defs/{ref}"}, registry=registry)
            elif kind == "crd":
                cache[key] = jsonschema.Draft202012Validator(ref)
            else:
                cache[key] = None
        validator = cache[key]
        if validator is None:
            verdicts.append(None)
            continue
        if validator.is_valid(obj):
            verdicts.append(())
        else:
            paths = set()
            for error in validator.iter_errors(without_nulls(obj)):
                path = tuple(error.absolute_path)
                if error.validator == "additionalProperties":
                    extra = set(error.instance) - set(error.schema.get("properties", {}))
                    paths.update(path + (k,) for k in extra)
                else:
                    paths.add(path)
            verdicts.append(tuple(sorted(paths, key=str)))
    return time.perf_counter() - start, verdicts, defs


def rust_jsonschema(objects, version):
    verdicts = []
    start = time.perf_counter()
    for obj in objects:
        group, ver = k8s_schema.split_api_version(obj["apiVersion"])
        if k8s_schema.is_builtin_group(version, group):
            compiled = k8s_schema.native_validator(version, obj["apiVersion"], obj["kind"])
        else:
            shipped = crds.shipped_schema(group, ver, obj["kind"])
            compiled = k8s_schema.compile_schema(shipped, "bench", f"shipped:{group}/{ver}/{obj['kind']}") if shipped else None
        if compiled is None:
            verdicts.append(None)
            continue
        problems = rs_validate(compiled, obj)
        verdicts.append(tuple(sorted({p.path for p in problems}, key=str)))
    return time.perf_counter() - start, verdicts


def naive(objects, version, sample):
    import kubernetes_validate

    done = 0
    start = time.perf_counter()
    for obj in objects[:sample]:
        try:
            kubernetes_validate.validate(obj, k8s_schema.fmt(version), strict=True)
        except Exception:  # invalid or unknown kind: the cost is what we measure
            pass
        done += 1
    return (time.perf_counter() - start) / max(done, 1)


def end_to_end(objects, runs: int = 3) -> tuple[float, float]:
    import yaml

    stream = yaml.safe_dump_all(objects, sort_keys=False).encode()

    def best(*extra):
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "k8slint", "check", "-", "--env", "production", "--format", "json",
                            "--output", "/dev/null", *extra], input=stream, capture_output=True, cwd=ROOT)
            times.append(time.perf_counter() - start)
        return min(times)

    with_schema = best()
    without = best("--skip", "schema", "--skip", "crd-schema", "--skip", "deprecated-api")
    return with_schema, without


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--objects", type=int, default=5000)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--naive-sample", type=int, default=100)
    parser.add_argument("--no-e2e", action="store_true")
    args = parser.parse_args()

    version = k8s_schema.newest_shipped()
    base = rendered_objects(args.corpus)
    objects = break_some(base, args.objects)
    kinds = len({(o["apiVersion"], o["kind"]) for o in objects})
    print(f"input: {len(objects):,} objects ({len(base)} distinct rendered objects, {kinds} apiVersion/kind pairs), "
          f"Kubernetes {k8s_schema.fmt(version)}")

    per = naive(objects, version, args.naive_sample)
    print(f"naive kubernetes_validate.validate(): {per * 1000:.1f} ms/object -> {per * len(objects):.1f} s for {len(objects):,}")

    start = time.perf_counter()
    k8s_schema.definitions(version)
    print(f"definitions loaded once: {(time.perf_counter() - start) * 1000:.0f} ms")
    py_time, py_verdicts, _ = python_jsonschema(objects, version)
    print(f"jsonschema (Python), cached validators: {py_time:.2f} s ({py_time / len(objects) * 1e6:.0f} us/object)")
    built = k8s_schema.STATS["validators_built"]
    rs_time, rs_verdicts = rust_jsonschema(objects, version)
    print(f"jsonschema-rs, cached validators:      {rs_time:.3f} s ({rs_time / len(objects) * 1e6:.0f} us/object, "
          f"{k8s_schema.STATS['validators_built'] - built} validators built)")

    differ = [i for i, (a, b) in enumerate(zip(py_verdicts, rs_verdicts)) if a != b]
    invalid = sum(1 for v in rs_verdicts if v)
    skipped = sum(1 for v in rs_verdicts if v is None)
    print(f"verdicts: {invalid:,} invalid, {skipped:,} without schema; jsonschema and jsonschema-rs differ on {len(differ)}")
    for i in differ[:5]:
        print(f"  {objects[i]['kind']} {objects[i]['metadata'].get('name')}: python {py_verdicts[i]} rust {rs_verdicts[i]}")

    if not args.no_e2e:
        with_schema, without = end_to_end(objects)
        print(f"k8slint check - ({len(objects):,} objects): {with_schema:.2f} s with the schema rules, {without:.2f} s without "
              f"-> schema rules add {with_schema - without:.2f} s")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
