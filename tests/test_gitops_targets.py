"""What Argo CD and Flux deploy is what k8slint checks (issue 14, phase 2): each Application a
target, rendered with real kustomize and real Helm with its own options, in process through
``k8slint.lint``.

The demo repository (DEPLOY 2.x, 8.3-8.4) deploys its overlays and chart through Applications
and an app-of-apps; copies of it show the destination namespace applied, the values files an
Application names used, and a wrong ``path:`` reported at its line. The gitops fixture holds the
post-mortem's ApplicationSet (HELMFAIL 2) whose Applications deploy the same Deployments.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import k8slint
from conftest import CORPUS, FIXTURES, k8slint as cli

DEMO = FIXTURES / "deploy-repo"
GITOPS = FIXTURES / "gitops" / "deploy-repo"
APPS = "infra/argocd/applications"


def labels(report) -> dict[str, tuple[str, str, str]]:
    return {t.label: (t.kind, t.path, t.env) for t in report.targets}


def found(report, rule: str) -> list[tuple[str, int, str]]:
    return sorted((f.location.file, f.location.line, f.message) for f in report.findings if f.rule == rule)


@pytest.fixture
def demo(tmp_path: Path, monkeypatch) -> Path:
    """A copy of the demo repository to break, the current directory."""
    repo = tmp_path / "deploy-repo"
    shutil.copytree(DEMO, repo)
    monkeypatch.chdir(repo)
    return repo


def test_the_demo_repository_is_checked_through_its_applications(monkeypatch):
    monkeypatch.chdir(DEMO)
    report = k8slint.lint()
    assert [(f.rule, f.location.file, f.location.line) for f in report.findings] == []
    assert labels(report) == {
        f"app-of-apps (Application {APPS}/app-of-apps.yaml)": ("dir", APPS, "production"),
        f"observer-helm (Application {APPS}/observer-helm.yaml)": ("helm", "infra/helm/apps/observer", "production"),
        f"observer-production (Application {APPS}/observer-production.yaml)":
            ("kustomize", "infra/k8s/overlays/production", "production"),
        f"observer-staging (Application {APPS}/observer-staging.yaml)": ("kustomize", "infra/k8s/overlays/staging", "staging"),
        # no Application passes values-staging.yaml: that variant is still checked, bare
        "infra/helm/apps/observer [values-staging.yaml]": ("helm", "infra/helm/apps/observer", "staging"),
        # folders of loose manifests no Application deploys: checked as plain YAML
        "infra/_shared/migrations": ("dir", "infra/_shared/migrations", "unknown"),
        "infra/_shared/secrets/sealed": ("dir", "infra/_shared/secrets/sealed", "unknown"),
    }
    # the app-of-apps deploys the Applications themselves: crd-schema validated all five objects
    app_of_apps = next(t for t in report.targets if t.label.startswith("app-of-apps"))
    assert app_of_apps.objects == 4 and "crd-schema" in app_of_apps.rules
    assert any("app-of-apps deploys its own manifest" in n for n in report.notes)


def test_the_helm_application_renders_with_the_values_files_it_names(demo: Path):
    values = demo / "infra/helm/apps/observer/values-prod.yaml"
    values.write_text(values.read_text().replace('tag: "v1.4.2"', 'tag: "latest"'))
    report = k8slint.lint()
    hits = [f for f in report.findings if f.rule == "image-tag-latest"]
    assert [(f.location.file, f.location.line, f.target, f.env) for f in hits] == [
        ("infra/helm/apps/observer/values-prod.yaml", 4, f"observer-helm (Application {APPS}/observer-helm.yaml)",
         "production")]
    assert "ghcr.io/acme/observer:latest" in hits[0].message
    assert [(r.file, r.line) for r in hits[0].related] == [("infra/helm/apps/observer/templates/deployment.yaml", 25)]


def test_the_destination_namespace_is_where_objects_without_one_land(demo: Path):
    for rel in ("infra/k8s/base/kustomization.yaml", "infra/k8s/overlays/production/kustomization.yaml"):
        path = demo / rel
        path.write_text(path.read_text().replace("namespace: prj-01\n", ""))
    bare = k8slint.lint(["infra/k8s/overlays/production"], repo_root=str(demo), select=["namespace"],
                        config=str(demo / ".k8slint.yaml"))
    assert [t.label for t in bare.targets] == [f"observer-production (Application {APPS}/observer-production.yaml)"]
    assert found(bare, "namespace") == []
    assert any(n.startswith("infra/k8s/overlays/production is deployed by observer-production") for n in bare.notes)
    # without its Application the overlay would land in kubectl's current namespace
    (demo / APPS / "observer-production.yaml").unlink()
    alone = k8slint.lint(["infra/k8s/overlays/production"], select=["namespace"])
    assert [t.label for t in alone.targets] == ["infra/k8s/overlays/production"]
    hits = found(alone, "namespace")
    assert ("infra/k8s/base/deployments/observer.yaml", 3) in {(f, line) for f, line, _ in hits}
    assert all("has no namespace after rendering" in message for _, _, message in hits)


def test_a_wrong_path_is_reported_at_its_line_with_the_overlay_it_means(demo: Path):
    app = demo / APPS / "observer-production.yaml"
    app.write_text(app.read_text().replace("path: infra/k8s/overlays/production", "path: infra/k8s/overlay/production"))
    report = k8slint.lint()
    assert found(report, "gitops-source") == [(f"{APPS}/observer-production.yaml", 13,
                                               "observer-production: source path infra/k8s/overlay/production does not exist "
                                               "in this repository (did you mean infra/k8s/overlays/production?)")]
    assert not report.passed
    # the overlay it means is not reported as deployed by nothing, and is still checked on its own
    assert found(report, "gitops-unmanaged") == []
    assert "infra/k8s/overlays/production" in labels(report)
    # README's example is this run's output
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    block = readme.split("```text\n$ k8slint check\n", 1)[1].split("```", 1)[0]
    out = cli("check", cwd=demo)
    assert out.code == 1 and block in out.out


def test_an_overlay_no_application_deploys_is_checked_bare_and_named(demo: Path):
    shutil.copytree(demo / "infra/k8s/overlays/staging", demo / "infra/k8s/overlays/canary")
    report = k8slint.lint()
    assert found(report, "gitops-unmanaged") == [
        ("infra/k8s/overlays/canary/kustomization.yaml", 1,
         "overlay infra/k8s/overlays/canary is deployed by no Application or Flux Kustomization of this repository")]
    assert labels(report)["infra/k8s/overlays/canary"] == ("kustomize", "infra/k8s/overlays/canary", "unknown")


def test_application_options_are_applied_by_real_kustomize_and_helm(monkeypatch):
    """The gitops fixture: app-staging's namePrefix, image and labels; app-helm's values file and
    parameters (one forced to a string); app-production's destination namespace."""
    monkeypatch.chdir(GITOPS)
    from k8slint.api import run
    from k8slint.plan import Options

    _, (renders, _) = run(Options())
    by_label = {r.target.label(): r for r in renders}
    staging = by_label[f"app-staging (Application {APPS}/app-staging.yaml)"]
    deployment = next(o for o in staging.objects if o.kind == "Deployment")
    assert deployment.name == "stg-app" and deployment.default_namespace == "prj-01-staging"
    assert deployment.data["spec"]["template"]["spec"]["containers"][0]["image"] == "ghcr.io/org/app:rc-20260202"
    assert deployment.data["spec"]["selector"]["matchLabels"] == {"app": "app", "team": "platform"}
    helm = next(o for o in by_label[f"app-helm (Application {APPS}/app-helm.yaml)"].objects if o.kind == "Deployment")
    assert (helm.name, helm.data["spec"]["replicas"], helm.default_namespace) == ("app-helm", 3, "prj-01-prod")
    pod = helm.data["spec"]["template"]
    assert pod["metadata"]["annotations"] == {"build": "20260202"}  # forceString: a string, not a number
    assert pod["spec"]["containers"][0]["image"] == "ghcr.io/org/app-name:v1.2.3"
    production = by_label[f"app-production (Application {APPS}/app-production.yaml)"]
    assert {(o.kind, o.namespace, o.default_namespace) for o in production.objects} == {
        ("Deployment", None, "prj-01-prod"), ("Service", None, "prj-01-prod")}


def test_the_post_mortem_application_set_overlaps(monkeypatch):
    """HELMFAIL 2: each generated Application renders every API of the one chart."""
    monkeypatch.chdir(GITOPS)
    report = k8slint.lint(select=["gitops-overlap"])
    template = "charts/ecoeco-backend/templates/api/deployment.yaml"
    mine = [(f.location.file, f.location.line, f.target) for f in report.findings if f.location.file == template]
    assert sorted(mine) == sorted((template, 9, f"ecoeco-api-{domain} (ApplicationSet {APPS}/apis.yaml)")
                                  for domain in ("my", "scan") for _ in range(3))
    # half-way through the migration, the kustomize overlays deploy auth-api and my-api too
    base = [f for f in report.findings if f.location.file == "infra/k8s/api/base/deployment.yaml"]
    assert sorted(f.target for f in base) == [
        "api-auth (ApplicationSet infra/argocd/applicationsets/api-overlays.yaml)",
        "api-my (ApplicationSet infra/argocd/applicationsets/api-overlays.yaml)"]
    assert all(f.severity == "error" for f in report.findings)


def test_list_targets_json_is_a_ci_matrix_of_applications(monkeypatch):
    monkeypatch.chdir(DEMO)
    rows = json.loads(cli("check", "--list-targets", "--format", "json", cwd=DEMO).out)
    helm = next(r for r in rows if r["target"].startswith("observer-helm "))
    assert helm == {"target": f"observer-helm (Application {APPS}/observer-helm.yaml)", "path": f"{APPS}/observer-helm.yaml",
                    "source": "infra/helm/apps/observer", "kind": "helm", "env": "production",
                    "envSource": "its values file", "deployedBy": "Application/argocd/observer-helm",
                    "values": ["infra/helm/apps/observer/values-prod.yaml"]}
    # each row's path checks that Application (and the manifest itself)
    one = k8slint.lint([helm["path"]])
    assert sorted(t.label for t in one.targets) == [f"{APPS}/observer-helm.yaml", helm["target"]]
    assert one.passed


def test_changed_files_re_check_the_applications_that_deploy_them(monkeypatch):
    monkeypatch.chdir(DEMO)

    def checked(*files: str) -> list[str]:
        return sorted(t.label() for t in k8slint.targets(list(files), changed=True))

    production = f"observer-production (Application {APPS}/observer-production.yaml)"
    assert checked("infra/k8s/overlays/production/patches/replicas.yaml") == [production]
    assert checked("infra/k8s/base/deployments/api.yaml") == [
        production, f"observer-staging (Application {APPS}/observer-staging.yaml)"]
    # a changed Application re-checks what it deploys, and the app-of-apps that deploys its manifest
    assert checked(f"{APPS}/observer-production.yaml") == [f"app-of-apps (Application {APPS}/app-of-apps.yaml)", production]
    assert checked("infra/helm/apps/observer/values-prod.yaml") == [f"observer-helm (Application {APPS}/observer-helm.yaml)"]
    assert checked("infra/helm/apps/observer/values-staging.yaml") == ["infra/helm/apps/observer [values-staging.yaml]"]


def test_a_refused_application_set_is_a_target_of_its_own(tmp_path: Path):
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "rules" / "gitops-appset" / "fail", repo)
    report = k8slint.lint([str(repo)])
    hits = [(f.rule, f.location.file, f.location.line, f.target) for f in report.findings if f.rule.startswith("gitops-")]
    assert hits == [("gitops-appset", "argocd/overlays.yaml", 18, "api-overlays (ApplicationSet argocd/overlays.yaml)")]


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus not present")
def test_an_app_of_apps_chart_renders_its_applications_which_become_targets(monkeypatch):
    """argocd-example-apps' `apps` chart: its root Application is created by hand; the
    Applications its templates render are targets, with their own sources and namespaces."""
    monkeypatch.chdir(CORPUS / "argoproj__argocd-example-apps")
    targets = {t.label(): t for t in k8slint.targets()}
    template = "apps/templates/applications.yaml"
    rendering = sorted(label for label, t in targets.items() if label.endswith(f"(Application {template})") and t.kind != "file")
    assert rendering == [f"example.{name} (Application {template})"
                         for name in ("guestbook", "helm-dependency", "helm-guestbook", "kustomize-guestbook", "sock-shop")]
    # the nine whose paths are missing from this copy deploy nothing here (their repoURL is not known to be this
    # repository, so they count as another one's); they are targets for what is wrong with the Application itself
    # (gitops-sync-policy: automated sync; with the environment unknown it is not reported, with --env it is)
    assert len([t for label, t in targets.items() if label.endswith(f"(Application {template})")]) == 14
    # (this copy has no .git: --repo-root says the folder is the repository, not only the file named)
    quiet = k8slint.lint(["apps/templates/applications.yaml"], select=["gitops-sync-policy"], repo_root=".")
    assert quiet.findings == [] and {t.env for t in quiet.targets} == {"unknown"}
    production = k8slint.lint(["apps/templates/applications.yaml"], select=["gitops-sync-policy"], env="production",
                              repo_root=".")
    assert sorted({(f.location.file, f.location.line) for f in production.findings}) == [(template, 25)]
    assert len(production.findings) == 14 and "example.sock-shop syncs automatically" in " ".join(
        f.message for f in production.findings)
    helm = targets[f"example.helm-guestbook (Application {template})"]
    assert (helm.kind, helm.display, helm.release_name, helm.namespace) == ("helm", "helm-guestbook", "helm-guestbook",
                                                                           "helm-guestbook")
    assert targets[f"example.kustomize-guestbook (Application {template})"].display == "kustomize-guestbook"
    assert "apps" in targets  # the chart itself is still checked: crd-schema validates the Applications


def test_flux_kustomizations_and_helm_releases_are_targets(monkeypatch):
    """fixtures/gitops/flux-repo: each Flux Kustomization is a target in its cluster folder's
    environment; the HelmRelease the production overlay renders is one too, with the chart and
    values files of this repository; the staging Kustomization's misspelt path is at its line."""
    flux = FIXTURES / "gitops" / "flux-repo"
    monkeypatch.chdir(flux)
    report = k8slint.lint(repo_root=str(flux))
    assert labels(report) == {
        "apps (Kustomization clusters/production/apps.yaml)": ("kustomize", "apps/production", "production"),
        "apps (Kustomization clusters/staging/apps.yaml)": ("file", "clusters/staging/apps.yaml", "staging"),
        "flux-system (Kustomization clusters/production/flux-system/gotk-sync.yaml)":
            ("dir", "clusters/production", "production"),
        "infrastructure (Kustomization clusters/production/infrastructure.yaml)":
            ("kustomize", "infrastructure/controllers", "production"),
        "prod-podinfo (HelmRelease apps/base/podinfo/release.yaml)": ("helm", "charts/podinfo", "production"),
        # the staging cluster's folder has no flux-system Kustomization here: its manifests are checked as plain YAML
        "clusters/staging": ("dir", "clusters/staging", "staging"),
    }
    assert found(report, "gitops-source") == [
        ("clusters/staging/apps.yaml", 11, "Kustomization apps: path ./apps/stagin does not exist in this repository")]
    # the chart rendered with the HelmRelease's name and values: findings at the chart's template line
    probes = [(f.location.file, f.location.line, f.target) for f in report.findings if f.rule == "readiness-probe"]
    assert probes == [("charts/podinfo/templates/deployment.yaml", 18, "prod-podinfo (HelmRelease apps/base/podinfo/release.yaml)")]
    assert "Deployment prod-podinfo" in next(f.message for f in report.findings if f.rule == "readiness-probe")
    assert not any(n.startswith("environment unknown") for n in report.notes)


def test_the_repository_config_may_only_lower_the_app_of_apps_depth(demo: Path):
    config = demo / ".k8slint.yaml"
    config.write_text(config.read_text() + "  max-depth: 6\n")
    with pytest.raises(k8slint.K8slintError, match=r"^invalid configuration: .*max-depth.*6 is greater than the maximum of 5"):
        k8slint.lint()
    config.write_text(config.read_text().replace("max-depth: 6", "max-depth: 0"))
    shallow = k8slint.lint()
    assert sorted(t.label for t in shallow.targets) == [  # the Applications below the app-of-apps are not followed
        f"app-of-apps (Application {APPS}/app-of-apps.yaml)", "infra/_shared/migrations", "infra/_shared/secrets/sealed",
        "infra/helm/apps/observer [values-prod.yaml]",
        "infra/helm/apps/observer [values-staging.yaml]", "infra/k8s/overlays/production", "infra/k8s/overlays/staging"]
    assert f"{APPS}/app-of-apps.yaml:6: Application argocd/app-of-apps deploys further GitOps objects, deeper than 0 " \
        "levels: not followed" in shallow.notes
    # what the unfollowed Applications deploy is not known: no overlay is said to be deployed by nothing
    assert shallow.findings == [] and shallow.passed
