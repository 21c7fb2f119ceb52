"""The library API, in process: ``k8slint.lint(paths, **options) -> Report``; repository files
reach templates only through the check context (size limit, symlink guard); calls do not leak
state into each other."""

from __future__ import annotations

import gc
import shutil

import pytest

import k8slint
from conftest import FIXTURES

CONFIG_REF = FIXTURES / "rules" / "config-ref-exists" / "pass"
SHARED_SECRET = "_shared/secrets/sealed/observer-db.yaml"


def located(report) -> list[tuple[str, str, int]]:
    return [(f.rule, f.location.file, f.location.line) for f in report.findings]


@pytest.fixture
def shared_secret_repo(tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(CONFIG_REF, repo)
    return repo


def test_a_shared_sealed_secret_symlinked_out_of_the_repository_does_not_count(shared_secret_repo, tmp_path):
    """The shared sealed-secrets folder is read through the context: a symlink that leaves the
    repository is not followed, so the reference it would satisfy is reported."""
    repo = shared_secret_repo
    shared = repo / SHARED_SECRET
    outside = tmp_path / "outside.yaml"
    outside.write_text(shared.read_text())
    shared.unlink()
    shared.symlink_to(outside)

    report = k8slint.lint([str(repo)], env="production", select=["config-ref-exists"])
    assert located(report) == [("config-ref-exists", "deployment.yaml", 52)]
    assert ("env SHARED_DB_URL of container 'api' of Deployment prj-01/api references Secret 'observer-db', "
            "which is not in this render") in report.findings[0].message
    assert report.exit_code == 0 and report.passed  # a warning; fail-on: error

    # the same file inside the repository produces the Secret (and a second call sees the change)
    shared.unlink()
    shared.write_text(outside.read_text())
    assert located(k8slint.lint([str(repo)], env="production", select=["config-ref-exists"])) == []


def test_repository_rules_read_no_file_through_a_symlink_or_over_the_size_limit(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ".k8slint.yaml").write_text("fail-on: error\n")
    (repo / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: b}\n")
    values = "image: {tag: v1}\ndb:\n  password: hunter2-but-long\n"
    (repo / "values.yaml").write_text(values)

    def check(**options):  # the folder: repository rules report on the files of the paths given
        return k8slint.lint([str(repo)], env="production", select=["helm-values-plaintext-secret"], **options)

    report = check()
    assert located(report) == [("helm-values-plaintext-secret", "values.yaml", 3)]
    assert "values.yaml sets db.password to a literal (value not shown)" in report.findings[0].message
    assert report.exit_code == 1
    assert located(check(max_file_size=len(values) - 1)) == []  # over limits.max-file-size: not read

    outside = tmp_path / "values-outside.yaml"
    outside.write_text(values)
    (repo / "values.yaml").unlink()
    (repo / "values.yaml").symlink_to(outside)
    report = check()
    assert located(report) == [] and report.exit_code == 0
    assert report.targets[0].objects == 1  # the run did check: the ConfigMap rendered


def test_lint_works_from_any_directory_and_restores_the_collector(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    overlay = FIXTURES / "violations" / "image-tag-latest" / "infra" / "k8s" / "overlays" / "production"
    assert gc.isenabled()
    report = k8slint.lint([str(overlay)])
    assert gc.isenabled()
    assert located(report) == [("image-tag-latest", "infra/k8s/overlays/production/kustomization.yaml", 11)]
    assert [(t.label, t.env, t.env_source, t.objects) for t in report.targets] == [
        ("infra/k8s/overlays/production", "production", "path", 4)]
    assert report.summary["errors"] == 1 and not report.passed and report.exit_code == 1
    assert report.repo_root == str(FIXTURES / "violations" / "image-tag-latest")

    gc.disable()
    try:
        k8slint.lint([str(overlay)])
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()


def test_could_not_check_is_a_k8slint_error_with_one_sentence(tmp_path):
    with pytest.raises(k8slint.K8slintError, match=r"^nope: no such file or directory$"):
        k8slint.lint(["nope"], repo_root=str(tmp_path))
    (tmp_path / ".k8slint.yaml").write_text("fail-on: sometimes\n")
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: b}\n")
    with pytest.raises(k8slint.K8slintError, match=r"^invalid configuration: .*fail-on: 'sometimes' is not one of"):
        k8slint.lint([str(tmp_path / "cm.yaml")])


def test_stdin_takes_bytes_and_targets_lists_what_lint_would_check():
    repo = FIXTURES / "deploy-repo"
    text = (repo / "infra/k8s/base/deployments/api.yaml").read_bytes()
    report = k8slint.lint(["-"], env="production", stdin=text, repo_root=str(repo), select=["image-tag-policy"])
    assert [(f.rule, f.location.file, f.target) for f in report.findings] == [("image-tag-policy", "<stdin>", "<stdin>")]
    listed = k8slint.targets([str(repo)])
    assert [(t.label(), t.env) for t in listed] == [
        ("infra/_shared/migrations", "unknown"),  # folders of loose manifests no overlay or chart reads
        ("infra/_shared/secrets/sealed", "unknown"),
        ("infra/argocd/applications", "unknown"),
        ("infra/helm/apps/observer [values-prod.yaml]", "production"),
        ("infra/helm/apps/observer [values-staging.yaml]", "staging"),
        ("infra/k8s/overlays/production", "production"),
        ("infra/k8s/overlays/staging", "staging"),
    ]


CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec: {type: object, properties: {size: {type: integer}}}
"""
WIDGET = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: prj-01}\nspec: {size: big}\n"


def test_a_crd_schema_seen_by_an_earlier_call_does_not_lend_it_its_file_name(tmp_path):
    """Validators are shared between calls (by the schema's content); where the schema came from is not."""
    messages = []
    for name in ("first", "second"):
        repo = tmp_path / name
        (repo / "crds").mkdir(parents=True)
        (repo / ".k8slint.yaml").write_text("{}\n")
        (repo / "crds" / f"{name}-widgets.yaml").write_text(CRD)
        (repo / "widget.yaml").write_text(WIDGET)
        report = k8slint.lint([str(repo / "widget.yaml")], env="dev", select=["crd-schema"], crds=[str(repo / "crds")])
        (finding,) = report.findings
        messages.append(finding.message)
    assert "first-widgets.yaml" in messages[0] and "spec.size" in messages[0]
    assert "second-widgets.yaml" in messages[1] and "first-widgets.yaml" not in messages[1]
