"""Every ApplicationSet example of argoproj/argo-cd (../shared/corpus) expands to the Applications
Argo CD would generate from it; what cannot be expanded offline is a note, and the examples
Argo CD itself would get wrong are problems. Each example is read on its own (they reuse names)."""

from __future__ import annotations

import pytest

from conftest import CORPUS
from k8slint.render.gitops import Options, documents, read

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus not present")

ROOT = CORPUS / "argoproj__argo-cd"
EX = "applicationset/examples/"
LIST = EX + "list-generator/guestbook/"
ADDONS = EX + "git-generator-directory/cluster-addons/"
EXCLUDES = EX + "git-generator-directory/excludes/cluster-addons/"
MATRIX = EX + "matrix/cluster-addons/"
FILES_APP = EX + "git-generator-files-discovery/apps/guestbook"

# example -> [(generated Application, its source path when it is in this repository)]
GUESTBOOK_LIST = [("engineering-dev-guestbook", LIST + "engineering-dev"), ("engineering-prod-guestbook", LIST + "engineering-prod")]
ADDON_APPS = [("argo-workflows", ADDONS + "argo-workflows"), ("prometheus-operator", ADDONS + "prometheus-operator")]
MATRIX_APPS = [(f"{a}-engineering-{e}", MATRIX + a) for a in ("argo-workflows", "prometheus-operator") for e in ("dev", "prod")]
UNION = [(f"{p}-engineering-{e}-{s}", LIST + f"engineering-{e}") for p in ("first", "second") for e in ("dev", "prod") for s in "12"]
DESIGN_LIST = [("engineering-dev-guestbook", None), ("engineering-prod-guestbook", None), ("finance-preprod-guestbook", None)]
OVERRIDE = [("engineering-dev-guestbook", EX + "template-override/engineering-dev-override")]
TWO_MATRIXES = [("in-cluster-guestbook-prod", None), ("in-cluster-guestbook-staging", None)]
EXPECTED = {
    "applications-sync-policies/create-only.yaml": GUESTBOOK_LIST,
    "applications-sync-policies/create-update.yaml": GUESTBOOK_LIST,
    "cluster/cluster-example.yaml": [("in-cluster-guestbook", None)],
    "cluster/cluster-example-fasttemplate.yaml": [("in-cluster-guestbook", None)],
    "clusterDecisionResource/ducktype-example.yaml": [],
    "clusterDecisionResource/ducktype-example-fasttemplate.yaml": [],
    "design-doc/applicationset.yaml": [("in-cluster-guestbook", None)],
    "design-doc/applicationset-fasttemplate.yaml": [("in-cluster-guestbook", None)],
    "design-doc/clusters.yaml": [],
    "design-doc/git-directory-discovery.yaml": [],
    "design-doc/git-directory-discovery-fasttemplate.yaml": [],
    "design-doc/git-files-discovery.yaml": [],
    "design-doc/git-files-discovery-fasttemplate.yaml": [],
    "design-doc/git-files-literal.yaml": [],
    "design-doc/git-files-literal-fasttemplate.yaml": [],
    "design-doc/list.yaml": DESIGN_LIST,
    "design-doc/list-fasttemplate.yaml": DESIGN_LIST,
    "design-doc/proposal/filters.yaml": [("in-cluster-guestbook", None)],
    "design-doc/template-override.yaml": DESIGN_LIST[:2],
    "design-doc/template-override-fasttemplate.yaml": DESIGN_LIST[:2],
    "git-generator-directory/git-directories-example.yaml": ADDON_APPS,
    "git-generator-directory/git-directories-example-fasttemplate.yaml": ADDON_APPS,
    "git-generator-directory/excludes/git-directories-exclude-example-fasttemplate.yaml": [
        ("argo-workflows", EXCLUDES + "argo-workflows"), ("prometheus-operator", EXCLUDES + "prometheus-operator")],
    # goTemplate with '{{.path}}' where '{{.path.path}}' was meant: Argo CD prints the whole map as the path
    "git-generator-directory/excludes/git-directories-exclude-example.yaml": [("argo-workflows", "map[...]"),
                                                                               ("prometheus-operator", "map[...]")],
    "git-generator-files-discovery/git-generator-files.yaml": [("engineering-dev-guestbook", FILES_APP),
                                                               ("engineering-prod-guestbook", FILES_APP)],
    "git-generator-files-discovery/git-generator-files-fasttemplate.yaml": [("engineering-dev-guestbook", FILES_APP),
                                                                            ("engineering-prod-guestbook", FILES_APP)],
    "git-generator-files-discovery/excludes/git-files-exclude-example.yaml": [("engineering-prod-guestbook", FILES_APP)],
    "git-generator-files-discovery/excludes/git-files-exclude-example-fasttemplate.yaml": [("engineering-prod-guestbook", FILES_APP)],
    "list-generator/list-example.yaml": GUESTBOOK_LIST,
    "list-generator/list-example-fasttemplate.yaml": GUESTBOOK_LIST,
    "matrix/cluster-and-git.yaml": [],
    "matrix/cluster-and-git-fasttemplate.yaml": [],
    "matrix/list-and-git.yaml": MATRIX_APPS,
    "matrix/list-and-git-fasttemplate.yaml": MATRIX_APPS,
    "matrix/list-and-list.yaml": [],
    "matrix/list-and-list-fasttemplate.yaml": [(f"engineering-{e}-{s}", "{{path}}") for e in ("dev", "prod") for s in "12"],
    "matrix/matrix-and-union-in-matrix.yaml": UNION,
    "matrix/matrix-and-union-in-matrix-fasttemplate.yaml": UNION,
    "merge/merge-clusters-and-list.yaml": [("in-cluster", None)],
    "merge/merge-clusters-and-list-fasttemplate.yaml": [("in-cluster", None)],
    "merge/merge-two-matrixes.yaml": TWO_MATRIXES,
    "merge/merge-two-matrixes-fasttemplate.yaml": TWO_MATRIXES,
    "pull-request-generator/pull-request-example.yaml": [],
    "pull-request-generator/pull-request-example-fasttemplate.yaml": [],
    "scm-provider-generator/scm-provider-example.yaml": [],
    "scm-provider-generator/scm-provider-example-fasttemplate.yaml": [],
    "scm-provider-generator/scm-provider-example-fasttemplate-gitlab.yaml": [],
    "template-override/template-overrides-example.yaml": OVERRIDE,
    "template-override/template-overrides-example-fasttemplate.yaml": OVERRIDE,
}
# examples that expand to nothing, and why (a note, or a problem Argo CD itself would report)
WHY_NOTHING = {
    "clusterDecisionResource": "generator", "pull-request-generator": "generator", "scm-provider-generator": "generator",
    "design-doc/git-": "repository", "design-doc/clusters.yaml": "clusters", "matrix/cluster-and-git": "clusters",
    "matrix/list-and-list.yaml": "gitops-appset",
}


def _docs():
    return documents(ROOT) if ROOT.is_dir() else []


ALL = _docs()


def test_every_example_is_in_the_table():
    found = {d.file[len(EX):] for d in ALL if d.data.get("kind") == "ApplicationSet"}
    assert found == set(EXPECTED)


@pytest.mark.parametrize("example", sorted(EXPECTED))
def test_example_expands_as_argo_cd_would(example: str):
    docs = [d for d in ALL if d.file == EX + example]
    r = read(ROOT, docs, Options(repo_urls=["https://github.com/argoproj/argo-cd.git"]))
    got = []
    for unit in r.sorted_units():
        source = unit.source
        path = source.path if source is not None and (source.followed or source.path) else None
        got.append((unit.name, "map[...]" if path and path.startswith("map[") else path))
        assert unit.generated is not None and unit.generated.file == EX + example
    assert got == EXPECTED[example]
    for unit in r.units:
        if unit.source and unit.source.followed:
            assert unit.source.kind in ("kustomize", "helm", "directory")
    if not EXPECTED[example]:
        why = next(v for k, v in WHY_NOTHING.items() if example.startswith(k))
        assert why in {n.kind for n in r.notes} | {p.rule for p in r.problems}, (r.notes, r.problems)


def test_broken_examples_are_reported_at_the_line_of_the_field():
    def problems(example):
        r = read(ROOT, [d for d in ALL if d.file == EX + example], Options(repo_urls=["https://github.com/argoproj/argo-cd.git"]))
        return [(p.rule, p.line, p.message) for p in r.problems]

    (rule, line, message), _ = problems("git-generator-directory/excludes/git-directories-exclude-example.yaml")
    assert (rule, line) == ("gitops-source", 25)
    assert message.startswith("argo-workflows: source path map[basename:argo-workflows ") and message.endswith(
        "does not exist in this repository (a whole generator parameter printed where one of its fields was meant, "
        "e.g. {{.path}} for {{.path.path}})")
    assert problems("matrix/list-and-list.yaml") == [(
        "gitops-appset", 36, 'ApplicationSet list-and-list: template: executing .path.path: map has no entry for key "path": '
        "Argo CD generates no Application from it")]
    assert problems("matrix/list-and-list-fasttemplate.yaml")[0] == (
        "gitops-source", 34, "engineering-dev-1: source path {{path}} does not exist in this repository "
        "(a template placeholder that no generator parameter filled)")
    assert problems("list-generator/list-example.yaml") == []


def test_whole_example_folder_reads_deterministically():
    first = read(ROOT, ALL, Options(repo_urls=["https://github.com/argoproj/argo-cd.git"]))
    second = read(ROOT, ALL, Options(repo_urls=["https://github.com/argoproj/argo-cd.git"]))
    assert [u.key for u in first.sorted_units()] == [u.key for u in second.sorted_units()]
    assert first.notes == second.notes and first.problems == second.problems
    assert len(first.units) == sum(len(v) for v in EXPECTED.values())
