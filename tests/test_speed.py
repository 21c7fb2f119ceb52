"""Speed kept honest without timing anything (bench/run.py measures; these count).

- start-up imports: ``k8slint --version`` loads neither click nor anything of k8slint's checking; a check
  of one file with a valid config loads no ``jsonschema`` (jsonschema-rs gives the verdict),
  no ``kubernetes_validate``, no Helm SDK and no kustomize plumbing;
- every YAML text is parsed once per run (loader calls counted by content);
- a whole check executes a number of k8slint source lines that grows linearly with the number
  of objects (traced, not timed): a quadratic cross-object lookup fails here;
- the fast paths give the same answers as the plain ones (config verdicts, Index.get, label
  selectors).
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings, strategies as st

from conftest import FIXTURES, ROOT

import k8slint
from k8slint import validate

PACKAGE_DIR = str(Path(k8slint.__file__).resolve().parent)

# Run the CLI's click group in a fresh interpreter and report which modules got imported.
# cli.main (not cli.run, which ends the process without running atexit/finally code).
DRIVER = """
import json, os, sys
sys.argv = ["k8slint", *json.loads(os.environ["K8SLINT_ARGS"])]
from k8slint import cli
try:
    cli.main(prog_name="k8slint")
except SystemExit as done:
    code = done.code
with open(os.environ["K8SLINT_MODULES"], "w") as handle:
    json.dump({"code": code, "modules": sorted(sys.modules)}, handle)
"""

HEAVY = ("jsonschema", "kubernetes_validate", "helm_python", "referencing", "rpds", "attrs")


def _imported(tmp_path: Path, *args: str, cwd: Path = ROOT, cache: Path | None = None) -> tuple[int, set[str]]:
    report = tmp_path / "modules.json"
    env = dict(os.environ, K8SLINT_ARGS=json.dumps(list(args)), K8SLINT_MODULES=str(report))
    if cache is not None:
        env["XDG_CACHE_HOME"] = str(cache)
    proc = subprocess.run([sys.executable, "-c", DRIVER], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in proc.stderr, proc.stderr
    data = json.loads(report.read_text())
    return data["code"], set(data["modules"])


def _top(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


# The console script's entry (pyproject.toml [project.scripts]) in a fresh interpreter; it ends the
# process with os._exit, so the module list is written just before.
SCRIPT_DRIVER = """
import json, os, sys
sys.argv = ["k8slint", *json.loads(os.environ["K8SLINT_ARGS"])]
real_exit = os._exit
def record(code):
    with open(os.environ["K8SLINT_MODULES"], "w") as handle:
        json.dump({"code": code, "modules": sorted(sys.modules)}, handle)
    real_exit(code)
os._exit = record
module, _, function = os.environ["K8SLINT_ENTRY"].partition(":")
getattr(__import__(module, fromlist=[function]), function)()
"""


def _script_entry() -> str:
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]["k8slint"].split("#")[0].strip()


def test_version_loads_neither_click_nor_the_checker(tmp_path):
    entry = _script_entry()
    assert entry == "k8slint.entry:run"
    report = tmp_path / "modules.json"
    for flag in ("--version", "-V"):
        env = dict(os.environ, K8SLINT_ARGS=json.dumps([flag]), K8SLINT_MODULES=str(report), K8SLINT_ENTRY=entry)
        proc = subprocess.run([sys.executable, "-c", SCRIPT_DRIVER], env=env, capture_output=True, text=True, timeout=60)
        assert (proc.returncode, proc.stdout, proc.stderr) == (0, f"k8slint {k8slint.__version__}\n", "")
        data = json.loads(report.read_text())
        assert data["code"] == 0
        modules = set(data["modules"])
        loaded = _top(modules)
        for heavy in (*HEAVY, "click", "yaml", "jsonschema_rs", "orjson", "re2", "importlib_metadata"):
            assert heavy not in loaded, heavy
        assert "importlib.metadata" not in modules
        assert {m for m in modules if m.startswith("k8slint")} == {"k8slint", "k8slint.entry"}


def test_version_is_what_clicks_version_option_prints(tmp_path):
    """The entry's own answer and click's (a command line it does not shortcut) are the same text;
    anything beyond the lone flag still goes to click."""
    ours = subprocess.run([sys.executable, "-m", "k8slint", "--version"], capture_output=True, text=True, cwd=tmp_path)
    env = dict(os.environ, K8SLINT_ARGS=json.dumps(["--version"]), K8SLINT_MODULES=str(tmp_path / "m.json"))
    clicks = subprocess.run([sys.executable, "-c", DRIVER], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert (ours.returncode, ours.stdout, ours.stderr) == (0, clicks.stdout, clicks.stderr) == (0, f"k8slint {k8slint.__version__}\n", "")
    assert "click" in json.loads((tmp_path / "m.json").read_text())["modules"]  # that one was click's
    bad = subprocess.run([sys.executable, "-m", "k8slint", "--version", "--bogus"], capture_output=True, text=True, cwd=tmp_path)
    assert bad.returncode == 2 and "--bogus" in bad.stderr and not bad.stdout  # click's usage error, not a version


def test_one_small_file_with_a_valid_config_loads_no_heavy_module(tmp_path):
    repo = FIXTURES / "deploy-repo"
    assert (repo / ".k8slint.yaml").is_file(), "the check must read and validate a config"
    args = ("check", "infra/k8s/base/deployments/api.yaml", "--env", "production", "--format", "json")
    cold_code, cold = _imported(tmp_path, *args, cwd=repo, cache=tmp_path / "cache")
    code, modules = _imported(tmp_path, *args, cwd=repo, cache=tmp_path / "cache")
    assert code == cold_code == 1  # the demo's placeholder tag: findings, so every rule really ran
    assert list((tmp_path / "cache" / "k8slint" / "rules").glob("*.json")), "the rule catalogue is cached"
    loaded = _top(modules)
    for heavy in HEAVY:
        assert heavy not in loaded, f"{heavy} imported for a check of one plain file"
    assert "jsonschema_rs" in loaded  # the schema rule and the config verdict
    assert not {"k8slint.render.kustomize", "k8slint.render.helm"} & modules
    # built-in formatters and templates come from k8slint itself: no installed package's metadata is read
    assert "importlib.metadata" not in modules and "importlib_metadata" not in loaded
    # one target renders in this thread: no thread pool (logging, threading plumbing)
    assert "concurrent.futures" not in modules and "logging" not in modules
    # digests from the interpreter's own hash modules: OpenSSL's libcrypto is not loaded
    assert "_hashlib" not in modules and "hashlib" not in modules
    # a plain file is its own source: no kustomize or Helm tracer
    assert not {"k8slint.locate.kustomize", "k8slint.locate.helm"} & modules
    # the cached catalogue names its templates' modules: no package walk, no rule file parsed again
    assert "pkgutil" not in modules
    assert "pkgutil" in cold  # the first run walks k8slint.templates to build the catalogue
    # built-in kinds only: no CRD reader; no kustomization reader for a plain file; difflib only
    # for a suggestion (a misspelt field, param or rule name)
    assert not {"k8slint.crds", "k8slint.render.kustomization", "difflib"} & modules
    # a valid object: the schema error explainer is not loaded
    assert "k8slint.schema_errors" not in modules


def test_builtin_formatter_table_is_what_the_package_registers():
    """formatters.BUILTIN (read without scanning metadata) and the entry points pyproject.toml
    registers name the same classes; an unknown name still finds a plugin (test_formats)."""
    from importlib.metadata import entry_points

    from k8slint import formatters

    registered = {ep.name: ep.value for ep in entry_points(group="k8slint.formatters") if ep.value.startswith("k8slint.")}
    assert registered == formatters.BUILTIN
    for name in formatters.BUILTIN:
        assert issubclass(formatters.get(name), formatters.Formatter)
    with pytest.raises(KeyError, match=r"unknown format 'nope' \(installed: concise, github, json, junit, markdown, sarif, text"):
        formatters.get("nope")


def test_an_invalid_config_still_gets_jsonschemas_wording(tmp_path):
    (tmp_path / ".k8slint.yaml").write_text("fail-on: sometimes\nrulez: {}\n")
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: b}\n")
    proc = subprocess.run([sys.executable, "-m", "k8slint", "check", "cm.yaml"], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 2
    assert "unknown key 'rulez'" in proc.stderr and "fail-on: 'sometimes' is not one of" in proc.stderr, proc.stderr


# -- the fast config verdict is jsonschema's verdict ---------------------------------------------

def _data_files() -> list[tuple[Path, str]]:
    files = [(p, "config.schema.json") for p in sorted(ROOT.glob("fixtures/**/.k8slint.yaml"))]
    files += [(p, "rule.schema.json") for p in sorted((ROOT / "rules").glob("*.yaml"))]
    files += [(p, "rule.schema.json") for p in sorted(ROOT.glob("fixtures/**/.k8slint/rules/*.yaml"))]
    return files


def _mutations(data: dict) -> list:
    out = [data]
    for key in list(data)[:6]:
        for value in ("x", 3, None, [], {"bogus": True}, True, -1, 1.5):
            changed = copy.deepcopy(data)
            changed[key] = value
            out.append(changed)
    out.append({**data, "unknown-key": 1})
    return out


def _jsonschema_valid(instance, schema_name: str) -> bool:
    return not list(validate._validator(schema_name).iter_errors(instance))


def test_fast_verdict_agrees_with_jsonschema_on_every_config_and_rule_file():
    files = _data_files()
    assert len(files) > 50
    checked = 0
    for path, schema in files:
        data = yaml.safe_load(path.read_text())
        if not isinstance(data, dict):
            continue
        for instance in _mutations(data):
            fast = validate.is_valid(instance, schema)
            assert fast is not None, path
            assert fast == _jsonschema_valid(instance, schema), (path, instance)
            checked += 1
    assert checked > 1000


def test_values_jsonschema_rs_cannot_take_fall_back_to_jsonschema():
    import datetime

    assert validate.is_valid({"kubernetes-version": datetime.date(2024, 1, 1)}, "config.schema.json") is None
    assert validate.errors({"kubernetes-version": datetime.date(2024, 1, 1)}, "config.schema.json")


# -- each text parsed once -----------------------------------------------------------------------

def _execute(path: Path, root: Path, out: Path) -> int:
    import k8slint
    from k8slint import report

    result = k8slint.lint([str(path)], env="production", repo_root=str(root))
    report.write(result, [("json", str(out))])
    return result.exit_code


def _count_parses(monkeypatch) -> Counter:
    """Count every text k8slint's loader parses: ``load_text`` replaced in every k8slint module
    that bound it (all of them imported first, so a module loaded during the run counts too)."""
    import importlib
    import pkgutil

    import k8slint.load

    for info in pkgutil.walk_packages(k8slint.__path__, "k8slint."):
        if not info.name.endswith(("__main__", "helm_worker")):
            importlib.import_module(info.name)
    seen: Counter = Counter()
    original = k8slint.load.load_text

    def counting(text, *args, **kwargs):
        seen[text] += 1
        return original(text, *args, **kwargs)

    patched = [name for name, module in list(sys.modules.items())
               if name.startswith("k8slint") and getattr(module, "load_text", None) is original]
    for name in patched:
        monkeypatch.setattr(sys.modules[name], "load_text", counting)
    assert {"k8slint.load", "k8slint.documents", "k8slint.plan.rules", "k8slint.plan.config"} <= set(patched), patched
    return seen


def test_every_yaml_text_is_parsed_once_per_run(tmp_path, monkeypatch):
    """A kustomize overlay: the rendered stream, the kustomization files (read by discovery, the
    preflight, the locator and the source rules alike), the base manifests the locator reads, the
    config and the rule files - each text goes through the loader once; with the rule catalogue
    cached, the rule files not at all."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # cold: the catalogue is built here
    seen = _count_parses(monkeypatch)
    repo = FIXTURES / "violations" / "readiness-probe"  # its finding is located in a base manifest
    code = _execute(repo, repo, tmp_path / "out.json")
    assert code == 1
    report = json.loads((tmp_path / "out.json").read_text())
    files = {f["location"]["file"] for f in report["findings"]}
    assert any(f.startswith("infra/k8s/base/") for f in files), files
    rule_files = len(list((ROOT / "rules").glob("*.yaml")))
    assert len(seen) >= rule_files + 4  # the rule files, the config, the rendered stream, kustomization and base sources
    kustomizations = [text for text in seen if "kind: Kustomization" in text]
    assert len(kustomizations) >= 2, "the overlay's and the base's kustomization"
    twice = {text[:80]: n for text, n in seen.items() if n > 1}
    assert not twice, twice
    rule_texts = {p.read_text(encoding="utf-8") for p in (ROOT / "rules").glob("*.yaml")}
    assert len(rule_texts & set(seen)) == rule_files
    seen.clear()
    assert _execute(repo, repo, tmp_path / "warm.json") == 1
    assert (tmp_path / "warm.json").read_bytes() == (tmp_path / "out.json").read_bytes()
    assert not rule_texts & set(seen), "the cached catalogue is read, not the rule files"
    assert len(seen) >= 4 and not {text[:80]: n for text, n in seen.items() if n > 1}


def test_a_chart_yaml_is_parsed_once_for_every_environment(tmp_path, monkeypatch):
    """The Helm renderer reads Chart.yaml (release name, dependencies) through the run's sources:
    a chart rendered for two environments parses it once."""
    seen = _count_parses(monkeypatch)
    repo = FIXTURES / "deploy-repo"
    chart = repo / "infra" / "helm" / "apps" / "observer"
    import k8slint

    report = k8slint.lint([str(chart.parent)], repo_root=str(repo))  # one render per values-<env>.yaml
    assert [t.label for t in report.targets] == [  # values-prod.yaml as the Application passes it
        "infra/helm/apps/observer [values-staging.yaml]", "observer-helm (Application infra/argocd/applications/observer-helm.yaml)"]
    assert seen[(chart / "Chart.yaml").read_text()] == 1


FLUX_STREAM = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 10m
  path: ./apps
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  namespace: web
data:
  mode: fast
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:latest
"""


def _count_streams(monkeypatch) -> Counter:
    """Count every text k8slint's loader walks (``iter_load``: under ``load_text`` and the
    renderers' stream parsing alike)."""
    import k8slint.load
    import k8slint.render.stream

    seen: Counter = Counter()
    original = k8slint.load.iter_load

    def counting(text, *args, **kwargs):
        seen[text] += 1
        return original(text, *args, **kwargs)

    for module in (k8slint.load, k8slint.render.stream):
        assert module.iter_load is original
        monkeypatch.setattr(module, "iter_load", counting)
    return seen


def test_a_stream_gitops_discovery_reads_is_not_parsed_again_as_a_plain_target(tmp_path, monkeypatch):
    """A stream that holds a Flux object is read by GitOps discovery (to find what it deploys) and
    checked as a plain file: one parse serves both, with the findings and lines of a fresh one."""
    repo = tmp_path / "repo"
    (repo / "apps").mkdir(parents=True)
    (repo / "stream.yaml").write_text(FLUX_STREAM, encoding="utf-8")
    (repo / "apps" / "web.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other}\n", encoding="utf-8")
    seen = _count_streams(monkeypatch)
    shared = k8slint.lint([str(repo / "stream.yaml")], env="production", repo_root=str(repo))
    assert seen[FLUX_STREAM] == 1, "parsed once, by discovery"
    found = {(f.rule, f.location.file, f.location.line) for f in shared.findings}
    assert {("image-tag-latest", "stream.yaml", 36), ("liveness-probe", "stream.yaml", 35),
            ("crd-schema", "stream.yaml", 2)} <= found, found

    from k8slint.documents import SourceCache

    monkeypatch.setattr(SourceCache, "parsed", lambda self, rel: None)  # the plain target parses the file itself
    seen.clear()
    fresh = k8slint.lint([str(repo / "stream.yaml")], env="production", repo_root=str(repo))
    assert seen[FLUX_STREAM] == 2
    assert [f.to_dict() for f in fresh.findings] == [f.to_dict() for f in shared.findings]
    assert fresh.summary == shared.summary


def test_a_charts_values_files_are_parsed_once_by_render_and_locator(tmp_path, monkeypatch):
    """values.yaml and values-<env>.yaml are read by the render (merged for Helm) and by the locator
    (a finding placed on a values line): one parse each."""
    seen = _count_parses(monkeypatch)
    (tmp_path / ".k8slint.yaml").write_text("{}\n")
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("image: nginx:1.27\nreplicas: 1\n")
    (chart / "values-production.yaml").write_text("image: nginx:latest\n")
    (chart / "templates" / "deploy.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: {{ .Values.replicas }}\n"
        "  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n"
        "      containers:\n        - name: web\n          image: {{ .Values.image }}\n")
    import k8slint

    report = k8slint.lint([str(chart)], repo_root=str(tmp_path), select=["image-tag-latest"])
    [finding] = report.findings
    assert (finding.rule, finding.location.file, finding.location.line) == ("image-tag-latest", "chart/values-production.yaml", 1)
    assert seen[(chart / "values.yaml").read_text()] == 1
    assert seen[(chart / "values-production.yaml").read_text()] == 1


# -- work grows linearly with the number of objects ----------------------------------------------

CROSS_OBJECT_FIXTURES = ["service-selector", "hpa-target", "ingress-backend", "claim-exists", "config-ref-exists",
                         "image-pull-secret", "servicemonitor-wiring", "duplicate-object", "namespace"]


def _seed_objects() -> list[dict]:
    objects = []
    for rule in CROSS_OBJECT_FIXTURES:
        for path in sorted((FIXTURES / "rules" / rule / "fail").glob("*.yaml")):
            if path.name in ("kustomization.yaml", "expected.yaml"):
                continue
            objects.extend(d for d in yaml.safe_load_all(path.read_text()) if isinstance(d, dict) and "kind" in d)
    return objects


def _grown(seed: list[dict], copies: int) -> list[dict]:
    """``copies`` copies of the seed, each in a namespace of its own (one app per tenant, the way
    labels repeat across a real render) and with its names made unique."""
    out = []
    for number in range(copies):
        for obj in seed:
            clone = copy.deepcopy(obj)
            clone["metadata"]["name"] = f"{clone['metadata']['name']}-c{number}"
            clone["metadata"]["namespace"] = f"tenant-{number}"
            out.append(clone)
    return out


def _lines_executed(path: Path, root: Path, out: Path) -> int:
    """k8slint source lines executed by one check (sys.settrace line events in k8slint frames)."""
    count = 0

    def local(frame, event, arg):
        nonlocal count
        if event == "line":
            count += 1
        return local

    def global_trace(frame, event, arg):
        return local if frame.f_code.co_filename.startswith(PACKAGE_DIR) else None

    sys.settrace(global_trace)
    try:
        _execute(path, root, out)
    finally:
        sys.settrace(None)
    return count


def test_a_whole_check_does_linear_work_in_the_number_of_objects(tmp_path):
    seed = _seed_objects()
    assert {o["kind"] for o in seed} >= {"Deployment", "Service", "HorizontalPodAutoscaler", "Ingress",
                                          "PersistentVolumeClaim", "ServiceAccount", "ServiceMonitor", "ConfigMap"}
    (tmp_path / ".k8slint.yaml").write_text("fail-on: never\n")
    counts = {}
    for copies in (10, 20, 40):
        path = tmp_path / f"objects-{copies}.yaml"
        path.write_text(yaml.safe_dump_all(_grown(seed, copies), sort_keys=False))
        if copies == 10:  # first-use work (validators, imports) out of the way; the same kinds at every size
            _lines_executed(path, tmp_path, tmp_path / "warm.json")
        counts[copies] = _lines_executed(path, tmp_path, tmp_path / f"out-{copies}.json")
    first, second = counts[20] - counts[10], counts[40] - counts[20]
    # linear: doubling the objects doubles the extra work (identical copies: exactly, but for the
    # findings' sort); a per-object scan of every object of a kind makes this ratio approach 4
    assert second <= 2.15 * first, counts
    report = json.loads((tmp_path / "out-40.json").read_text())
    assert report["summary"]["objects"] == 40 * len(seed)
    rules = {f["rule"] for f in report["findings"]}
    assert {"image-pull-secret", "claim-exists", "service-selector", "hpa-target"} <= rules, rules


# -- fast lookups answer like the obvious ones ----------------------------------------------------

_names = st.sampled_from(["a", "b", "c"])
_kinds = st.sampled_from(["ServiceAccount", "PersistentVolumeClaim", "Service"])
_namespaces = st.sampled_from([None, "x", "y"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_kinds, _names, _namespaces), max_size=25), _kinds, _names, _namespaces)
def test_index_get_answers_like_a_scan(specs, kind, name, namespace):
    from k8slint.check.index import Index
    from k8slint.model import K8sObject

    objects = []
    for position, (k, n, ns) in enumerate(specs):
        meta = {"name": n, **({"namespace": ns} if ns else {})}
        objects.append(K8sObject({"apiVersion": "v1", "kind": k, "metadata": meta}, "f.yaml", position))
    index = Index(objects)
    scan = [o for o in objects if o.kind == kind and o.name == name and (namespace is None or o.namespace in (namespace, None))]
    assert index.get(kind, name, namespace) == scan


_labels = st.dictionaries(st.sampled_from(["app", "tier", "managed-by", "v"]), st.sampled_from(["x", "y", 1, True]), max_size=3)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(_labels, _namespaces), max_size=20), _labels, st.one_of(st.none(), st.sets(st.sampled_from(["x", "y"]))))
def test_label_index_matches_like_a_scan(items, selector, namespaces):
    from k8slint.templates.lookup import LabelIndex

    things = [(position, labels, ns) for position, (labels, ns) in enumerate(items)]
    index = LabelIndex(things)
    wanted = {(str(k), str(v)) for k, v in selector.items()}
    scan = [position for position, labels, ns in things
            if wanted <= {(str(k), str(v)) for k, v in labels.items()}
            and not (namespaces is not None and ns is not None and ns not in namespaces)]
    assert index.match(selector, None, namespaces) == scan


# -- the loader's fast pre-checks answer like the regexes they stand for ---------------------------

_yamlish = st.lists(st.sampled_from([" ", "\t", "\n", "\r", "-", "?", ":", "&a", "!t", "x", "\x85", "\u2028", "[", "{"]),
                    max_size=300).map("".join)


@settings(max_examples=300, deadline=None)
@given(_yamlish, st.integers(0, 60), st.integers(0, 45), st.sampled_from(["- ", "? ", ": ", "-\t", "- &a ", "? !t "]))
def test_loader_prechecks_agree_with_their_regexes(text, indent, run, unit):
    import re

    from k8slint import load
    from k8slint.load import depth as load_depth

    for sample in (text, " " * indent + text, text + "\n" + " " * indent + "x", text + unit * run + text,
                   "\r".join([text, unit * run]), "\t" * (indent // 5) + " " * indent + text):
        assert load_depth.indented(sample) == bool(load_depth.INDENT_HINT.search(sample)), repr(sample)
        assert load_depth.has_run(sample) == bool(load_depth.RUN_HINT.search(sample)), repr(sample)
        breaks = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")
        for start, end in ((0, len(sample)), (1, len(sample) - 1), (len(sample) // 2, len(sample))):
            if start <= end:
                assert load._breaks(sample, start, end) == len(breaks.findall(sample, start, end)), repr(sample)


def test_escape_compiles_its_patterns_when_used_not_at_import():
    """The escaping patterns (two wide Unicode classes: ~16 ms to compile) are paid by the
    formats that use them, not by every run that imports the module."""
    code = ("import k8slint.escape as e\n"
            "assert e._pattern.cache_info().currsize == 0\n"
            "assert e.xml('a\\x00b') == 'a\\\\x00b' and e._pattern.cache_info().currsize == 1\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


# -- patterns compiled on first use (k8slint.lazyre) match what re.compile's do ----------------------

_PATTERNS = st.sampled_from([r"[a-z0-9]+", r"^[ \t]{2}", r"(?P<k>\w+)=(?P<v>.*?)\s*$", r"-[0-9a-z]{3}$", r"a|b*", r"(x)?y", r"\d{3}"])
_FLAGS = st.sampled_from([0, re.M, re.I, re.M | re.S])
_TEXTS = st.lists(st.sampled_from(["a", "b", "x", "y", "=", " ", "\t", "\n", "-", "1", "Z", "k8s", "é"]), max_size=30).map("".join)


@settings(max_examples=300, deadline=None)
@given(_PATTERNS, _FLAGS, _TEXTS)
def test_a_lazy_pattern_matches_what_the_compiled_one_does(pattern, flags, text):
    from k8slint import lazyre

    lazy, compiled = lazyre.compile(pattern, flags), re.compile(pattern, flags)

    def same(a, b):
        return (a.span(), a.groups()) == (b.span(), b.groups()) if a and b else a is b is None

    # the first use compiles (whichever method it is); later ones use the kept methods
    assert [m.span() for m in lazy.finditer(text)] == [m.span() for m in compiled.finditer(text)]
    assert same(lazy.search(text), compiled.search(text)) and same(lazy.match(text), compiled.match(text))
    assert same(lazy.fullmatch(text), compiled.fullmatch(text)) and same(lazy.search(text, 1), compiled.search(text, 1))
    assert lazy.findall(text) == compiled.findall(text) and lazy.split(text) == compiled.split(text)
    assert lazy.sub("_", text) == compiled.sub("_", text) and lazy.subn("_", text, 1) == compiled.subn("_", text, 1)
    assert (lazy.pattern, lazy.flags, lazy.groups, lazy.groupindex) == (compiled.pattern, compiled.flags, compiled.groups, compiled.groupindex)
    assert lazy.compiled() is lazy.compiled()


def test_a_lazy_pattern_compiles_when_first_used_and_then_holds_its_methods():
    from k8slint import lazyre

    lazy = lazyre.compile(r"-[0-9a-z]{10}$")
    assert "_compiled" not in vars(lazy)
    assert lazy.sub("", "app-config-5k2f8hb7tm") == "app-config"
    assert vars(lazy)["_compiled"] == re.compile(r"-[0-9a-z]{10}$") and vars(lazy)["sub"] == vars(lazy)["_compiled"].sub
    with pytest.raises(re.error):  # a bad pattern fails where it is used, as re.compile's error
        lazyre.compile(r"(").search("x")


def test_module_patterns_compiled_on_first_use_still_match_the_same():
    """The module constants made lazy in start-up work: each still answers as its pattern does
    (and as the code around it expects)."""
    from k8slint import envs, k8s_schema, load, locate, schema_errors, sensitive
    from k8slint.load import depth
    from k8slint.templates import storage

    assert envs._WORD.findall("prod-eu-2") == ["prod", "eu", "2"]
    assert k8s_schema.parse_version("v1.29.3") == (1, 29) and k8s_schema._VERSION.match("1.x") is None
    assert [m.start() for m in load._DOC_START.finditer("a: 1\n---\nb: 2\n--- x\n---a\n")] == [5, 14]
    assert [m.group(0) for m in load._JSON_TOKEN.finditer('{"a\\"b": [1]}')] == ["{", '"a\\"b"', "[", "]", "}"]
    assert load._LONG_DIGITS.search("1" * 5000) and not load._LONG_DIGITS.search("12")
    assert locate._GENERATED_HASH.sub("", "settings-7h2kmf4t9b") == "settings" and locate._GENERATED_HASH.search("api") is None
    assert schema_errors._PLAIN_KEY.match("app_$-1") and not schema_errors._PLAIN_KEY.match("a.b")
    assert storage._LABEL.fullmatch("fast-ssd") and not storage._LABEL.fullmatch("Fast")
    assert depth.INDENT_HINT.search("x\n" + " " * 50 + "y") and not depth.INDENT_HINT.search(" " * 49 + "y")
    assert sensitive._K8S_NAME.fullmatch("api-tls.v1") and sensitive._DATA_KEY.fullmatch("tls.key")
    assert sensitive._PATH.fullmatch("/run/secrets/db") and not sensitive._PATH.fullmatch("hunter2")
    assert sensitive._ASSIGNMENT.match("  export DB_PASSWORD = s3cret ").group("key", "value") == ("DB_PASSWORD", "s3cret")
    assert sensitive._PLACEHOLDER.fullmatch("${DB_PASSWORD}") and not sensitive._PLACEHOLDER.fullmatch("s3cret")
    assert sensitive._SHOWN_VALUE.fullmatch("v1.2.3") and not sensitive._SHOWN_VALUE.fullmatch("a b")
    assert sensitive.inner_credentials("spring:\n  datasource:\n    password: s3cret\n") == [("spring.datasource.password", 2)]


def test_kustomization_file_names_are_one_list():
    """The render registry names kustomize's files without importing the kustomization reader."""
    from k8slint import render
    from k8slint.render import kustomization

    assert render.KUSTOMIZATION_FILES == kustomization.KUSTOMIZATION_FILES


_globbish = st.lists(st.sampled_from(["a", "b", ".", "/", "*", "-", "\n", "é", "?", "[a]", "[!b]", "\\"]), max_size=12).map("".join)


@settings(max_examples=600, deadline=None)
@given(_globbish, st.lists(st.sampled_from(["a", "b", ".", "/", "-", "\n", "é", "?", "[", "\\", "*"]), max_size=14).map("".join))
def test_globs_match_like_fnmatch(pattern, name):
    """globs.fnmatchcase (no regular expression for '*'-only globs) is fnmatch.fnmatchcase."""
    import fnmatch

    from k8slint import globs

    for glob in (pattern, pattern.replace("?", "").replace("[", ""), "*" + pattern, pattern + "*"):
        for text in (name, glob.replace("*", ""), glob.replace("*", name)):
            assert globs.fnmatchcase(text, glob) == fnmatch.fnmatchcase(text, glob), (text, glob)


def test_globs_of_the_builtin_rules_compile_no_regular_expression(tmp_path):
    """A check of one file matches the built-in rules' file and image globs (all '*'-only)
    without fnmatch's regular expressions: ~85 compiled, a tenth of the run, before."""
    repo = FIXTURES / "deploy-repo"
    driver = DRIVER.replace('json.dump({"code": code, "modules": sorted(sys.modules)}, handle)',
                            'import fnmatch; json.dump({"code": code, "compiled": fnmatch._compile_pattern.cache_info().currsize}, handle)')
    report = tmp_path / "out.json"
    args = ["check", "infra/k8s/base/deployments/api.yaml", "--env", "production", "--format", "json"]
    env = dict(os.environ, K8SLINT_ARGS=json.dumps(args), K8SLINT_MODULES=str(report), XDG_CACHE_HOME=str(tmp_path / "c"))
    proc = subprocess.run([sys.executable, "-c", driver], cwd=repo, env=env, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in proc.stderr, proc.stderr
    data = json.loads(report.read_text())
    assert data == {"code": 1, "compiled": 0}


def test_digests_are_hashlibs():
    import hashlib

    from k8slint import digests

    for data in (b"", b"k8slint", bytes(range(256)) * 40):
        assert digests.sha256(data).hexdigest() == hashlib.sha256(data).hexdigest()
        assert digests.blake2b(data, digest_size=24).hexdigest() == hashlib.blake2b(data, digest_size=24).hexdigest()
    incremental = digests.blake2b(digest_size=24)
    incremental.update(b"k8s")
    incremental.update(b"lint")
    assert incremental.hexdigest() == hashlib.blake2b(b"k8slint", digest_size=24).hexdigest()


# The check's view of PyYAML's reader pattern, from a fresh interpreter running the console script.
YAML_DRIVER = """
import json, os, re, sys
sys.argv = ["k8slint", *json.loads(os.environ["K8SLINT_ARGS"])]
real_compile, real_exit = re.compile, os._exit
def record(code):
    import yaml.reader
    pattern = yaml.reader.Reader.NON_PRINTABLE
    with open(os.environ["K8SLINT_MODULES"], "w") as handle:
        json.dump({"code": code, "type": type(pattern).__name__, "restored": re.compile is real_compile}, handle)
    real_exit(code)
os._exit = record
from k8slint.entry import run
run()
"""


def test_pyyamls_printable_class_is_not_compiled_by_a_check(tmp_path):
    """PyYAML compiles its reader's character class at import (a tenth of a one-file check);
    k8slint reads YAML with libyaml, so a check leaves it to be compiled where it is first used."""
    report = tmp_path / "out.json"
    args = ("check", "infra/k8s/base/deployments/api.yaml", "--env", "production", "--format", "json")
    env = dict(os.environ, K8SLINT_ARGS=json.dumps(list(args)), K8SLINT_MODULES=str(report))
    proc = subprocess.run([sys.executable, "-c", YAML_DRIVER], cwd=FIXTURES / "deploy-repo", env=env,
                          capture_output=True, text=True, timeout=120)
    assert "Traceback" not in proc.stderr, proc.stderr
    data = json.loads(report.read_text())
    # LazyPattern: this PyYAML still compiles the pattern k8slint.load names (a new PyYAML that does not fails here)
    assert data == {"code": 1, "type": "LazyPattern", "restored": True}


def test_pyyamls_pure_python_reader_refuses_what_it_refused():
    script = (
        "import k8slint.load, yaml, re\n"
        "from yaml.reader import Reader\n"
        "assert type(Reader.NON_PRINTABLE).__name__ == 'LazyPattern'\n"
        "reference = re.compile(k8slint.load.PYYAML_NON_PRINTABLE)\n"
        "for text in ['plain', 'tab\\there', 'bell\\x07', 'nul\\x00', 'del\\x7f', 'nel\\x85', '\\ufffe', '\\U0001f600', 'é']:\n"
        "    mine, theirs = Reader.NON_PRINTABLE.search(text), reference.search(text)\n"
        "    assert (mine and mine.span()) == (theirs and theirs.span()), text\n"
        "try:\n"
        "    yaml.load('a: \"\\x07\"', Loader=yaml.SafeLoader)\n"
        "except yaml.reader.ReaderError as exc:\n"
        "    print('refused', exc.character, exc.position)\n"
        "print(yaml.load('a: é', Loader=yaml.SafeLoader))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["refused 7 4", "{'a': 'é'}"]  # the bell at position 4, as before


def test_import_deferring_defers_only_the_named_patterns_and_restores_re_compile(tmp_path, monkeypatch):
    import importlib

    from k8slint import lazyre

    (tmp_path / "k8slint_probe_a.py").write_text("import re\nSLOW = re.compile('[a-z]+')\nOTHER = re.compile('[0-9]+')\n"
                                                 "FLAGGED = re.compile('[a-z]+', re.I)\n")
    (tmp_path / "k8slint_probe_b.py").write_text("import re\nSLOW = re.compile('[a-z]+')\nraise ValueError('broken')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    real = re.compile
    module = lazyre.import_deferring("k8slint_probe_a", frozenset({"[a-z]+"}))
    assert re.compile is real
    assert type(module.SLOW) is lazyre.LazyPattern and module.SLOW.fullmatch("abc")
    assert type(module.OTHER) is re.Pattern and type(module.FLAGGED) is re.Pattern  # other patterns, flags: re's
    assert lazyre.import_deferring("k8slint_probe_a", frozenset()) is module  # imported already: as it is
    with pytest.raises(ValueError, match="broken"):
        lazyre.import_deferring("k8slint_probe_b", frozenset({"[a-z]+"}))
    assert re.compile is real  # restored when the import fails too
    for name in ("k8slint_probe_a", "k8slint_probe_b"):
        sys.modules.pop(name, None)
    importlib.invalidate_caches()
