"""Units rendered with real Helm and real kustomize: what the next phase's gitops renderer will
do, done here by hand so the interfaces (options, children(), overlaps(), unmanaged()) are
proven on real renders.

HELMFAIL 2: the post-mortem's ApplicationSet passes --set api.<domain>.enabled=true to one chart
whose guard is wrong, so every generated Application renders every API: duplicated Deployments
in one namespace (gitops-overlap). Its fix, one overlay per API, renders each API once.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from conftest import CORPUS, FIXTURES
from k8slint.render.gitops import Deployed, Deployment, Doc, Options, documents, overlaps, read, unmanaged
from k8slint.render import render
from k8slint.plan.settings import Settings
from k8slint.model import Target
from k8slint.plan.targets import discover
from k8slint.sources import relative

DEPLOY = FIXTURES / "gitops" / "deploy-repo"
URL = "https://github.com/org/deploy-repo.git"


def render_unit(root: Path, unit: Deployment):
    """Render a unit's first followed source as the repository's own renderers do (values
    files and --set for Helm; the kustomization as it is): the objects, each with its Doc."""
    source = unit.followed_sources()[0]
    if source.kind == "helm":
        helm = source.helm
        target = Target(kind="helm", path=root / source.path, display=source.path,
                        values=[root / v.path for v in helm.value_files if v.exists],
                        set_values=helm.set_values(), release_name=helm.release_name, namespace=helm.namespace)
    else:
        target = Target(kind="kustomize" if source.kind == "kustomize" else "dir", path=root / source.path,
                        display=source.path, namespace=unit.destination.namespace)
    result = render(target, Settings(repo_root=root))
    assert not result.failed, [p.message for p in result.problems]
    return result.objects


def deployed(root: Path, unit: Deployment) -> list[Deployed]:
    out = []
    for obj in render_unit(root, unit):
        file = obj.origin or obj.stream_file
        line = obj.data.line
        if obj.helm_template is not None:  # the template's `kind:` line stands for the object
            lines = (root / file).read_text().splitlines()
            line = next(i for i, text in enumerate(lines, 1) if text.strip() == f"kind: {obj.kind}")
        out.append(Deployed(obj.group, obj.kind, obj.namespace, obj.name, file, line))
    return out


@pytest.fixture(scope="module")
def deploy():
    return read(DEPLOY, documents(DEPLOY), Options(repo_urls=[URL]))


def test_post_mortem_duplicates_are_an_overlap(deploy):
    units = [u for u in deploy.sorted_units() if u.generated and u.generated.appset == "argocd/ecoeco-api"]
    rendered = [(u, deployed(DEPLOY, u)) for u in units]
    # every Application renders every API, not only its own
    assert [sorted(o.name for o in objs) for _, objs in rendered] == [["auth-api", "my-api", "scan-api"]] * 3
    found = overlaps(rendered)
    template = "charts/ecoeco-backend/templates/api/deployment.yaml"
    assert sorted((p.rule, p.file, p.line, p.unit) for p in found) == sorted(
        ("gitops-overlap", template, 7, f"Application/argocd/ecoeco-api-{domain}") for domain in ("my", "scan") for _ in range(3))
    message = next(p.message for p in found if p.unit.endswith("-my") and "auth-api" in p.message)
    assert message == ("Application argocd/ecoeco-api-my (from ApplicationSet argocd/ecoeco-api) deploys apps/Deployment "
                       "api/auth-api, which Application argocd/ecoeco-api-auth (from ApplicationSet argocd/ecoeco-api) "
                       "(infra/argocd/applications/apis.yaml:16) also deploys to the same cluster (in-cluster): the two "
                       "fight over one object")


def test_the_fix_one_overlay_per_api_overlaps_nothing(deploy):
    units = [u for u in deploy.sorted_units() if u.generated and u.generated.appset == "argocd/ecoeco-api-kustomize"]
    rendered = [(u, deployed(DEPLOY, u)) for u in units]
    assert [[(o.kind, o.namespace, o.name) for o in objs] for _, objs in rendered] == [
        [("Deployment", "api", "auth-api")], [("Deployment", "api", "my-api")]]
    assert overlaps(rendered) == []


def test_helm_and_kustomize_applications_side_by_side_fight_over_auth_api(deploy):
    """Half-way through the post-mortem's migration both deploy auth-api into namespace api."""
    units = {u.name: u for u in deploy.units}
    found = overlaps([(units[n], deployed(DEPLOY, units[n])) for n in ("ecoeco-api-auth", "api-auth")])
    assert [(p.file, p.line, p.unit) for p in found] == [
        ("infra/k8s/api/base/deployment.yaml", 1, "Application/argocd/api-auth")]
    assert "apps/Deployment api/auth-api" in found[0].message and "ecoeco-api-auth" in found[0].message


def test_objects_without_a_namespace_take_the_destinations(deploy):
    units = {u.name: u for u in deploy.units}
    production, helm = units["app-production"], units["app-helm"]
    assert all(o.namespace is None for o in deployed(DEPLOY, production))
    clash = Deployed("apps", "Deployment", None, "app", "x.yaml", 3)
    assert overlaps([(production, [clash]), (helm, [Deployed("apps", "Deployment", "prj-01-prod", "app", "y.yaml", 4)])])
    other_namespace = Deployed("apps", "Deployment", "prj-01-staging", "app", "y.yaml", 4)
    assert overlaps([(production, [clash]), (helm, [other_namespace])]) == []
    cluster_scoped = Deployed("", "Namespace", None, "prj-01", "z.yaml", 1)
    assert overlaps([(production, [cluster_scoped]), (units["app-staging"], [cluster_scoped])]) != []


def test_overlays_and_charts_no_application_deploys(deploy):
    candidates = []
    for kind, path, *_ in discover(DEPLOY):
        if kind == "dir":
            continue  # a folder of loose manifests is no overlay or chart
        rel = relative(path, DEPLOY)
        marker = "Chart.yaml" if kind == "helm" else "kustomization.yaml"
        candidates.append((kind, rel, f"{rel}/{marker}"))
    found = unmanaged(deploy.deployed_paths(), bool(deploy.units), sorted(set(candidates)))
    assert [(p.rule, p.file, p.line, p.message) for p in found] == [
        ("gitops-unmanaged", "infra/k8s/api/overlays/scan/kustomization.yaml", 1,
         "overlay infra/k8s/api/overlays/scan is deployed by no Application or Flux Kustomization of this repository"),
        ("gitops-unmanaged", "infra/k8s/overlays/sandbox/kustomization.yaml", 1,
         "overlay infra/k8s/overlays/sandbox is deployed by no Application or Flux Kustomization of this repository"),
    ]
    assert "infra/k8s/base" in deploy.deployed_paths()  # included by the overlays the Applications deploy
    assert unmanaged(set(), False, candidates) == []  # a repository without Applications: nothing to say


def test_kustomize_options_are_real_kustomize(deploy, tmp_path: Path):
    """app-staging's namePrefix, commonLabels and images, as a wrapper kustomization around its
    path, are what kustomize itself applies."""
    root = tmp_path / "repo"
    shutil.copytree(DEPLOY, root)
    unit = {u.name: u for u in deploy.units}["app-staging"]
    wrapper = root / ".wrap" / "app-staging"
    wrapper.mkdir(parents=True)
    overlay = {"resources": [f"../../{unit.source.path}"], **unit.source.kustomize.overlay()}
    (wrapper / "kustomization.yaml").write_text(yaml.safe_dump(overlay))
    result = render(Target(kind="kustomize", path=wrapper, display=".wrap/app-staging"), Settings(repo_root=root))
    assert not result.failed, [p.message for p in result.problems]
    objects = {(o.kind, o.name): o for o in result.objects}
    assert set(objects) == {("Deployment", "stg-app"), ("Service", "stg-app")}
    deployment = objects[("Deployment", "stg-app")].data
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == "ghcr.io/org/app:rc-20260202"
    assert deployment["spec"]["selector"]["matchLabels"] == {"app": "app", "team": "platform"}


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus not present")
def test_app_of_apps_chart_is_followed_through_its_helm_render():
    """argocd-example-apps/apps: a chart whose templates are Applications. Its root Application is
    created by hand (`argocd app create apps --path apps`), given here as a loaded document."""
    from k8slint.load import load_text

    root = CORPUS / "argoproj__argocd-example-apps"
    docs, _ = load_text("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: apps\n  namespace: argocd\n"
                        "spec:\n  project: default\n  source:\n    repoURL: https://github.com/argoproj/argocd-example-apps.git\n"
                        "    path: apps\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: argocd\n")
    r = read(root, [Doc("apps.yaml", docs[0].data, 1)], Options(repo_urls=["https://github.com/argoproj/argocd-example-apps"]))
    (parent,) = r.pending()
    assert (parent.name, parent.source.kind, parent.follow) == ("apps", "helm", True)
    objects = render_unit(root, parent)
    children = r.children(parent, [Doc(o.origin, o.data, o.data.line) for o in objects])
    kinds = {c.name: (c.source.kind, c.source.path, c.depth, c.parent) for c in children}
    assert kinds["example.guestbook"] == ("directory", "guestbook", 1, "Application/argocd/apps")
    assert kinds["example.helm-guestbook"] == ("helm", "helm-guestbook", 1, "Application/argocd/apps")
    assert kinds["example.kustomize-guestbook"] == ("kustomize", "kustomize-guestbook", 1, "Application/argocd/apps")
    assert kinds["example.sock-shop"] == ("kustomize", "sock-shop", 1, "Application/argocd/apps")
    assert len(children) == 14
    helm_guestbook = next(c for c in children if c.name == "example.helm-guestbook")
    assert helm_guestbook.source.helm.release_name == "helm-guestbook"
    assert helm_guestbook.destination.namespace == "helm-guestbook"
    # the copy in the corpus keeps five of the fourteen apps: the others are missing paths, named
    missing = sorted(p.message.split(":")[0] for p in r.problems)
    assert missing == ["example.blue-green", "example.helm-hooks", "example.jsonnet-guestbook", "example.jsonnet-guestbook-tla",
                       "example.plugin-kasane", "example.plugin-kustomized-helm", "example.plugin-nix",
                       "example.pre-post-sync", "example.sync-waves"]
    assert {p.file for p in r.problems} == {"apps/templates/applications.yaml"}
    assert all(p.rule == "gitops-source" and "does not exist in this repository" in p.message for p in r.problems)
    # the same render given twice adds nothing
    assert r.children(parent, [Doc(o.origin, o.data, o.data.line) for o in objects]) == []
    assert len(r.units) == 1 + 14


CHAIN_CHART = {
    "Chart.yaml": "apiVersion: v2\nname: chain\nversion: 0.1.0\n",
    "values.yaml": "n: 0\n",
    # each render deploys the next level: the same chart with n + 1 (an unbounded app-of-apps)
    "templates/next.yaml": """apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: level-{{ add .Values.n 1 }}
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://github.com/org/chain.git
    path: chain
    helm:
      parameters:
        - name: n
          value: "{{ add .Values.n 1 }}"
  destination:
    server: https://kubernetes.default.svc
    namespace: argocd
""",
}


def _chart_repo(tmp_path: Path, templates: dict[str, str], root_app: str) -> Path:
    root = tmp_path / "repo"
    for rel, text in templates.items():
        path = root / "chain" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (root / "root.yaml").write_text(root_app)
    return root


ROOT_APP = """apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: level-0
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://github.com/org/chain.git
    path: chain
  destination:
    server: https://kubernetes.default.svc
    namespace: argocd
"""


def _follow_all(r, root: Path) -> int:
    """Render pending units until none is left (what the integration will do); how many renders."""
    done: set[int] = set()
    renders = 0
    while True:
        todo = [u for u in r.pending() if id(u) not in done]
        if not todo:
            return renders
        for unit in todo:
            done.add(id(unit))
            source = unit.source.helm
            target = Target(kind="helm", path=root / unit.source.path, display=unit.source.path,
                            set_values=source.set_values(), release_name=source.release_name, namespace="argocd")
            result = render(target, Settings(repo_root=root))
            assert not result.failed, [p.message for p in result.problems]
            renders += 1
            r.children(unit, [Doc(o.origin, o.data, o.data.line) for o in result.objects])


def test_an_unbounded_app_of_apps_chart_stops_at_the_depth_limit(tmp_path: Path):
    root = _chart_repo(tmp_path, CHAIN_CHART, ROOT_APP)
    r = read(root, documents(root), Options(repo_urls=["https://github.com/org/chain.git"], max_depth=3))
    assert _follow_all(r, root) == 3  # levels 0, 1 and 2; level 3 is not rendered for more
    assert [(u.name, u.depth, u.source.helm.set_values()) for u in r.sorted_units()] == [
        ("level-1", 1, ["n=1"]), ("level-2", 2, ["n=2"]), ("level-3", 3, ["n=3"]), ("level-0", 0, [])]
    note = next(n for n in r.notes if n.kind == "depth")
    assert note.subject == "Application/argocd/level-3"
    assert note.message == ("Application argocd/level-3 deploys further GitOps objects, deeper than 3 levels: not followed")
    assert (note.file, note.line) == ("chain/templates/next.yaml", 4)


def test_a_chart_that_deploys_its_own_application_is_a_cycle(tmp_path: Path):
    looping = dict(CHAIN_CHART, **{"templates/next.yaml": CHAIN_CHART["templates/next.yaml"].replace(
        "level-{{ add .Values.n 1 }}", "level-0").replace('"{{ add .Values.n 1 }}"', '"0"')})
    root = _chart_repo(tmp_path, looping, ROOT_APP)
    r = read(root, documents(root), Options(repo_urls=["https://github.com/org/chain.git"]))
    assert _follow_all(r, root) == 1
    assert [u.name for u in r.units] == ["level-0"]
    note = next(n for n in r.notes if n.kind == "self-managed")
    assert (note.file, note.line, note.subject) == ("root.yaml", 10, "Application/argocd/level-0")
    assert "deploys its own manifest (chain/templates/next.yaml): it manages itself; read once" in note.message


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus not present")
def test_a_problem_in_a_rendered_child_names_the_field_for_the_locator():
    """A Helm-rendered child's problem stands at a line of the render; path_at gives the field,
    which the integration's locator maps to the template line."""
    from k8slint.render.gitops.collect import path_at
    from k8slint.load import load_text
    from k8slint.documents import SourceCache
    from k8slint.locate import Locator

    root = CORPUS / "argoproj__argocd-example-apps"
    docs, _ = load_text("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: apps\n  namespace: argocd\n"
                        "spec:\n  source:\n    repoURL: https://github.com/argoproj/argocd-example-apps\n    path: apps\n"
                        "  destination:\n    namespace: argocd\n")
    r = read(root, [Doc("apps.yaml", docs[0].data, 1)], Options(repo_urls=["https://github.com/argoproj/argocd-example-apps"]))
    (parent,) = r.pending()
    objects = render_unit(root, parent)
    r.children(parent, [Doc(o.origin, o.data, o.data.line) for o in objects])
    problem = next(p for p in r.problems if p.message.startswith("example.blue-green:"))
    obj = next(o for o in objects if o.name == "example.blue-green")
    path = path_at(obj.data, problem.line)
    assert path == ("spec", "source", "path")
    where = Locator(SourceCache(root), obj.stream_file).locate(obj, path)
    assert (where.file, where.line) == ("apps/templates/applications.yaml", 16)
