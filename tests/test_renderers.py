"""A render source is one module plus a registration: a renderer added at run time (a folder
holding a JSON manifest list) is discovered, listed, rendered, checked, located and chosen by
--changed without any other module knowing it."""

from __future__ import annotations

import json
import textwrap

import pytest

import k8slint
from k8slint import render

RENDERER_MODULE = '''
from k8slint.load import load_text
from k8slint.model import K8sObject
from k8slint.render import Inputs, Render, Renderer, Unit
from k8slint.render.stream import objects_from_documents
from k8slint.sources import relative


class JsonListRenderer(Renderer):
    """A folder holding manifests.json: a JSON list of Kubernetes objects."""

    kind = "json-list"

    def discover(self, found, root, settings):
        if not found:  # registered without markers: find the files by reading the tree
            files = [settings.repo_root / rel for rel in settings.sources.files() if rel.endswith("manifests.json")]
            found = [f.parent for f in files if root in f.parents]
        return [Unit(self.kind, folder) for folder in found]

    def render(self, target, settings):
        result = Render(target)
        rel = relative(target.path / "manifests.json", settings.repo_root)
        text, _ = settings.sources.read(rel)
        if text is None:
            result.failed = True
            return result
        docs, errors = load_text(text)
        items = [d for d in docs[0].data] if docs else []

        def make(data, doc):
            obj = K8sObject(data, rel, doc.index)
            obj.origin = rel
            return obj

        class Doc:  # each list item as a document of the file
            def __init__(self, data, index, line):
                self.data, self.index, self.line = data, index, line

        entries = [Doc(item, i, docs[0].data.item_line(i)) for i, item in enumerate(items)]
        result.objects, result.problems = objects_from_documents(entries, errors, rel, make)
        return result

    def inputs(self, unit, settings):
        return Inputs(files={(unit.path / "manifests.json").resolve()})

    def source_file(self, target):
        return f"{target.display}/manifests.json"


RENDERER = JsonListRenderer()
'''

DEPLOYMENT = {
    "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api", "namespace": "prj-01"},
    "spec": {"selector": {"matchLabels": {"app": "api"}}, "template": {
        "metadata": {"labels": {"app": "api"}},
        "spec": {"containers": [{"name": "api", "image": "ghcr.io/acme/api:latest"}]}}},
}


@pytest.fixture(params=["by marker", "by its own discovery"])
def json_renderer(request, tmp_path, monkeypatch):
    (tmp_path / "modules").mkdir()
    (tmp_path / "modules" / "k8slint_json_list.py").write_text(textwrap.dedent(RENDERER_MODULE))
    monkeypatch.syspath_prepend(str(tmp_path / "modules"))
    if request.param == "by marker":
        registration = render.Registration("json-list", "k8slint_json_list", ("manifests.json",))
    else:
        registration = render.Registration("json-list", "k8slint_json_list", discovers=True)
    monkeypatch.setattr(render, "REGISTRY", (*render.REGISTRY[:2], registration, *render.REGISTRY[2:]))
    monkeypatch.setattr(render, "_BY_KIND", {r.kind: r for r in render.REGISTRY})
    repo = tmp_path / "repo"
    (repo / "apps" / "api" / "production").mkdir(parents=True)
    (repo / ".k8slint.yaml").write_text("fail-on: error\n")
    (repo / "apps" / "api" / "production" / "manifests.json").write_text(json.dumps([DEPLOYMENT], indent=2) + "\n")
    return repo


def test_a_registered_renderer_is_discovered_rendered_checked_and_located(json_renderer):
    repo = json_renderer
    assert [(t.kind, t.label(), t.env) for t in k8slint.targets([str(repo)])] == [
        ("json-list", "apps/api/production", "production")]
    report = k8slint.lint([str(repo)], select=["image-tag-latest"])
    assert [(f.rule, f.location.file, f.location.line, f.target) for f in report.findings] == [
        ("image-tag-latest", "apps/api/production/manifests.json", 25, "apps/api/production")]  # the image line
    assert "uses image 'ghcr.io/acme/api:latest': tag 'latest' is mutable" in report.findings[0].message
    assert [(t.kind, t.objects) for t in report.targets] == [("json-list", 1)]


def test_changed_asks_the_registered_renderer_what_its_targets_read(json_renderer):
    repo = json_renderer
    changed = k8slint.targets([str(repo / "apps/api/production/manifests.json")], changed=True, repo_root=str(repo))
    assert [(t.kind, t.display) for t in changed] == [("json-list", "apps/api/production")]
    (repo / "notes.txt").write_text("not read by any target\n")
    everything = k8slint.targets([str(repo / "notes.txt")], changed=True, repo_root=str(repo))
    assert [(t.kind, t.display) for t in everything] == [("json-list", "apps/api/production")]  # the whole repository
    (repo / "apps" / "web").mkdir()
    (repo / "apps" / "web" / "manifests.json").write_text("[]\n")
    only_web = k8slint.targets([str(repo / "apps/web/manifests.json")], changed=True, repo_root=str(repo))
    assert [t.display for t in only_web] == ["apps/web"]
