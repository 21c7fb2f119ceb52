"""Argo CD Applications, ApplicationSets and AppProjects of a deploy repository -> deployment units.

fixtures/gitops/deploy-repo is shaped like the documents (DEPLOY 8.3-8.4, HELMFAIL 2);
fixtures/gitops/broken-repo holds one mistake per file. Nothing is rendered here (see
test_gitops_render.py): these are the units, options, notes and problems read from the files.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict
from pathlib import Path

import pytest

from conftest import FIXTURES
from k8slint.render.gitops import Options, documents, environment, read

DEPLOY = FIXTURES / "gitops" / "deploy-repo"
BROKEN = FIXTURES / "gitops" / "broken-repo"
DEPLOY_URL = "https://github.com/org/deploy-repo.git"
BROKEN_URL = "https://github.com/org/broken.git"


def reading(root: Path, url: str | None, **options):
    return read(root, documents(root), Options(repo_urls=[url] if url else [], **options))


def by_name(units):
    return {u.name: u for u in units}


@pytest.fixture(scope="module")
def deploy():
    return reading(DEPLOY, DEPLOY_URL)


@pytest.fixture(scope="module")
def broken():
    return reading(BROKEN, BROKEN_URL)


# ------------------------------------------------------------------ the documents' Applications


def test_every_application_of_the_documents_is_a_unit(deploy):
    units = deploy.sorted_units()
    assert [(u.name, u.file, u.line, u.depth, u.parent) for u in units] == [
        ("ecoeco-api-auth", "infra/argocd/applications/apis.yaml", 16, 1, "Application/argocd/app-of-apps"),
        ("ecoeco-api-my", "infra/argocd/applications/apis.yaml", 16, 1, "Application/argocd/app-of-apps"),
        ("ecoeco-api-scan", "infra/argocd/applications/apis.yaml", 16, 1, "Application/argocd/app-of-apps"),
        ("app-helm", "infra/argocd/applications/app-helm.yaml", 5, 1, "Application/argocd/app-of-apps"),
        ("app-of-apps", "infra/argocd/applications/app-of-apps.yaml", 5, 0, None),
        ("app-production", "infra/argocd/applications/app-production.yaml", 5, 1, "Application/argocd/app-of-apps"),
        ("app-staging", "infra/argocd/applications/app-staging.yaml", 4, 1, "Application/argocd/app-of-apps"),
        ("monitoring", "infra/argocd/applications/monitoring.yaml", 5, 1, "Application/argocd/app-of-apps"),
        ("api-auth", "infra/argocd/applicationsets/api-overlays.yaml", 20, 0, None),
        ("api-my", "infra/argocd/applicationsets/api-overlays.yaml", 20, 0, None),
    ]
    assert deploy.problems == []


def test_app_production_deploys_the_production_overlay_into_prj_01_prod(deploy):
    unit = by_name(deploy.units)["app-production"]
    source = unit.source
    assert (source.kind, source.path, source.followed, source.line) == ("kustomize", "infra/k8s/overlays/production", True, 15)
    assert source.repo_url == DEPLOY_URL and source.target_revision == "main"
    assert (unit.destination.server, unit.destination.namespace, unit.destination.cluster()) == (
        "https://kubernetes.default.svc", "prj-01-prod", "in-cluster")
    assert unit.project == "default" and unit.tool == "argocd" and unit.key == "Application/argocd/app-production"
    assert source.kustomize.empty() and source.kustomize.overlay() == {}
    assert environment(unit) == ("production", "its name")


def test_app_staging_kustomize_options_in_kustomization_form(deploy):
    unit = by_name(deploy.units)["app-staging"]
    options = unit.source.kustomize
    # an scp-style URL of the same repository is this repository
    assert unit.source.repo_url == "git@github.com:org/deploy-repo.git" and unit.source.followed
    assert options.overlay() == {
        "namePrefix": "stg-",
        "labels": [{"pairs": {"team": "platform"}, "includeSelectors": True}],
        "images": [{"name": "ghcr.io/org/app", "newTag": "rc-20260202"}],
    }
    assert options.line == 12
    assert environment(unit) == ("staging", "its name")


def test_app_helm_value_files_resolve_against_the_chart_path(deploy):
    unit = by_name(deploy.units)["app-helm"]
    helm = unit.source.helm
    assert (unit.source.kind, unit.source.path) == ("helm", "infra/helm/apps/app-name")
    assert [(v.text, v.line, v.path, v.exists, v.remote) for v in helm.value_files] == [
        ("values-prod.yaml", 16, "infra/helm/apps/app-name/values-prod.yaml", True, False)]
    assert helm.set_values() == ["image.tag=v1.2.3"]
    assert helm.set_string_values() == ["podAnnotations.build=20260202"]
    assert [(p.name, p.line) for p in helm.parameters] == [("image.tag", 18), ("podAnnotations.build", 20)]
    assert helm.release_name == "app-helm" and helm.namespace == "prj-01-prod" and helm.chart_values
    # neither its name nor its namespace say "prod" alone... the namespace does: prj-01-prod
    assert environment(unit) == ("production", "its destination namespace")


def test_app_of_apps_follows_its_own_folder_and_says_it_manages_itself(deploy):
    root = by_name(deploy.units)["app-of-apps"]
    assert root.source.kind == "directory" and root.source.directory.recurse is False
    assert root.source.directory.files == tuple(
        f"infra/argocd/applications/{n}" for n in ("apis.yaml", "app-helm.yaml", "app-of-apps.yaml", "app-production.yaml",
                                                  "app-staging.yaml", "monitoring.yaml"))
    notes = [(n.kind, n.file, n.line) for n in deploy.notes]
    assert ("self-managed", "infra/argocd/applications/app-of-apps.yaml", 12) in notes
    assert root.follow is False  # a plain folder: its Applications were read without a render


def test_multi_source_application_resolves_ref_values_and_notes_the_helm_repository(deploy):
    unit = by_name(deploy.units)["monitoring"]
    chart, values = unit.sources
    assert (chart.kind, chart.chart, chart.followed, chart.path) == ("helm", "kube-prometheus-stack", False, None)
    assert [(v.text, v.path, v.exists) for v in chart.helm.value_files] == [
        ("$values/infra/monitoring/values-prod.yaml", "infra/monitoring/values-prod.yaml", True)]
    assert chart.helm.release_name == "monitoring"
    assert (values.ref, values.followed, values.why_not) == ("values", False, "a values-only source (ref)")
    assert unit.source is chart
    note = next(n for n in deploy.notes if n.kind == "helm-repository")
    assert (note.file, note.line) == ("infra/argocd/applications/monitoring.yaml", 11)
    assert "kube-prometheus-stack" in note.message and "not fetched" in note.message


def test_post_mortem_applicationset_passes_one_set_per_api(deploy):
    """HELMFAIL 2: each generated Application passes --set api.<domain>.enabled=true to one chart."""
    units = [u for u in deploy.sorted_units() if u.generated and u.generated.appset == "argocd/ecoeco-api"]
    assert [u.name for u in units] == ["ecoeco-api-auth", "ecoeco-api-my", "ecoeco-api-scan"]
    for unit, domain in zip(units, ("auth", "my", "scan")):
        assert unit.source.path == "charts/ecoeco-backend"
        assert unit.source.helm.set_values() == [f"api.{domain}.enabled=true"]
        assert [v.path for v in unit.source.helm.value_files] == ["charts/ecoeco-backend/values-14nodes.yaml"]
        assert unit.generated.params == (("domain", domain),)
        assert (unit.generated.file, unit.generated.line, unit.generated.generator) == (
            "infra/argocd/applications/apis.yaml", 5, "list")
        assert unit.source.helm.parameters[0].line == 27
        assert unit.destination.namespace == "api"


def test_git_directories_generator_with_exclude_and_go_template(deploy):
    units = [u for u in deploy.sorted_units() if u.generated and u.generated.appset == "argocd/ecoeco-api-kustomize"]
    assert [(u.name, u.source.path, u.source.kind, u.source.line) for u in units] == [
        ("api-auth", "infra/k8s/api/overlays/auth", "kustomize", 26),
        ("api-my", "infra/k8s/api/overlays/my", "kustomize", 26),
    ]
    params = dict(units[0].generated.params)
    assert params["path.basename"] == "auth" and params["path.segments.4"] == "auth"
    assert params["path.path"] == "infra/k8s/api/overlays/auth"


def test_app_project_is_kept(deploy):
    (project,) = deploy.projects
    assert (project.name, project.namespace, project.file, project.line) == ("default", "argocd", "infra/argocd/projects/default.yaml", 4)
    assert project.source_repos == (DEPLOY_URL,)
    assert [(d.server, d.namespace) for d in project.destinations] == [
        ("https://kubernetes.default.svc", "prj-01-*"), ("https://kubernetes.default.svc", "argocd")]


def test_output_is_deterministic(deploy):
    again = reading(DEPLOY, DEPLOY_URL)
    dump = lambda r: json.dumps([asdict(u) for u in r.sorted_units()], default=str, sort_keys=True)  # noqa: E731
    assert dump(again) == dump(deploy)
    assert again.notes == deploy.notes and again.problems == deploy.problems


def test_environment_from_config_globs_first():
    units = by_name(reading(DEPLOY, DEPLOY_URL).units)
    assert environment(units["app-helm"], {"app-helm": "staging"}) == ("staging", "config environments['app-helm'] on its name")
    assert environment(units["monitoring"], {"monitoring": "prod"}) == ("production", "config environments['monitoring'] on its name")
    assert environment(units["api-auth"], {"infra/k8s/api/*": "dev"}) == ("development", "config environments['infra/k8s/api/*'] on its path")
    assert environment(units["monitoring"]) == ("production", "its values file")
    assert environment(units["api-auth"]) == ("unknown", "unresolved")


# ------------------------------------------------------------------ mistakes, at the line of the field


def problems(r, file: str | None = None):
    return [(p.rule, p.file, p.line, p.message) for p in r.problems if file is None or p.file == file]


def test_wrong_path_is_reported_at_its_line(broken):
    assert problems(broken, "apps/wrong-path.yaml") == [
        ("gitops-source", "apps/wrong-path.yaml", 11, "wrong-path: source path k8s/overlays/prodution does not exist in this repository")]
    unit = by_name(broken.units)["wrong-path"]
    assert (unit.source.kind, unit.source.followed, unit.source.why_not) == ("unknown", False, "the path does not exist")


def test_values_files_missing_outside_or_with_an_unknown_ref(broken):
    assert problems(broken, "apps/values-files.yaml") == [
        ("gitops-source", "apps/values-files.yaml", 15,
         "values-files: values file values-prd.yaml (helm/chart/values-prd.yaml) does not exist in this repository"),
        ("gitops-source", "apps/values-files.yaml", 16, "values-files: values file ../../../outside.yaml leaves the repository"),
        ("gitops-source", "apps/values-files.yaml", 17,
         "values-files: values file $vals/helm/chart/values.yaml names source ref 'vals', which no source of the Application declares"),
        ("gitops-source", "apps/values-files.yaml", 21,
         "values-files: helm file parameter config reads files/config.json, which does not exist in this repository"),
    ]
    ignored = by_name(broken.units)["values-files-ignored"].source.helm
    assert ignored.ignore_missing_value_files and [(v.path, v.exists) for v in ignored.value_files] == [("helm/chart/values-prd.yaml", False)]
    url = next(n for n in broken.notes if n.kind == "values-url")
    assert (url.file, url.line, url.subject) == ("apps/values-files.yaml", 18, "https://example.com/values.yaml")


def test_helm_options_on_a_kustomization_folder(broken):
    assert problems(broken, "apps/wrong-type.yaml") == [
        ("gitops-source", "apps/wrong-type.yaml", 12, "wrong-type: the source has helm options but k8s/overlays/production has no Chart.yaml")]


def test_what_cannot_be_followed_is_noted_once_and_credentials_never_shown(broken):
    notes = {(n.kind, n.subject): n for n in broken.notes}
    other = notes[("repository", "https://github.com/org/other.git")]
    assert other.message.startswith("https://github.com/org/other.git is not this repository")
    assert notes[("oci", "registry-1.docker.io/bitnamicharts nginx")].line == 25
    assert notes[("plugin", "kasane")].message == "config management plugin kasane: k8slint runs no plugins"
    elsewhere = by_name(broken.units)["elsewhere"].source
    assert (elsewhere.followed, elsewhere.repo_url) == (False, "https://github.com/org/other.git")
    everything = json.dumps([asdict(u) for u in broken.units] + [asdict(n) for n in broken.notes]
                            + [asdict(p) for p in broken.problems], default=str)
    assert "ghp_notarealtoken" not in everything and "deploy-bot" not in everything


def test_applicationsets_argo_cd_would_refuse(broken):
    assert problems(broken, "apps/appsets.yaml") == [
        ("gitops-appset", "apps/appsets.yaml", 16,
         "ApplicationSet same-names: two generated Applications are named guestbook-dev: Argo CD generates no Application from it"),
        ("gitops-appset", "apps/appsets.yaml", 47,
         'ApplicationSet missing-key: template: executing .environment: map has no entry for key "environment": '
         "Argo CD generates no Application from it"),
    ]
    assert not [u for u in broken.units if u.generated]
    notes = {(n.kind, n.line): n.message for n in broken.notes if n.file == "apps/appsets.yaml"}
    assert notes[("generator", 59)] == ("ApplicationSet previews: the pullRequest generator needs a network or a cluster: "
                                        "k8slint does not expand it")
    assert "is not this repository: generators reading it are not expanded" in notes[("repository", 64)]


def test_two_applications_deploying_each_other_are_a_cycle_read_once(broken):
    units = by_name(broken.units)
    assert (units["app-a"].depth, units["app-a"].parent) == (0, None)
    assert (units["app-b"].depth, units["app-b"].parent) == (1, "Application/argocd/app-a")
    cycle = next(n for n in broken.notes if n.kind == "cycle")
    assert (cycle.file, cycle.line) == ("cycle/b/app-b.yaml", 11)
    assert "argocd/app-a -> argocd/app-b -> argocd/app-a" in cycle.message
    assert [u.name for u in broken.units].count("app-a") == 1


def test_app_of_apps_depth_is_bounded():
    shallow = reading(BROKEN, BROKEN_URL, max_depth=1)
    units = by_name(shallow.units)
    assert "level-three" not in units and units["level-two"].depth == 1
    depth = next(n for n in shallow.notes if n.kind == "depth" and n.subject == "Application/argocd/level-two")
    assert (depth.file, depth.line) == ("deep/one/two/app-two.yaml", 4)
    assert "deeper than 1 levels: not followed" in depth.message
    assert by_name(reading(BROKEN, BROKEN_URL).units)["level-three"].depth == 2


def test_directory_source_recurse_include_exclude(broken):
    source = by_name(broken.units)["manifests"].source
    assert source.directory.files == ("manifests/configmap.yaml", "manifests/nested/settings.json")
    assert (source.directory.recurse, source.directory.include, source.directory.exclude) == (True, "{*.yaml,*.json}", "skip/*")
    plain = by_name(broken.units)["level-three"].source.directory
    assert plain.files == ("manifests/configmap.yaml",)  # no recursion: the top folder only


def test_without_any_known_url_a_source_is_followed_when_its_path_exists(tmp_path: Path):
    root = tmp_path / "repo"
    shutil.copytree(BROKEN, root)
    r = read(root, documents(root), Options())
    units = by_name(r.units)
    assert units["plugin-app"].source.why_not == "a plugin source"
    assert units["wrong-path"].source.followed is False and not problems(r, "apps/wrong-path.yaml")
    # the heuristic cannot tell another repository whose path also exists here: that is why it says so
    assert units["elsewhere"].source.followed is True and units["elsewhere"].source.path == "k8s"
    note = next(n for n in r.notes if n.kind == "repo-url")
    assert "no gitops repo-urls in the configuration and no git remote" in note.message


def test_git_remote_is_this_repository(tmp_path: Path):
    root = tmp_path / "repo"
    shutil.copytree(DEPLOY, root)
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text('[core]\n\tbare = false\n[remote "origin"]\n\turl = git@github.com:org/deploy-repo.git\n'
                                          '\tfetch = +refs/heads/*:refs/remotes/origin/*\n')
    r = read(root, documents(root), Options())
    assert [u.name for u in r.sorted_units()] == [u.name for u in reading(DEPLOY, DEPLOY_URL).sorted_units()]
    assert all(u.source.followed for u in r.units if u.name != "monitoring")
    assert not [n for n in r.notes if n.kind == "repo-url"]


def _one_app(tmp_path: Path, source: str, files: dict[str, str]) -> tuple:
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    (tmp_path / "app.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: app\n  namespace: argocd\nspec:\n"
        "  project: default\n  source:\n    repoURL: https://github.com/org/r.git\n" + source
        + "  destination:\n    server: https://kubernetes.default.svc\n    namespace: web\n")
    r = read(tmp_path, documents(tmp_path), Options(repo_urls=["https://github.com/org/r.git"]))
    (unit,) = r.units
    return unit, r


CHART = {"chart/Chart.yaml": "apiVersion: v2\nname: chart\nversion: 0.1.0\n", "chart/values.yaml": "a: 1\n"}


def test_helm_values_string_and_values_object(tmp_path: Path):
    unit, r = _one_app(tmp_path, """    path: chart
    helm:
      releaseName: web
      values: |
        replicas: 2
        image:
          tag: v1
      skipCrds: true
      namespace: other
      kubeVersion: "1.30"
      apiVersions: [monitoring.coreos.com/v1]
""", CHART)
    helm = unit.source.helm
    (values,) = helm.inline
    assert (values.label, values.data, values.line) == ("helm.values", {"replicas": 2, "image": {"tag": "v1"}}, 13)
    assert (helm.release_name, helm.skip_crds, helm.namespace, helm.kube_version, helm.api_versions) == (
        "web", True, "other", "1.30", ("monitoring.coreos.com/v1",))
    assert r.problems == []


def test_helm_values_object_wins_over_values(tmp_path: Path):
    unit, r = _one_app(tmp_path, """    path: chart
    helm:
      values: "replicas: 2"
      valuesObject:
        replicas: 3
""", CHART)
    assert [(i.label, i.data, i.line) for i in unit.source.helm.inline] == [("helm.valuesObject", {"replicas": 3}, 13)]
    assert unit.source.helm.release_name == "app" and unit.source.helm.namespace == "web"


def test_helm_values_that_are_not_yaml(tmp_path: Path):
    _, r = _one_app(tmp_path, """    path: chart
    helm:
      values: |
        replicas: [2
""", CHART)
    assert [(p.rule, p.line) for p in r.problems] == [("gitops-source", 13)]
    assert r.problems[0].message.startswith("app: helm.values is not valid YAML: YAML syntax error")


def test_every_kustomize_option(tmp_path: Path):
    unit, r = _one_app(tmp_path, """    path: overlay
    kustomize:
      namePrefix: a-
      nameSuffix: -z
      namespace: web
      commonAnnotations:
        team: web
      images:
        - nginx:1.27
        - app=ghcr.io/org/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
      replicas:
        - name: app
          count: 3
      patches:
        - target:
            kind: Deployment
          patch: |-
            - op: add
              path: /metadata/labels/x
              value: y
      components:
        - ../components/debug
        - ../components/missing
""", {"overlay/kustomization.yaml": "resources: []\n", "components/debug/kustomization.yaml": "kind: Component\n"})
    options = unit.source.kustomize
    assert options.overlay() == {
        "namePrefix": "a-", "nameSuffix": "-z", "namespace": "web", "commonAnnotations": {"team": "web"},
        "images": [{"name": "nginx", "newTag": "1.27"},
                   {"name": "app", "newName": "ghcr.io/org/app",
                    "digest": "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}],
        "patches": [{"target": {"kind": "Deployment"}, "patch": "- op: add\n  path: /metadata/labels/x\n  value: y"}],
        "replicas": [{"name": "app", "count": 3}],
    }
    assert options.components == ("components/debug",)
    assert [(p.line, p.message) for p in r.problems] == [
        (32, "app: kustomize component ../components/missing does not exist in this repository")]
