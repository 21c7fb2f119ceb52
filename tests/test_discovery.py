"""Discovery you can trust (issue 12.1, 12.3): every chart (also under `charts/<name>/`) and overlay,
the loose manifests beside them, the same targets however a chart's path is spelled, YAML that is not
Kubernetes left alone quietly, and every other YAML file named; a sane repository root.

fixtures/discovery/ is a repository laid out the ways that used to lose files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pytest

import k8slint
from conftest import CORPUS, FIXTURES, ROOT, k8slint as cli
from k8slint.api import make_plan
from k8slint.plan import Options

REPO = FIXTURES / "discovery"
WHOLE = {
    "app": "unknown",                         # app.yaml beside the chart: a folder of loose manifests
    "app/chart": "unknown",
    "charts/api [values-dev.yaml]": "development",  # charts/<name>/, once per values-<env>.yaml
    "charts/api [values-prod.yaml]": "production",
    "manifests/argocd": "unknown",            # Argo CD objects no unit includes
    "overlays/production": "production",
}


@pytest.fixture(scope="module")
def whole():
    return k8slint.lint([str(REPO)])


def _labels(targets) -> dict[str, str]:
    return {t.label(): t.env for t in targets}


def test_whole_repository_finds_every_unit_and_loose_folder(whole):
    assert {t.label: t.env for t in whole.targets} == WHOLE
    # charts/api/charts/sub is a vendored subchart: rendered by its parent, not a target of its own
    assert "charts/api/charts/sub" not in {t.path for t in whole.targets}
    # manifests/kind-cluster.yaml (a kind config), app/settings.yaml, values files, .github/, mkdocs.yml,
    # .pre-commit-config.yaml, the production patch: recognised, not named; the manifest the base does not list: named
    assert whole.unchecked_files == ["overlays/base/old-cm.yaml"]
    assert whole.summary["unchecked_files"] == ["overlays/base/old-cm.yaml"]
    assert "1 YAML file not checked: overlays/base/old-cm.yaml (no overlay or chart reads it and it is not recognised " \
           "as anything else)" in whole.notes


def test_loose_manifests_and_argo_cd_objects_are_checked(whole):
    found = {(f.rule, f.location.file, f.location.line) for f in whole.findings}
    assert ("image-tag-latest", "app/app.yaml", 17) in found  # beside the chart: no longer skipped silently
    typo = [f for f in whole.findings if f.rule == "crd-schema" and f.location.file == "manifests/argocd/app.yaml"]
    assert [(f.location.line, f.target) for f in typo] == [(10, "manifests/argocd")]
    assert "unknown field spec.source.targetRevison (did you mean targetRevision?)" in typo[0].message
    # the chart under charts/ renders with its production values
    assert ("image-tag-latest", "charts/api/values-prod.yaml", 1) in found


def test_check_dir_with_loose_yaml_beside_a_chart_reports_the_loose_yaml():
    report = k8slint.lint([str(REPO / "app")])
    assert {t.label for t in report.targets} == {"app", "app/chart"}
    assert [(f.location.file, f.location.line) for f in report.findings if f.rule == "image-tag-latest"] == [
        ("app/app.yaml", 17)]


@pytest.mark.parametrize("cwd, spelling", [(".", "charts/api"), (".", "charts/api/"), (".", "charts/api/Chart.yaml"),
                                            ("charts/api", "."), ("charts", "api"), ("app", "../charts/api")])
def test_a_chart_gives_the_same_targets_however_it_is_named(cwd, spelling, monkeypatch):
    monkeypatch.chdir(REPO / cwd)
    expected = {label: env for label, env in WHOLE.items() if label.startswith("charts/api")}
    assert _labels(k8slint.targets([spelling])) == expected


def test_a_chart_that_is_the_repository_root_gives_the_same_targets(tmp_path: Path):
    import shutil

    shutil.copytree(REPO / "charts" / "api", tmp_path / "api")
    (tmp_path / "api" / ".git").mkdir()
    assert _labels(k8slint.targets([str(tmp_path / "api")])) == {". [values-dev.yaml]": "development",
                                                                  ". [values-prod.yaml]": "production"}


def test_env_or_values_pick_one_render_of_a_chart(monkeypatch):
    monkeypatch.chdir(REPO)
    assert _labels(k8slint.targets(["charts/api"], env="prod")) == {"charts/api [values-prod.yaml]": "production"}
    assert _labels(k8slint.targets([], env="dev"))["charts/api [values-dev.yaml]"] == "development"
    assert not any(label.startswith("charts/api [values-prod") for label in _labels(k8slint.targets([], env="dev")))
    own = k8slint.targets(["charts/api"], values=["charts/api/values-dev.yaml"])
    assert [t.label() for t in own] == ["charts/api [values-dev.yaml]"]  # the user's values: one render


def test_list_targets_and_json_show_the_same_picture(tmp_path: Path):
    listed = cli("check", "--list-targets", cwd=REPO)
    assert listed.code == 0
    assert listed.out.splitlines() == [f"{label}\t{env}" for label, env in sorted(WHOLE.items())]
    assert listed.err == ("k8slint: note: 1 YAML file not checked: overlays/base/old-cm.yaml (no overlay or chart reads it "
                          "and it is not recognised as anything else)\n")
    report = tmp_path / "report.json"
    result = cli("check", "--format", "text", "--format", "json", "--output", "-", "--output", str(report), cwd=REPO)
    assert result.code == 1
    assert "note: 1 YAML file not checked: overlays/base/old-cm.yaml" in result.out
    document = json.loads(report.read_text())
    jsonschema.validate(document, json.loads((ROOT / "schemas" / "output.schema.json").read_text()))
    assert document["summary"]["unchecked_files"] == ["overlays/base/old-cm.yaml"]


def test_the_text_note_is_bounded(tmp_path: Path):
    (tmp_path / ".k8slint.yaml").write_text("{}\n")
    app = tmp_path / "app"
    app.mkdir()
    (app / "kustomization.yaml").write_text("resources: [cm.yaml]\n")
    (app / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: b}\n")
    for i in range(25):
        (app / f"left-{i:02}.yaml").write_text(f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: l{i}, namespace: b}}\n")
    report = k8slint.lint([str(tmp_path)], env="dev")
    assert len(report.unchecked_files) == 25
    note = next(n for n in report.notes if "not checked" in n)
    assert note.startswith("25 YAML files not checked: app/left-00.yaml, app/left-01.yaml, ")
    assert "app/left-09.yaml, ... (15 more)" in note and "left-10" not in note


def test_excluded_folders_are_neither_checked_nor_named(tmp_path: Path):
    (tmp_path / ".k8slint.yaml").write_text("exclude: [legacy/]\n")
    for folder in ("legacy", "current"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: b}\n")
    (tmp_path / "legacy" / "kustomization.yaml").write_text("resources: []\n")
    (tmp_path / "legacy" / "deeper").mkdir()
    (tmp_path / "legacy" / "deeper" / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b, namespace: b}\n")
    report = k8slint.lint([str(tmp_path)], env="dev")
    assert [t.label for t in report.targets] == ["current"] and report.unchecked_files == []


# -- a sane repository root ---------------------------------------------------------------------------------------
CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: prj-01\ndata: {a: b}\n"


def _big_cwd(tmp_path: Path) -> Path:
    """A folder that is no repository: loose application files, and one manifest to check."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("print('hi')\n")
    (tmp_path / "Dockerfile").write_text("FROM python:3.12\n")
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "cm.yaml").write_text(CM)
    return tmp_path


def test_a_file_in_a_folder_without_a_repository_does_not_make_the_cwd_the_repository(tmp_path, monkeypatch):
    monkeypatch.chdir(_big_cwd(tmp_path))
    report = k8slint.lint(["deploy/cm.yaml"], env="dev")
    assert [(f.rule, f.location.file) for f in report.findings] == []  # no Dockerfile, no app.py: not given
    plan = make_plan(Options(paths=["deploy/cm.yaml"], env="dev"))
    assert plan.settings.sources.files() == ["deploy/cm.yaml"]
    # with a repository around it, a check of the whole repository covers the repository; a path given
    # still reports only the files it holds or reads (issue 11: no Dockerfile in every overlay's job)
    (tmp_path / ".git").mkdir()
    assert [(f.rule, f.location.file) for f in k8slint.lint(["deploy/cm.yaml"], env="dev").findings] == []
    report = k8slint.lint([], env="dev")
    assert {(f.rule, f.location.file) for f in report.findings} >= {("no-dockerfile", "Dockerfile"),
                                                                      ("no-app-source", "src/app.py")}


def test_a_stream_on_stdin_runs_no_repository_rules_and_says_so_once(tmp_path, monkeypatch):
    monkeypatch.chdir(_big_cwd(tmp_path))
    report = k8slint.lint(["-"], env="dev", stdin=CM.encode())
    assert report.findings == []
    assert [n for n in report.notes if "repository rules" in n] == [
        "repository rules not run: only a stream on standard input was checked"]
    plan = make_plan(Options(paths=["-"], env="dev", stdin=CM.encode()))
    assert plan.settings.sources.files() == []  # nothing of the cwd listed or walked


# -- the corpus: every chart and overlay found, no YAML file skipped without being named ---------------------------
corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus not present")
UNCHECKED = {"GoogleCloudPlatform__microservices-demo": ["kubernetes-manifests/loadgenerator.yaml"]}


def _overlays(repo: Path) -> set[str]:
    """Kustomizations that no other kustomization includes (read here with plain YAML, independently)."""
    import yaml

    found, included = set(), set()
    for kfile in repo.rglob("kustomization.y*ml"):
        if "templates" in kfile.relative_to(repo).parts:
            continue
        data = yaml.safe_load(kfile.read_text()) or {}
        if data.get("kind") != "Component":
            found.add(kfile.parent.resolve())
        for entry in (data.get("resources") or []) + (data.get("bases") or []) + (data.get("components") or []):
            if (kfile.parent / entry).is_dir():
                included.add((kfile.parent / entry).resolve())
    return {os.path.relpath(p, repo) for p in found - included}


@corpus
@pytest.mark.parametrize("repo", sorted(p.name for p in CORPUS.iterdir() if p.is_dir()) if CORPUS.is_dir() else [])
def test_corpus_every_chart_and_overlay_is_discovered_and_nothing_is_lost_silently(repo):
    path = CORPUS / repo
    plan = make_plan(Options(paths=[str(path)]))
    kinds = {}
    for target in plan.targets:
        kinds.setdefault(target.kind, set()).add(target.display)
    charts = {os.path.relpath(c.parent, path) for c in path.rglob("Chart.yaml")
              if c.parent.parent.name != "charts" or not (c.parent.parent.parent / "Chart.yaml").is_file()}
    charts -= {os.path.relpath(c.parent, path) for c in path.rglob("Chart.yaml") if "type: library" in c.read_text()}
    assert kinds.get("helm", set()) == charts
    assert kinds.get("kustomize", set()) == _overlays(path)
    assert plan.unchecked == UNCHECKED.get(repo, [])
    if repo == "stefanprodan__podinfo":
        assert "charts/podinfo [values-prod.yaml]" in {t.label() for t in plan.targets}
        assert {"deploy/webapp/frontend", "deploy/secure/frontend"} <= kinds["dir"]
    if repo == "bitnami__charts":
        assert charts == {"bitnami/nginx", "bitnami/postgresql"}
