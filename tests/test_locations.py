"""The location suite: each finding lands on the line a person would edit, rendered for real.

fixtures/locations/<case>/expected.yaml lists, per run (command-line arguments), every finding of
the listed rules: rule, object, container, file, line and the related lines (the template line
that reads a value a values file sets). A run may be given as the first run with some findings
changed (``same_as_first_except``; ``absent: true`` removes one). The format tests check how the
same locations are printed: relative to where the user stands, as ``path:line:col:``, as JSON
``related`` with ``repo_root``, as SARIF ``relatedLocations``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from conftest import FIXTURES, cli
from k8slint.locate.kustomize import selector_matches

CASES = FIXTURES / "locations"


def _runs() -> list:
    out = []
    for folder in sorted(p for p in CASES.iterdir() if (p / "expected.yaml").is_file()):
        expected = yaml.safe_load((folder / "expected.yaml").read_text())
        for position in range(len(expected["runs"])):
            out.append(pytest.param(folder, position, id=f"{folder.name}:{' '.join(expected['runs'][position]['args'])}"))
    return out


def _identity(item: dict) -> tuple:
    return item["rule"], item["object"], item.get("container")


def _wanted(expected: dict, position: int) -> list[dict]:
    run = expected["runs"][position]
    if "findings" in run:
        return run["findings"]
    changes = {_identity(item): item for item in run["same_as_first_except"]}
    kept = [changes.get(_identity(item), item) for item in expected["runs"][0]["findings"]]
    return [item for item in kept if not item.get("absent")]


def _row(item: dict) -> tuple:
    return (*_identity(item), item["file"], item["line"], tuple(item.get("related", ())))


def _container(finding: dict) -> str | None:
    found = re.search(r"container '([^']*)'", finding["message"])
    return found.group(1) if found else None


@pytest.mark.parametrize("folder,position", _runs())
def test_every_finding_is_on_the_line_to_edit(folder: Path, position: int):
    expected = yaml.safe_load((folder / "expected.yaml").read_text())
    args = expected["runs"][position]["args"]
    result = cli("check", *args, "--format", "json", cwd=folder)
    assert result.code in (0, 1) and "Traceback" not in result.err, result.err
    findings = [f for f in result.json["findings"] if f["rule"] in expected["rules"]]
    got = sorted((f["rule"], f["object"]["name"], _container(f), f["location"]["file"], f["location"]["line"],
                  tuple(f"{r['file']}:{r['line']}" for r in f.get("related", []))) for f in findings)
    wanted = _wanted(expected, position)
    assert got == sorted(_row(item) for item in wanted)
    for item in wanted:
        if "message_contains" in item:
            match = [f for f in findings if (f["rule"], f["object"]["name"], _container(f)) == _identity(item)]
            assert match and all(item["message_contains"] in f["message"] for f in match), match
    text = cli("check", *args, cwd=folder)
    for secret in expected.get("never_in_output", []):
        assert secret not in result.out and secret not in text.out and secret not in text.err


def test_selector_forms():
    labels = {"tier": "backend", "app": "api", "track": "stable"}
    assert selector_matches("tier=backend", labels)
    assert selector_matches("tier==backend,app!=web", labels)
    assert selector_matches("tier in (backend, data),track notin (canary)", labels)
    assert selector_matches("app,!legacy", labels)
    assert not selector_matches("tier=frontend", labels)
    assert not selector_matches("tier in (frontend,data)", labels)
    assert not selector_matches("track notin (stable)", labels)
    assert not selector_matches("!app", labels)
    assert not selector_matches("legacy", labels)


HELM = CASES / "helm"
TAG_LINE = "deploy/shop/values-prod.yaml:3"
TEMPLATE_LINE = "deploy/shop/templates/deployment.yaml:18"


def test_concise_format_is_path_line_col_one_line_per_finding():
    result = cli("check", "deploy/shop", "--env", "production", "--format", "concise", cwd=HELM)
    assert result.code == 1
    lines = result.out.splitlines()
    assert lines and all(re.match(r"^[^:\s]+:\d+:\d+: (error|warning|info) [a-z0-9-]+ ", line) for line in lines), lines
    web = [line for line in lines if " image-tag-latest container 'web'" in line]
    # `  tag: latest`: the text starts at column 3
    assert web == [f"{TAG_LINE}:3: error image-tag-latest container 'web' of Deployment shop uses image "
                   f"'ghcr.io/acme/shop:latest': tag 'latest' is mutable and not allowed in production (via {TEMPLATE_LINE})"]


def test_text_paths_are_relative_to_where_the_user_stands(tmp_path: Path):
    inside = cli("check", ".", "--env", "production", cwd=HELM / "deploy" / "shop")
    assert inside.code == 1
    assert "\n  values-prod.yaml\n" in inside.out
    assert "via templates/deployment.yaml:18" in inside.out
    outside = cli("check", str(HELM / "deploy" / "shop"), "--env", "production", cwd=tmp_path)
    assert f"\n  {HELM / 'deploy' / 'shop' / 'values-prod.yaml'}\n" in outside.out
    assert f"via {HELM / 'deploy' / 'shop' / 'templates' / 'deployment.yaml'}:18" in outside.out


def test_json_keeps_repository_paths_and_names_the_root():
    result = cli("check", "shop", "--env", "production", "--format", "json", cwd=HELM / "deploy")
    data = result.json
    assert Path(data["repo_root"]) == HELM.resolve()
    web = next(f for f in data["findings"] if f["rule"] == "image-tag-latest" and _container(f) == "web")
    assert web["location"] == {"file": "deploy/shop/values-prod.yaml", "line": 3}
    assert web["related"] == [{"file": "deploy/shop/templates/deployment.yaml", "line": 18}]


def test_sarif_related_location_is_the_template_line():
    result = cli("check", "deploy/shop", "--env", "production", "--format", "sarif", cwd=HELM)
    results = json.loads(result.out)["runs"][0]["results"]
    web = next(r for r in results if r["ruleId"] == "image-tag-latest" and "container 'web'" in r["message"]["text"])
    location = web["locations"][0]["physicalLocation"]
    assert (location["artifactLocation"]["uri"], location["region"]["startLine"]) == ("deploy/shop/values-prod.yaml", 3)
    physical = [r["physicalLocation"] for r in web["relatedLocations"] if "physicalLocation" in r]
    assert [(p["artifactLocation"]["uri"], p["region"]["startLine"]) for p in physical] == [("deploy/shop/templates/deployment.yaml", 18)]


def test_hostile_sources_only_cost_precision(tmp_path: Path):
    """A patch target whose regex would backtrack for ages in Python's re (kustomize's RE2 does
    not), and a template with an action that never closes: the run ends with findings located
    somewhere true, not a hang or a traceback."""
    (tmp_path / ".k8slint.yaml").write_text("fail-on: error\n")
    base = tmp_path / "app"
    base.mkdir()
    (base / "deployment.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
        "spec:\n  selector:\n    matchLabels: {app: a}\n  template:\n    metadata:\n      labels: {app: a}\n"
        "    spec:\n      containers:\n        - name: a\n          image: ghcr.io/acme/a:latest\n")
    (base / "kustomization.yaml").write_text(
        "resources: [deployment.yaml]\npatches:\n  - target:\n      kind: Deployment\n      name: (a|aa)+b|a.*\n"
        "    patch: |-\n      - op: add\n        path: /metadata/labels\n        value: {team: a}\n")
    result = cli("check", "app", "--env", "production", "--format", "json", cwd=tmp_path)
    assert result.code == 1 and "Traceback" not in result.err, result.err
    latest = [f for f in result.json["findings"] if f["rule"] == "image-tag-latest"]
    assert [(f["location"]["file"], f["location"]["line"]) for f in latest] == [("app/deployment.yaml", 14)]

    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    (chart / "templates" / "deployment.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: c\n"
        "  annotations:\n    note: \"{{ `" + "{{ " * 20000 + "` }}\"\n"
        "spec:\n  selector:\n    matchLabels: {app: c}\n  template:\n    metadata:\n      labels: {app: c}\n"
        "    spec:\n      containers:\n        - name: c\n          image: ghcr.io/acme/c:latest\n")
    result = cli("check", "chart", "--env", "production", "--format", "json", cwd=tmp_path)
    assert "Traceback" not in result.err, result.err
    latest = [f for f in result.json["findings"] if f["rule"] == "image-tag-latest"]
    assert [(f["location"]["file"], f["location"]["line"]) for f in latest] == [("chart/templates/deployment.yaml", 16)]
