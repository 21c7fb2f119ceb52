"""The image, workload, storage, secrets and hygiene rules on the real-world corpus: the cases
that were tricky (ServiceAccount lookups, overlays without images:, unknown environments,
reference-looking keys in third-party values files, scripts folders) with their locations.
The corpus is read in place from ../shared/corpus (never copied)."""

from __future__ import annotations

import functools

import pytest

from conftest import CORPUS, cli

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus not present")


@functools.lru_cache(maxsize=None)
def findings(target: str, *extra: str) -> tuple:
    result = cli("check", target, *extra, "--format", "json", cwd=CORPUS)
    assert result.code in (0, 1), result.err
    return tuple(result.json["findings"])


def of(rule: str, target: str, *extra: str) -> list[dict]:
    return [f for f in findings(target, *extra) if f["rule"] == rule]


PODINFO_PROD = "stefanprodan__podinfo/deploy/overlays/production"


def test_podinfo_is_a_public_ghcr_image_and_needs_no_pull_secret():
    assert of("image-pull-secret", PODINFO_PROD) == []


def test_pull_secret_looks_the_service_account_up_in_the_render(tmp_path):
    # podinfo is public (params.public); treated as a private package it shows the ServiceAccount lookup
    config = tmp_path / "private.yaml"
    config.write_text("rules:\n  image-pull-secret:\n    params:\n      public: []\n")
    found = {f["object"]["name"]: f for f in of("image-pull-secret", PODINFO_PROD, "--config", str(config))}
    # the database workloads run as ServiceAccount 'database', which is in the render without imagePullSecrets
    replica = found["database-replica"]
    assert replica["location"] == {"file": "stefanprodan__podinfo/deploy/bases/database/deployment-replica.yaml", "line": 25}
    assert "neither its pod spec nor its ServiceAccount database has imagePullSecrets" in replica["message"]
    # backend names no ServiceAccount: the namespace's default one, which the render does not hold
    assert "runs as the namespace's default ServiceAccount, which is not in this render" in found["backend"]["message"]
    # CronJobs pull too; the redis cache pulls from docker.io and needs no GHCR secret
    assert {"backup-daily", "warm-cache"} <= set(found) and "cache" not in found
    assert len(found) == 8


def test_overlay_without_images_list_points_at_its_kustomization_line_1():
    found = of("overlay-sets-image-tag", PODINFO_PROD)
    assert {f["location"]["file"] for f in found} == {"stefanprodan__podinfo/deploy/overlays/production/kustomization.yaml"}
    assert {f["location"]["line"] for f in found} == {1}
    cache = next(f for f in found if f["object"]["name"] == "cache")
    assert "image 'docker.io/redis' of Deployment production/cache is not pinned by the production overlay" in cache["message"]
    assert len(found) == 9  # 8 podinfo workloads + redis


def test_dev_overlay_and_unknown_environment_kustomizations_are_not_asked_to_pin():
    assert of("overlay-sets-image-tag", "stefanprodan__podinfo/deploy/overlays/dev") == []
    # environment unknown: not known to be a staging/production overlay (the tag rules still apply)
    assert of("overlay-sets-image-tag", "GoogleCloudPlatform__microservices-demo/kustomize") == []
    assert of("image-tag-latest", "GoogleCloudPlatform__microservices-demo/kubernetes-manifests")


def test_claim_of_a_statefulset_resolves_after_the_overlay_sets_the_namespace():
    assert of("claim-exists", PODINFO_PROD) == []  # database-primary PVC is in the render, namespace production


def test_command_override_flags_long_running_containers_not_cronjobs():
    found = of("no-command-override", PODINFO_PROD)
    kinds = {f["object"]["kind"] for f in found}
    assert kinds == {"Deployment", "StatefulSet"}  # the podinfo CronJobs also set command: exempt
    backend = next(f for f in found if f["object"]["name"] == "backend")
    assert backend["location"] == {"file": "stefanprodan__podinfo/deploy/bases/backend/deployment.yaml", "line": 38}
    assert "starts with './podinfo'" in backend["message"]


def test_pvc_without_storage_class():
    found = of("pvc-storage-class", PODINFO_PROD)
    assert [(f["object"]["name"], f["location"]["file"], f["location"]["line"]) for f in found] == [
        ("database-primary", "stefanprodan__podinfo/deploy/bases/database/pvc-primary.yaml", 5)]
    bitnami = of("pvc-storage-class", "bitnami__charts/bitnami/postgresql")
    assert len(bitnami) == 1 and "volumeClaimTemplates 'data' of StatefulSet" in bitnami[0]["message"]


def test_literal_database_password_in_sock_shop():
    found = of("env-literal-secret", "argoproj__argocd-example-apps/sock-shop")
    assert [(f["object"]["name"], f["location"]["line"]) for f in found] == [("catalogue-db", 23)]
    assert found[0]["location"]["file"] == "argoproj__argocd-example-apps/sock-shop/base/catalogue-db-dep.yaml"
    assert "sets MYSQL_ROOT_PASSWORD by a literal value (value not shown)" in found[0]["message"]


def test_bitnami_chart_references_are_not_secrets():
    """bitnami keeps empty passwords, secretKeys.*PasswordKey names, existingSecret and
    *_FILE env vars: none of that is a committed credential."""
    for rule in ("env-literal-secret", "secret-in-configmap", "helm-values-plaintext-secret"):
        hits = [f for f in findings("bitnami__charts/bitnami/postgresql") if f["rule"] == rule]
        assert [f for f in hits if f["location"]["file"].startswith("bitnami__charts/")] == [], hits


def test_helm_values_with_literal_passwords_are_found_by_line():
    # another chart of the repository does not report them; the folder that holds them does (its chart
    # needs an un-vendored dependency, so only the repository-tree rules can run there)
    assert of("helm-values-plaintext-secret", "argoproj__argocd-example-apps/helm-guestbook") == []
    found = of("helm-values-plaintext-secret", "argoproj__argocd-example-apps/helm-dependency", "--repository-rules", "only")
    got = sorted((f["location"]["file"].split("/", 1)[1], f["location"]["line"], f["message"].split(" to a literal")[0].rsplit(" ", 1)[-1])
                 for f in found)
    assert got == [
        ("helm-dependency/values-nomaria.yaml", 5, "wordpress.wordpressPassword"),
        ("helm-dependency/values.yaml", 4, "wordpress.wordpressPassword"),
        ("helm-dependency/values.yaml", 7, "wordpress.mariadb.db.password"),
        ("helm-dependency/values.yaml", 9, "wordpress.mariadb.rootUser.password"),
    ]  # values-nomaria.yaml's `password: ""` is not a secret
    for f in found:
        for value in (": foo", ": bar", ": baz"):
            assert value not in f["message"]


def test_hygiene_rules_are_quiet_on_the_corpus():
    """A Python helper under a component's scripts/ folder is deploy tooling, not app source."""
    repo = [f for f in findings(PODINFO_PROD) if f["target"] == "."]
    assert {f["rule"] for f in repo} <= {"helm-values-plaintext-secret"}
