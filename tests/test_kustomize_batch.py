"""Kustomize targets built in groups (k8slint.render.kustomize_batch): each target's part of a group's
output is its own build's output byte for byte; a group that fails, or whose output is not as
expected, costs time only (each target is then built alone and says its own errors); what kustomize
applies across a whole build is never grouped."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from conftest import CORPUS, FIXTURES, lint, write
from k8slint.plan import Options, make_plan
from k8slint.render import kustomize, kustomize_batch, kustomize_origin, process

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None and shutil.which("kustomize") is None,
                                reason="no kustomize to build with")


DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  labels: {app: api}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.2.3
          envFrom:
            - configMapRef: {name: api-config}
"""

CLUSTER_ROLE = """apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: api-reader
rules:
  - apiGroups: [""]
    resources: [pods]
    verbs: [get]
"""


def _overlays_repo(root: Path) -> Path:
    """A base with a generated ConfigMap and a cluster-scoped object, overlays that rename and
    patch it, one that changes nothing (its objects carry no transformer but the group's), one
    rendering nothing, and one using a component."""
    files = {
        ".git/HEAD": "ref: refs/heads/main\n",
        "base/kustomization.yaml": "resources: [deployment.yaml, clusterrole.yaml]\n"
                                   "configMapGenerator:\n- name: api-config\n  literals: [MODE=base]\n",
        "base/deployment.yaml": DEPLOYMENT,
        "base/clusterrole.yaml": CLUSTER_ROLE,
        "components/probe/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
                                               "patches:\n- path: probe.yaml\n",
        "components/probe/probe.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n"
                                       "  template:\n    spec:\n      containers:\n        - name: api\n"
                                       "          readinessProbe: {httpGet: {path: /ready, port: 8080}}\n",
        "plain/kustomization.yaml": "resources: [job.yaml]\n",
        "plain/job.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: untouched}\ndata: {a: '1'}\n",
        "empty/kustomization.yaml": "resources: []\n",
    }
    for env in ("staging", "production", "qa"):
        files[f"overlays/{env}/kustomization.yaml"] = (
            f"namespace: {env}\nnamePrefix: {env}-\nresources: [../../base]\n"
            + ("components: [../../components/probe]\n" if env == "qa" else "")
            + f"configMapGenerator:\n- name: api-config\n  behavior: merge\n  literals: [MODE={env}]\n"
            f"images:\n- name: ghcr.io/acme/api\n  newTag: '{len(env)}.0.0'\n")
    return write(root, files)


def _alone(target, settings, command) -> process.Ran:
    """The target built as its own render builds it: its wrapper one level under the temporary folder."""
    wrapper = os.path.realpath(tempfile.mkdtemp(prefix="k8slint-test-"))
    try:
        metadata = kustomize_batch._annotated(target, settings)  # as its render asks
        Path(wrapper, "kustomization.yaml").write_bytes(kustomize._wrapper(target.path, wrapper, None, (), metadata))
        return process._run_bounded([*command, wrapper], timeout=120, max_output=settings.max_file_size,
                                    memory=settings.render_memory)
    finally:
        shutil.rmtree(wrapper, ignore_errors=True)


def _grouped_and_alone(repo: Path) -> tuple[int, int]:
    """Build the repository's groupable targets in one group and each alone; every part kept from
    the group must be the target's own output. (parts compared, groupable targets)."""
    settings = make_plan(Options(paths=[str(repo)], repo_root=str(repo))).settings
    plan = make_plan(Options(paths=[str(repo)], repo_root=str(repo)))
    settings = plan.settings
    command = kustomize.kustomize_command()
    targets = [t for t in plan.targets if kustomize_batch.groupable(t, settings) and not kustomize.preflight(t.path, settings)]
    if len(targets) < 2:
        return 0, len(targets)
    kustomize_batch.build(targets, settings, command)
    compared = 0
    for target in targets:
        kept = kustomize_batch.take(settings, target.path)
        if kept is None:
            continue
        alone = _alone(target, settings, command)
        assert (alone.status, alone.returncode) == ("ok", 0), target.display
        assert kept[0].stdout.decode() == alone.stdout.decode(), f"{repo.name}: {target.display}"
        assert kept[0].returncode == 0 and kustomize_batch.take(settings, target.path) is None  # handed out once
        compared += 1
    return compared, len(targets)


@pytest.fixture(params=["modelled", "annotated"])
def provenance(request, monkeypatch):
    """Each group built as it is (the overlays' trees are modelled: no provenance annotations), and
    as if no tree were modelled (kustomize's annotations asked for)."""
    if request.param == "annotated":
        monkeypatch.setattr(kustomize_origin, "model", lambda directory, settings: None)
    return request.param


def test_each_part_of_a_group_is_the_targets_own_build(tmp_path, provenance):
    repo = _overlays_repo(tmp_path / "repo")
    compared, groupable = _grouped_and_alone(repo)
    assert (compared, groupable) == (5, 5)  # three overlays (one with a component), the untouched one, the empty one


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus not present")
def test_corpus_and_fixture_kustomizations_cut_into_their_own_builds(provenance):
    compared = 0
    for repo in [FIXTURES / "deploy-repo", *sorted(p for p in CORPUS.iterdir() if p.is_dir())]:
        done, _ = _grouped_and_alone(repo)
        compared += done
    assert compared >= 8  # podinfo's and podinfo-deploy's overlays, the demo's and flux's kustomizations


def test_a_whole_run_reports_the_same_grouped_or_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("K8SLINT_NO_CACHE", "1")
    repo = _overlays_repo(tmp_path / "repo")
    (repo / "overlays" / "production" / "kustomization.yaml").write_text(
        (repo / "overlays" / "production" / "kustomization.yaml").read_text().replace("newTag: '10.0.0'", "newTag: latest"))
    runs = process.RUNS[0]
    grouped = lint(cwd=repo, env="production")
    grouped_children = process.RUNS[0] - runs
    monkeypatch.setattr(kustomize_batch, "groups", lambda targets, settings, jobs: [[t] for t in targets])
    runs = process.RUNS[0]
    alone = lint(cwd=repo, env="production")
    assert process.RUNS[0] - runs == 5 and grouped_children <= 2  # five builds alone, one or two groups
    assert grouped.out == alone.out
    assert ("image-tag-latest", "overlays/production/kustomization.yaml", 10) in grouped.findings()


def test_a_group_that_cannot_be_built_is_built_one_by_one(tmp_path, monkeypatch):
    """Two overlays making the same object (no namespace, no prefix) cannot share a build, and one
    with a broken patch fails any build it is in: each target's own build then answers, with its
    own error at its own line, and the report is the one built alone."""
    files = {
        ".git/HEAD": "ref: refs/heads/main\n",
        "base/kustomization.yaml": "resources: [deployment.yaml]\nconfigMapGenerator:\n- name: api-config\n  literals: [A=1]\n",
        "base/deployment.yaml": DEPLOYMENT,
        "one/kustomization.yaml": "resources: [../base]\n",
        "two/kustomization.yaml": "resources: [../base]\n",
        "broken/kustomization.yaml": "namespace: broken\nresources: [../base]\npatches:\n- path: missing.yaml\n",
    }
    repo = write(tmp_path / "repo", files)
    monkeypatch.setenv("K8SLINT_NO_CACHE", "1")
    runs = process.RUNS[0]
    grouped = lint(cwd=repo, env="staging")
    assert process.RUNS[0] - runs == 4  # the failed group, then each of the three alone
    errors = [f for f in grouped.json["findings"] if f["rule"] == "render-error"]
    assert [(f["location"]["file"], f["location"]["line"], f["target"]) for f in errors] == \
        [("broken/kustomization.yaml", 4, "broken")]
    assert "missing.yaml" in errors[0]["message"]
    assert {t["target"]: (t["objects"], t["failed"]) for t in grouped.json["targets"]} == \
        {"broken": (0, True), "one": (2, False), "two": (2, False)}
    monkeypatch.setattr(kustomize_batch, "groups", lambda targets, settings, jobs: [[t] for t in targets])
    assert lint(cwd=repo, env="staging").out == grouped.out


def test_what_kustomize_applies_across_a_build_is_never_grouped(tmp_path):
    """vars are resolved across every object of a build: in a group, one overlay's var would fill
    another's $(NAME). configurations, crds and openapi likewise reach the whole build."""
    files = {
        ".git/HEAD": "ref: refs/heads/main\n",
        "base/kustomization.yaml": "resources: [deployment.yaml]\n",
        "base/deployment.yaml": DEPLOYMENT.replace("image: ghcr.io/acme/api:1.2.3",
                                                   "image: ghcr.io/acme/api:1.2.3\n          args: [\"$(API_HOST)\"]"),
        "a/kustomization.yaml": "namespace: a\nresources: [../base, svc.yaml]\nvars:\n- name: API_HOST\n"
                                "  objref: {kind: Service, name: api-host, apiVersion: v1}\n",
        "a/svc.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: api-host}\nspec: {ports: [{port: 80}]}\n",
        "b/kustomization.yaml": "namespace: b\nresources: [../base]\n",
        "c/kustomization.yaml": "namespace: c\nresources: [../base]\nconfigurations: [conf.yaml]\n",
        "c/conf.yaml": "nameReference: []\n",
        "d/kustomization.yaml": "namespace: d\nresources: [../base]\ncrds: []\n",
        "e/kustomization.yaml": "namespace: e\nresources: [../base]\nopenapi: {version: v1.21.2}\n",
        "f/kustomization.yaml": "namespace: f\nresources: [../base]\n",
    }
    repo = write(tmp_path / "repo", files)
    plan = make_plan(Options(paths=[str(repo)], repo_root=str(repo)))
    can = {t.display: kustomize_batch.groupable(t, plan.settings) for t in plan.targets}
    assert can == {"a": False, "b": True, "c": False, "d": False, "e": False, "f": True}
    assert kustomize_batch.groups(plan.targets, plan.settings, 2) == [
        [t for t in plan.targets if t.display in ("b", "f")], *[[t] for t in plan.targets if t.display in "acde"]]
    # the reason: built with a, b's $(API_HOST) is filled by a's var; a group holding both is
    # refused by its cut too (b's output would name a's Service), so its targets are built alone
    a, b = (next(t for t in plan.targets if t.display == name) for name in "ab")
    command = kustomize.kustomize_command()
    kustomize_batch.build([a, b], plan.settings, command)
    together = kustomize_batch.take(plan.settings, b.path)
    alone = _alone(b, plan.settings, command).stdout.decode()
    assert "$(API_HOST)" in alone
    assert together is None


MARK = "k8slint.invalid/batch-00ff"
ENTRY = ("      - configuredIn: ../k8slint-w{n}/kustomization.yaml\n        configuredBy:\n          apiVersion: builtin\n"
         "          kind: AnnotationsTransformer\n          name: batch-00ff\n")


def _document(n: int, extra: str = "", entry: bool = True, others: str = "") -> str:
    return ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  annotations:\n"
            "    alpha.config.kubernetes.io/transformations: |\n" + others + (ENTRY.format(n=n) if entry else "")
            + "    config.kubernetes.io/origin: |\n      path: x.yaml\n" + f"    {MARK}: t{n}\n" + extra
            + f"  name: c{n}\n")


def test_the_cut_removes_the_mark_and_its_entry_only():
    other = "      - configuredIn: ../repo/kustomization.yaml\n        configuredBy:\n          apiVersion: builtin\n" \
            "          kind: NamespaceTransformer\n"
    text = _document(1, others=other) + "---\n" + _document(0) + "---\n" + _document(1)
    parts = kustomize_batch.cut(text, MARK, ["../k8slint-w0", "../k8slint-w1"])
    assert parts is not None
    own0 = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  annotations:\n    config.kubernetes.io/origin: |\n"
            "      path: x.yaml\n  name: c0\n")  # only the group's entry: the annotation goes
    assert parts[0] == own0
    assert parts[1].count("---\n") == 1 and "batch-00ff" not in parts[1] and "NamespaceTransformer" in parts[1]
    assert parts[1].startswith("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  annotations:\n"
                               "    alpha.config.kubernetes.io/transformations: |\n" + other)


@pytest.mark.parametrize("text", [
    _document(0, entry=False),  # the group's entry missing
    _document(0).replace(f"    {MARK}: t0\n", ""),  # no mark
    _document(0, extra=f"    {MARK}: t0\n"),  # two marks
    _document(0).replace(": t0\n", ": t7\n"),  # a number no target has
    _document(0).replace(": t0\n", ": t00\n"),
    _document(0, extra="    note: batch-00ff elsewhere\n"),  # the mark's name anywhere else
    _document(0).rstrip("\n"),  # not kustomize's last newline
    _document(0) + "---\n" + _document(1).replace("w1", "w0"),  # an entry naming another target's wrapper
])
def test_an_output_not_as_a_group_writes_it_is_not_cut(text):
    assert kustomize_batch.cut(text, MARK, ["../k8slint-w0", "../k8slint-w1"]) is None


def test_an_empty_output_is_each_targets_empty_output():
    assert kustomize_batch.cut("", MARK, ["../k8slint-w0", "../k8slint-w1"]) == ["", ""]


@pytest.mark.parametrize("kustomization", [
    "configMapGenerator:\n- name: api-config\n  literals: [A=1]\n",  # a generated name's hash
    "namePrefix: y-\nresources: [cm.yaml]\n",
    "nameSuffix: -y\nresources: [cm.yaml]\n",
])
def test_a_reference_another_target_would_capture_keeps_the_targets_apart(tmp_path, kustomization):
    """x refers to a ConfigMap it does not make (its cluster has one); y makes one of that name and
    renames it. Built together, kustomize points x's reference at y's object: such a group is
    not used, and each is built alone."""
    files = {".git/HEAD": "ref: refs/heads/main\n", "x/kustomization.yaml": "resources: [deployment.yaml]\n",
             "x/deployment.yaml": DEPLOYMENT, "y/kustomization.yaml": kustomization,
             "y/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: api-config}\ndata: {A: '1'}\n"}
    repo = write(tmp_path / "repo", files)
    plan = make_plan(Options(paths=[str(repo)], repo_root=str(repo)))
    x, y = (next(t for t in plan.targets if t.display == name) for name in "xy")
    assert kustomize_batch.groups([x, y], plan.settings, 2) == [[x, y]]
    kustomize_batch.build([x, y], plan.settings, kustomize.kustomize_command())
    assert kustomize_batch.take(plan.settings, x.path) is None and kustomize_batch.take(plan.settings, y.path) is None
    alone = _alone(x, plan.settings, kustomize.kustomize_command()).stdout.decode()
    assert "name: api-config\n" in alone


@pytest.mark.parametrize(("line", "values"), [
    ("            name: api-config", ["api-config"]),
    ("      - name: 'api-config'", ["api-config"]),
    ("        serviceAccountName: runner", ["runner"]),
    ("    nginx.ingress.kubernetes.io/auth-secret: basic", ["basic"]),
    ("    app: frontend", []),  # a label is never rewritten
    ("        image: ghcr.io/acme/api:1.2.3", []),
    ("      - pods", ["pods"]),  # a list item (resourceNames) always counts
    ("    resourceNames: [a, 'b']", ["resourceNames", "a", "b"]),
])
def test_the_values_a_name_reference_could_have_written(line, values):
    assert kustomize_batch._references(line) == values


def test_overlays_that_would_make_the_same_objects_are_never_put_together(tmp_path):
    """staging and production of one base in one namespace (two clusters) make the same objects:
    never grouped, so no build is spent on a group that must fail. In distinct namespaces, or
    with their own prefixes, they share a build."""
    files = {".git/HEAD": "ref: refs/heads/main\n", "base/kustomization.yaml": "resources: [deployment.yaml]\n",
             "base/deployment.yaml": DEPLOYMENT, "other/kustomization.yaml": "resources: [cm.yaml]\n",
             "other/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other}\n",
             "copy/kustomization.yaml": "resources: [deployment.yaml]\n", "copy/deployment.yaml": DEPLOYMENT,
             "direct/kustomization.yaml": "resources: [../base]\n"}
    for env in ("staging", "production"):
        files[f"same/{env}/kustomization.yaml"] = "namespace: app\nresources: [../../base]\n"
        files[f"spaced/{env}/kustomization.yaml"] = f"namespace: app-{env}\nresources: [../../base]\n"
        files[f"prefixed/{env}/kustomization.yaml"] = f"namespace: app\nnamePrefix: {env}-\nresources: [../../base]\n"
    repo = write(tmp_path / "repo", files)
    plan = make_plan(Options(paths=[str(repo)], repo_root=str(repo)))
    by_name = {t.display: t for t in plan.targets}

    def shown(names: list[str]) -> list[list[str]]:
        return sorted(sorted(t.display for t in group) for group in
                      kustomize_batch.groups([by_name[n] for n in names], plan.settings, 2))

    assert shown(["same/staging", "same/production"]) == [["same/production"], ["same/staging"]]
    assert shown(["spaced/staging", "spaced/production"]) == [["spaced/production", "spaced/staging"]]
    assert shown(["prefixed/staging", "prefixed/production"]) == [["prefixed/production", "prefixed/staging"]]
    assert shown(["same/staging", "same/production", "other"]) == [["other", "same/staging"], ["same/production"]] or \
        shown(["same/staging", "same/production", "other"]) == [["other", "same/production"], ["same/staging"]]
    # two copies of one app in files of their own, in no namespace: the same objects too
    assert shown(["copy", "spaced/staging"]) == [["copy", "spaced/staging"]]
    assert shown(["copy", "direct"]) == [["copy"], ["direct"]]


def test_each_overlay_built_in_a_group_is_cached_as_its_own_build(tmp_path, home):
    """A group's parts are kept in the render cache under each overlay's own key: the next run
    starts no child and writes the same report, an edited overlay is built again (alone: the
    others are answered from the cache), and a run that groups nothing finds the same entries."""
    repo = _overlays_repo(tmp_path / "repo")
    uncached = lint(cwd=repo, env="production", cache=False)
    runs = process.RUNS[0]
    cold = lint(cwd=repo, env="production")
    assert process.RUNS[0] - runs <= 2 and len(list((home / "render").glob("*"))) >= 5
    runs = process.RUNS[0]
    warm = lint(cwd=repo, env="production")
    assert process.RUNS[0] - runs == 0
    assert cold.out == uncached.out == warm.out
    staging = repo / "overlays" / "staging" / "kustomization.yaml"
    staging.write_text(staging.read_text().replace("MODE=staging", "MODE=stage"))
    runs = process.RUNS[0]
    edited = lint(cwd=repo, env="production")
    assert process.RUNS[0] - runs == 1
    assert edited.out == lint(cwd=repo, env="production", cache=False).out


def _application(name: str, path: str, kustomize_options: str = "") -> str:
    return ("apiVersion: argoproj.io/v1alpha1\nkind: Application\n"
            f"metadata: {{name: {name}, namespace: argocd}}\n"
            "spec:\n  project: default\n  source:\n    repoURL: https://github.com/acme/apps.git\n"
            f"    targetRevision: main\n    path: {path}\n{kustomize_options}"
            f"  destination: {{server: https://kubernetes.default.svc, namespace: {name}}}\n")


def test_applications_deploying_overlays_as_they_are_are_built_together(tmp_path, monkeypatch):
    """An Argo CD Application deploying an overlay with no kustomize options is built as the
    overlay is, so in a group; one that adds options (a prefix) wraps the build: alone. The report
    is the one every target built alone gives."""
    monkeypatch.setenv("K8SLINT_NO_CACHE", "1")
    files = {".git/HEAD": "ref: refs/heads/main\n",
             ".k8slint.yaml": "gitops:\n  repo-urls: [https://github.com/acme/apps.git]\n",
             "base/kustomization.yaml": "resources: [deployment.yaml]\n", "base/deployment.yaml": DEPLOYMENT,
             "apps/staging.yaml": _application("staging", "overlays/staging"),
             "apps/production.yaml": _application("production", "overlays/production"),
             "apps/preview.yaml": _application("preview", "overlays/preview", "    kustomize: {namePrefix: pr-}\n")}
    for env in ("staging", "production", "preview"):
        files[f"overlays/{env}/kustomization.yaml"] = f"namespace: {env}\nresources: [../../base]\n"
    repo = write(tmp_path / "repo", files)
    plan = make_plan(Options(paths=[str(repo)], repo_root=str(repo)))
    deployed = [t for t in plan.targets if t.deployed_by]
    assert len(deployed) == 3
    from k8slint.render import groups

    shown = sorted(sorted(t.display for t in group) for group in groups(deployed, plan.settings, 2))
    assert shown == [["overlays/preview"], ["overlays/production", "overlays/staging"]]
    runs = process.RUNS[0]
    grouped = lint(cwd=repo, env="production")
    assert process.RUNS[0] - runs == 2  # the two plain overlays in one kustomize run, the prefixed one alone
    monkeypatch.setattr(kustomize_batch, "groups", lambda targets, settings, jobs: [[t] for t in targets])
    runs = process.RUNS[0]
    alone = lint(cwd=repo, env="production")
    assert process.RUNS[0] - runs == 3
    assert grouped.out == alone.out
    names = {f["object"]["name"] for f in grouped.json["findings"] if f.get("object")}
    assert "pr-api" in names and "api" in names
