"""Flux Kustomizations and HelmReleases whose sources are this repository -> deployment units.

fixtures/gitops/flux-repo follows fluxcd/flux2-kustomize-helm-example with a chart of its own;
the corpus copy of that example (ExternalArtifacts assembled by an ArtifactGenerator) is read too.
HelmReleases inside kustomize overlays come from the overlay's real kustomize render.
"""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest

from conftest import CORPUS, FIXTURES
from k8slint.render.gitops import Doc, Options, documents, environment, read
from test_gitops_render import render_unit

FLUX = FIXTURES / "gitops" / "flux-repo"
URL = "https://github.com/org/fleet.git"


def by_key(units):
    return {(u.file, u.key): u for u in units}


@pytest.fixture
def flux():
    return read(FLUX, documents(FLUX), Options(repo_urls=[URL]))


def follow(r, root):
    """Render every pending unit (real kustomize) and read the GitOps objects out of it."""
    children = []
    for unit in r.pending():
        objects = render_unit(root, unit)
        children += r.children(unit, [Doc(o.origin or o.stream_file, o.data, o.data.line) for o in objects])
    return children


def test_cluster_folders_read_as_units(flux):
    units = [(u.file, u.line, u.key, u.depth, u.parent, u.follow) for u in flux.sorted_units()]
    assert units == [
        ("clusters/production/apps.yaml", 4, "Kustomization/flux-system/apps", 1, "Kustomization/flux-system/flux-system", True),
        ("clusters/production/flux-system/gotk-sync.yaml", 15, "Kustomization/flux-system/flux-system", 0, None, False),
        ("clusters/production/infrastructure.yaml", 4, "Kustomization/flux-system/infrastructure", 1,
         "Kustomization/flux-system/flux-system", True),
        ("clusters/staging/apps.yaml", 4, "Kustomization/flux-system/apps", 0, None, False),
    ]
    notes = [(n.kind, n.file, n.line) for n in flux.notes]
    assert notes == [("self-managed", "clusters/production/flux-system/gotk-sync.yaml", 19)]
    # the production overlay holds a HelmRelease: known now, read from the render
    assert [key for key, *_ in flux.unclaimed()] == ["HelmRelease/ingress-nginx/ingress-nginx", "HelmRelease/podinfo/podinfo"]


def test_kustomization_options_in_kustomization_form(flux):
    apps = by_key(flux.units)[("clusters/production/apps.yaml", "Kustomization/flux-system/apps")]
    source = apps.source
    assert (source.kind, source.path, source.line, source.repo_url) == ("kustomize", "apps/production", 11, "GitRepository flux-system")
    options = source.kustomize
    assert options.overlay() == {
        "namePrefix": "prod-",
        "namespace": "podinfo-prod",
        "labels": [{"pairs": {"env": "production"}, "includeSelectors": False}],
        "images": [{"name": "ghcr.io/stefanprodan/podinfo", "newTag": "6.7.0"}],
        "patches": [{"patch": "- op: replace\n  path: /spec/replicas\n  value: 3\n", "target": {"kind": "Deployment"}}],
    }
    assert options.substitute == {"cluster_name": "production"}
    assert (apps.destination.server, apps.destination.namespace) == ("https://kubernetes.default.svc", "podinfo-prod")
    assert environment(apps) == ("production", "its destination namespace")


def test_flux_bootstrap_folder_is_a_directory_of_manifests(flux):
    root = by_key(flux.units)[("clusters/production/flux-system/gotk-sync.yaml", "Kustomization/flux-system/flux-system")]
    assert (root.source.kind, root.source.path) == ("directory", "clusters/production")
    assert root.source.directory.files == ("clusters/production/apps.yaml", "clusters/production/flux-system/gotk-sync.yaml",
                                           "clusters/production/infrastructure.yaml")


def test_wrong_path_is_reported_at_its_line(flux):
    assert [(p.rule, p.file, p.line, p.message) for p in flux.problems] == [
        ("gitops-source", "clusters/staging/apps.yaml", 11, "Kustomization apps: path ./apps/stagin does not exist "
         "in this repository")]


def test_helmrelease_from_the_overlay_render_with_values_from_the_repository(flux):
    children = follow(flux, FLUX)
    releases = {u.name: u for u in children}
    assert set(releases) == {"podinfo", "ingress-nginx"}
    podinfo = releases["podinfo"]
    assert (podinfo.file, podinfo.line, podinfo.parent, podinfo.depth) == (
        "apps/base/podinfo/release.yaml", 4, "Kustomization/flux-system/apps", 2)
    source = podinfo.source
    assert (source.kind, source.path, source.followed, source.line) == ("helm", "charts/podinfo", True, 10)
    helm = source.helm
    assert [(v.text, v.line, v.path, v.exists) for v in helm.value_files] == [
        ("./charts/podinfo/values.yaml", 16, "charts/podinfo/values.yaml", True),
        ("./charts/podinfo/values-prod.yaml", 17, "charts/podinfo/values-prod.yaml", True)]
    assert helm.chart_values is False  # valuesFiles replace the chart's values.yaml in Flux
    assert [(i.label, i.file, i.line, i.sensitive) for i in helm.inline] == [
        ("valuesFrom ConfigMap podinfo-values", "apps/base/podinfo/values.yaml", 20, False),
        ("valuesFrom ConfigMap podinfo-generated", "apps/base/podinfo/generated-values.yaml", 22, False),
        ("valuesFrom Secret podinfo-secret-values", "apps/base/podinfo/values.yaml", 24, True),
        ("values", "apps/base/podinfo/release.yaml", 32, False),
    ]
    assert helm.inline[0].data == {"replicaCount": 2}
    assert helm.inline[1].data == {"ui": {"message": "generated"}}
    # the production overlay's patch is in the render: its values, the manifest's lines
    assert helm.inline[3].data == {"ui": {"color": "#34577c", "message": "production"}}
    assert (helm.release_name, helm.namespace) == ("podinfo", "podinfo")
    ingress = releases["ingress-nginx"].source
    assert (ingress.followed, ingress.chart, ingress.why_not) == (False, "ingress-nginx", "HelmRepository ingress-nginx is not this repository")
    assert flux.unclaimed() == []


def test_values_from_problems_and_notes_never_show_a_secret(flux):
    follow(flux, FLUX)
    assert ("gitops-source", "apps/base/podinfo/release.yaml", 29,
            "HelmRelease podinfo: valuesFrom ConfigMap podinfo-values: it has no key replicas") in [
        (p.rule, p.file, p.line, p.message) for p in flux.problems]
    notes = {(n.kind, n.line): n.message for n in flux.notes if n.file == "apps/base/podinfo/release.yaml"}
    assert notes == {("values-from", 26): "HelmRelease podinfo: valuesFrom Secret podinfo-cluster-secret is not declared in "
                                          "this repository: its values are not known"}
    shown = json.dumps([asdict(n) for n in flux.notes] + [asdict(p) for p in flux.problems])
    assert "s3cr3t-do-not-print" not in shown


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus not present")
def test_flux2_kustomize_helm_example_maps_artifacts_back_to_its_folders():
    root = CORPUS / "fluxcd__flux2-kustomize-helm-example"
    r = read(root, documents(root), Options(repo_urls=["https://github.com/fluxcd/flux2-kustomize-helm-example"]))
    units = [(u.file, u.name, u.source.kind, u.source.path) for u in r.sorted_units()]
    assert units == [
        ("clusters/production/apps.yaml", "apps", "kustomize", "apps/production"),
        ("clusters/production/infrastructure.yaml", "infra-controllers", "kustomize", "infrastructure/controllers"),
        ("clusters/production/infrastructure.yaml", "infra-configs", "kustomize", "infrastructure/configs"),
        ("clusters/staging/apps.yaml", "apps", "kustomize", "apps/staging"),
        ("clusters/staging/infrastructure.yaml", "infra-controllers", "kustomize", "infrastructure/controllers"),
        ("clusters/staging/infrastructure.yaml", "infra-configs", "kustomize", "infrastructure/configs"),
    ]
    assert r.problems == []
    assert [(n.kind, n.file) for n in r.notes] == [("flux-bootstrap", "clusters/production/artifacts.yaml")]
    children = follow(r, root)
    releases = sorted((c.parent, c.name, c.source.followed, c.source.why_not) for c in children)
    assert ("Kustomization/flux-system/apps", "podinfo", False, "HelmRepository podinfo is not this repository") in releases
    assert ("Kustomization/flux-system/infra-controllers", "cert-manager", False, "OCIRepository cert-manager is not this repository") in releases
    kinds = {n.kind for n in r.notes}
    assert {"helm-repository", "oci"} <= kinds and r.problems == []
    # the staging overlay patches the release's values: read from the render, lines from the base manifest
    staging = next(c for c in children if c.name == "podinfo" and c.file == "apps/base/podinfo/release.yaml" and c.line == 4)
    assert staging.source.chart == "podinfo"
