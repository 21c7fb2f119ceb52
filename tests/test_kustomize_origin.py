"""Provenance worked out from the kustomization tree (k8slint.render.kustomize_origin), so a plain
overlay is built without kustomize's provenance annotations: every answer is what kustomize's own
annotations say, on the fixtures and the corpus; a tree with anything not modelled is built with
the annotations; an object the model cannot place makes its target build again with them."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from conftest import CORPUS, FIXTURES, lint, write
from k8slint.plan import Options, make_plan
from k8slint.render import kustomize, kustomize_origin, process

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None and shutil.which("kustomize") is None,
                                reason="no kustomize to build with")

REPOS = [FIXTURES / name for name in ("deploy-repo", "locations", "shared-base", "violations", "gitops", "discovery",
                                      "custom-rules", "rules")]


def _compared(repo: Path) -> tuple[int, int]:
    """Every modelled kustomize target of ``repo`` built with kustomize's annotations: each object's
    origin, generator and transformations must be the model's. (targets compared, objects)."""
    plan = make_plan(Options(paths=[str(repo)], repo_root=str(repo), cache=False))
    settings = plan.settings
    settings.cache["deadline-at"] = time.monotonic() + settings.deadline
    targets = objects = 0
    seen = set()
    for target in plan.targets:
        if target.kind != "kustomize" or target.path in seen or not target.path.is_dir():
            continue  # an Application's overlay is built as the overlay is (its options aside)
        seen.add(target.path)
        if target.deployed_by:
            target = dataclasses.replace(target, deployed_by="")
        model = kustomize_origin.model(target.path, settings)
        if model is None:
            continue
        annotated = kustomize.render_kustomization(target, settings, metadata=True)
        assert not annotated.failed, target.display
        for obj in annotated.objects:
            assert model.place(obj.kind, obj.name) == (obj.origin, obj.origin_generator, obj.transformers), (
                f"{repo.name}: {target.display}: {obj.kind} {obj.name}")
            objects += 1
        assert model.assign(annotated.objects), target.display  # each object of the tree rendered once
        targets += 1
    return targets, objects


def test_the_model_is_what_kustomize_annotates_on_the_fixtures():
    targets, objects = zip(*(_compared(repo) for repo in REPOS))
    assert sum(targets) >= 100 and sum(objects) >= 300


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus not present")
def test_the_model_is_what_kustomize_annotates_on_the_corpus():
    targets, objects = zip(*(_compared(repo) for repo in sorted(p for p in CORPUS.iterdir() if p.is_dir())))
    # podinfo's and podinfo-deploy's overlays (transformers: files), microservices-demo's components, flux's
    assert sum(targets) >= 20 and sum(objects) >= 200


OVERLAY = {
    "base/kustomization.yaml": "resources: [deployment.yaml, config.yaml]\nnamePrefix: app-\n"
                               "labels:\n- pairs: {team: web}\nconfigMapGenerator:\n- name: env\n  literals: [A=1]\n",
    "base/deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n"
                            "  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n"
                            "    spec:\n      containers:\n        - name: api\n          image: ghcr.io/acme/api:1.0.0\n",
    "base/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {a: b}\n",
    "overlays/production/kustomization.yaml": "resources: [../../base]\nnamespace: shop\nnameSuffix: -prod\n"
                                              "images:\n- name: ghcr.io/acme/api\n  newTag: latest\n",
}


def _wrappers(monkeypatch) -> list[str]:
    """The wrapper kustomizations kustomize is asked to build (recorded as they are run)."""
    seen: list[str] = []
    run = process.run_bounded

    def recorded(argv, **limits):
        seen.append(Path(argv[-1], "kustomization.yaml").read_text())
        return run(argv, **limits)

    monkeypatch.setattr(kustomize, "run_bounded", recorded)
    return seen


def test_a_modelled_overlay_is_built_without_annotations_and_located_as_before(tmp_path, monkeypatch):
    repo = write(tmp_path, OVERLAY)
    seen = _wrappers(monkeypatch)
    found = lint("overlays/production", cwd=repo, repo_root=str(repo), cache=False)
    assert len(seen) == 1 and "buildMetadata" not in seen[0]
    latest = [f for f in found.json["findings"] if f["rule"] == "image-tag-latest"]
    assert [(f["location"]["file"], f["location"]["line"]) for f in latest] == [("overlays/production/kustomization.yaml", 6)]
    assert "Deployment shop/app-api-prod uses image 'ghcr.io/acme/api:latest'" in latest[0]["message"]
    # the rendered stream's lines are those `kustomize build` prints (no annotations shift them)
    built = subprocess.run([*kustomize.kustomize_command(), str(repo / "overlays" / "production")], capture_output=True,
                           text=True, check=True).stdout.splitlines()
    assert built[latest[0]["rendered"]["line"] - 1].strip() == "- image: ghcr.io/acme/api:latest"
    # and the same report as with kustomize's annotations, but for those lines
    monkeypatch.setattr(kustomize_origin, "model", lambda directory, settings: None)
    annotated = lint("overlays/production", cwd=repo, repo_root=str(repo), cache=False)
    assert "buildMetadata" in seen[-1]
    assert _but_rendered(annotated.json["findings"]) == _but_rendered(found.json["findings"])
    assert len(found.json["findings"]) >= 3


def _but_rendered(findings: list[dict]) -> list[dict]:
    return [{k: v for k, v in f.items() if k != "rendered"} for f in findings]


@pytest.mark.parametrize("patch, name", [
    ("- op: replace\n      path: /metadata/name\n      value: renamed", "renamed-prod"),  # a name no object has
    ("- op: replace\n      path: /metadata/name\n      value: settings", "settings-prod"),  # another object's name
])
def test_an_object_the_model_cannot_place_is_built_again_with_annotations(tmp_path, monkeypatch, patch, name):
    """A JSON patch renames the Deployment: no object of the tree has that name (or the name the
    model gives another object of that kind... a ConfigMap's, so not this), so the model cannot
    say where it comes from, and kustomize is asked."""
    files = dict(OVERLAY)
    files["overlays/production/kustomization.yaml"] += (
        f"patches:\n- target: {{kind: Deployment}}\n  patch: |-\n    {patch}\n")
    repo = write(tmp_path, files)
    seen = _wrappers(monkeypatch)
    found = lint("overlays/production", cwd=repo, repo_root=str(repo), cache=False)
    assert ["buildMetadata" in text for text in seen] == [False, True]
    latest = [f for f in found.json["findings"] if f["rule"] == "image-tag-latest"]
    assert [(f["location"]["file"], f["location"]["line"]) for f in latest] == [("overlays/production/kustomization.yaml", 6)]
    assert f"Deployment shop/{name} uses image 'ghcr.io/acme/api:latest'" in latest[0]["message"]


@pytest.mark.parametrize("what, files", [
    ("a patch that may delete an object", {
        "overlays/production/kustomization.yaml": "resources: [../../base]\npatches:\n- path: drop.yaml\n",
        "overlays/production/drop.yaml": "$patch: delete\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: app-settings}\n"}),
    ("a transformer that renames", {
        "overlays/production/kustomization.yaml": "resources: [../../base]\ntransformers: [suffix.yaml]\n",
        "overlays/production/suffix.yaml": "apiVersion: builtin\nkind: PrefixSuffixTransformer\nmetadata: {name: s}\n"
                                           "suffix: -x\nfieldSpecs: [{path: metadata/name}]\n"}),
    ("vars", {"overlays/production/kustomization.yaml": "resources: [../../base]\nvars: []\n"}),
    ("a generator behind a plugin field", {"overlays/production/kustomization.yaml": "resources: [../../base]\ngenerators: []\n"}),
])
def test_a_tree_with_anything_not_modelled_is_annotated_by_kustomize(tmp_path, what, files):
    repo = write(tmp_path, {**OVERLAY, **files})
    settings = make_plan(Options(paths=[str(repo / "overlays" / "production")], repo_root=str(repo), cache=False)).settings
    assert kustomize_origin.model(repo / "overlays" / "production", settings) is None, what
    assert kustomize_origin.model(repo / "base", settings) is not None
