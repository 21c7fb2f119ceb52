"""Every overlay and chart of the real-world corpus checks without a traceback, with findings a
person agrees with. The corpus is read in place from ../shared/corpus (never copied)."""

from pathlib import Path

import pytest

from conftest import CORPUS, cli
from k8slint.plan.targets import discover

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus not present")


def corpus_units():
    if not CORPUS.is_dir():
        return []
    units = []
    for repo in sorted(p for p in CORPUS.iterdir() if p.is_dir()):
        for kind, path, env_file, *_ in discover(repo):
            if kind == "dir":
                continue  # folders of loose manifests: checked by the whole-repository runs below
            units.append(pytest.param(path, id=f"{path.relative_to(CORPUS)}" + (f"[{env_file.name}]" if env_file else "")))
    seen = set()
    return [u for u in units if not (u.values[0] in seen or seen.add(u.values[0]))]


@pytest.mark.parametrize("path", corpus_units())
def test_every_corpus_target_checks_cleanly_or_explains(path: Path):
    result = cli("check", str(path.relative_to(CORPUS)), "--format", "json", cwd=CORPUS)
    assert "Traceback" not in result.err
    if result.code == 2:
        assert result.err.startswith("k8slint: error: ") and result.err.count("\n") == 1, result.err
        return
    assert result.code in (0, 1), result.err
    data = result.json
    assert data["targets"] and all(f["location"]["line"] >= 1 for f in data["findings"])
    # every rendered object validates against its schema: no false schema errors on real charts
    assert [f for f in data["findings"] if f["rule"] in ("schema", "crd-schema") and f["severity"] != "info"] == []


def test_microservices_demo_untagged_images_in_production():
    result = cli("check", "GoogleCloudPlatform__microservices-demo/kubernetes-manifests", "--env", "production",
                     "--format", "json", cwd=CORPUS)
    assert result.code == 1
    latest = [f for f in result.json["findings"] if f["rule"] == "image-tag-latest"]
    files = {f["location"]["file"] for f in latest}
    assert "GoogleCloudPlatform__microservices-demo/kubernetes-manifests/frontend.yaml" in files
    assert len(latest) == 10  # 10 services in the kustomization (loadgenerator is commented out), none tagged
    policy = {f["object"]["name"] for f in result.json["findings"] if f["rule"] == "image-tag-policy"}
    assert "redis-cart" in policy  # redis:alpine is a mutable tag
    frontend = next(f for f in latest if f["object"]["name"] == "frontend")
    assert frontend["location"]["line"] == 47 and "uses image 'frontend' with no tag" in frontend["message"]


def test_same_manifests_pass_the_tag_rules_in_development():
    result = cli("check", "GoogleCloudPlatform__microservices-demo/kubernetes-manifests", "--env", "dev",
                     "--format", "json", cwd=CORPUS)
    rules = {f["rule"] for f in result.json["findings"]}
    assert not rules & {"image-tag-latest", "image-tag-policy"}


def test_podinfo_database_pvc_name():
    result = cli("check", "stefanprodan__podinfo/deploy/overlays/production", "--format", "json", cwd=CORPUS)
    pvc = [f for f in result.json["findings"] if f["rule"] == "pvc-naming"]
    assert len(pvc) == 1
    assert pvc[0]["location"] == {"file": "stefanprodan__podinfo/deploy/bases/database/pvc-primary.yaml", "line": 4}
    assert pvc[0]["object"]["name"] == "database-primary" and pvc[0]["env"] == "production"
    assert "database-primary-pvc" in pvc[0]["message"]


def test_bitnami_generated_secrets_are_plaintext_and_values_stay_hidden():
    result = cli("check", "bitnami__charts/bitnami/postgresql", "--format", "json", cwd=CORPUS)
    secrets = [f for f in result.json["findings"] if f["rule"] == "no-plaintext-secret"]
    assert len(secrets) == 1
    assert secrets[0]["location"]["file"] == "bitnami__charts/bitnami/postgresql/templates/secrets.yaml"
    assert "postgres-password" in secrets[0]["message"] and "values not shown" in secrets[0]["message"]
    assert any("dependency common taken from bitnami__charts/bitnami/common" in n for n in result.json["notes"])


def test_chart_with_unresolvable_dependency_is_a_clear_render_error():
    result = cli("check", "argoproj__argocd-example-apps/helm-dependency", cwd=CORPUS)
    assert result.code == 1 and result.err == ""  # a render-error finding, even when it is the only target
    assert "depends on wordpress 9.0.3" in result.out and "never downloads" in result.out
    both = cli("check", "argoproj__argocd-example-apps/helm-dependency", "argoproj__argocd-example-apps/helm-guestbook",
                   "--format", "json", cwd=CORPUS)
    assert both.code == 1
    errors = [f for f in both.json["findings"] if f["rule"] == "render-error"]
    assert errors[0]["location"] == {"file": "argoproj__argocd-example-apps/helm-dependency/Chart.yaml", "line": 26}


def test_helm_env_values_file_is_applied():
    result = cli("check", "argoproj__argocd-example-apps/helm-guestbook", "--env", "production", "--format", "json", cwd=CORPUS)
    assert result.json["targets"][0]["target"] == "argoproj__argocd-example-apps/helm-guestbook [values-production.yaml]"


def test_podinfo_deploy_hpa_uses_a_removed_api():
    result = cli("check", "stefanprodan__podinfo-deploy/webapp/backend", "--format", "json", cwd=CORPUS)
    moved = [f for f in result.json["findings"] if f["rule"] == "deprecated-api"]
    assert [(f["location"]["file"], f["location"]["line"], f["severity"]) for f in moved] == [
        ("stefanprodan__podinfo-deploy/base/backend/hpa.yaml", 1, "error")]
    assert "autoscaling/v2beta1 HorizontalPodAutoscaler, removed in Kubernetes 1.25" in moved[0]["message"]
    old = cli("check", "stefanprodan__podinfo-deploy/webapp/backend", "--kubernetes-version", "1.24", "--format", "json", cwd=CORPUS)
    assert [f["severity"] for f in old.json["findings"] if f["rule"] == "deprecated-api"] == ["warning"]


def test_second_object_of_a_kind_in_one_helm_template_is_located_in_its_own_document():
    result = cli("check", "GoogleCloudPlatform__microservices-demo/helm-chart", "--format", "json", cwd=CORPUS)
    chart = "GoogleCloudPlatform__microservices-demo/helm-chart"
    by_object = {f["object"]["name"]: f for f in result.json["findings"] if f["rule"] == "image-registry"
                 and f["object"]["name"] in ("cartservice", "redis-cart")}
    # cartservice.yaml renders two Deployments: cartservice (kind: line 29) and redis-cart (kind: line 216).
    # cartservice's registry comes from values.yaml `images.repository` (line 20), read at the template's line 76;
    # redis-cart's image is written in the template (line 255, the branch its values select).
    cartservice = by_object["cartservice"]
    assert cartservice["location"] == {"file": f"{chart}/values.yaml", "line": 20}
    assert cartservice["related"] == [{"file": f"{chart}/templates/cartservice.yaml", "line": 76}]
    assert by_object["redis-cart"]["location"] == {"file": f"{chart}/templates/cartservice.yaml", "line": 255}
    assert "related" not in by_object["redis-cart"]


def test_a_repo_folder_without_git_is_its_own_root():
    """corpus/<repo>/ has no .git or .k8slint.yaml: the repository rules scan that folder, not its siblings."""
    podinfo = cli("check", "stefanprodan__podinfo", "--format", "json", cwd=CORPUS)
    assert [f for f in podinfo.json["findings"] if f["target"] == "."] == []
    argo = cli("check", "argoproj__argocd-example-apps", "--format", "json", cwd=CORPUS)
    files = {f["location"]["file"] for f in argo.json["findings"] if f["rule"] == "helm-values-plaintext-secret"}
    assert files == {"helm-dependency/values.yaml", "helm-dependency/values-nomaria.yaml"}
