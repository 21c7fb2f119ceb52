"""Output formats are proven against their official schemas, on the fixtures and on every target of
the shared corpus: SARIF 2.1.0 (OASIS JSON Schema), JUnit (the Ant JUnit XSD) and JSON
(schemas/output.schema.json). One run writes all three (several --format/--output pairs)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
import xmlschema
from xml.etree import ElementTree as ET

from conftest import CORPUS, FIXTURES, ROOT, SHARED, cli, k8slint
from hypothesis import given, settings, strategies as st
from k8slint import formatters
from k8slint.escape import json_text
from k8slint.plan.targets import discover

SARIF_SCHEMA_FILE = SHARED / "schemas" / "sarif-schema-2.1.0.json"
JUNIT_XSD_FILE = SHARED / "schemas" / "JUnit.xsd"
needs_schemas = pytest.mark.skipif(not SARIF_SCHEMA_FILE.is_file(), reason="../shared/schemas not present")

VARIANTS = sorted(p for p in (FIXTURES / "violations").iterdir() if (p / "expected.yaml").is_file())
DEMO = FIXTURES / "deploy-repo"


@pytest.fixture(scope="module")
def validators():
    sarif = json.loads(SARIF_SCHEMA_FILE.read_text())
    sarif_cls = jsonschema.validators.validator_for(sarif)  # draft-04, from its $schema
    assert sarif_cls is jsonschema.Draft4Validator
    output = json.loads((ROOT / "schemas" / "output.schema.json").read_text())
    return {
        "sarif": sarif_cls(sarif, format_checker=sarif_cls.FORMAT_CHECKER),
        "json": jsonschema.validators.validator_for(output)(output),
        "junit": xmlschema.XMLSchema(str(JUNIT_XSD_FILE)),
    }


def run_all_formats(tmp_path: Path, *args: str, cwd: Path, env: dict | None = None):
    out = {name: tmp_path / f"report.{name}" for name in ("json", "sarif", "junit")}
    result = cli("check", *args, "--format", "json", "--output", str(out["json"]), "--format", "sarif", "--output",
                     str(out["sarif"]), "--format", "junit", "--output", str(out["junit"]), "--format", "text",
                     cwd=cwd, env=env)
    assert "Traceback" not in result.err, result.err
    texts = {name: path.read_text(encoding="utf-8") for name, path in out.items()} if result.code in (0, 1) else {}
    return result, texts


def validate_all(validators, texts: dict) -> tuple[dict, dict, ET.Element]:
    data = json.loads(texts["json"])
    sarif = json.loads(texts["sarif"])
    errors = sorted(validators["sarif"].iter_errors(sarif), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    validators["json"].validate(data)
    validators["junit"].validate(texts["junit"])
    for name, document in (("json", data), ("sarif", sarif)):  # the C encoder writes json's text, byte for byte
        assert texts[name] == json_text(json.dumps(document, indent=2, ensure_ascii=False)) + "\n", name
    return data, sarif, ET.fromstring(texts["junit"])


def assert_consistent(data: dict, sarif: dict, junit: ET.Element) -> None:
    """The three reports tell the same story: same findings, same places, same targets."""
    results = sarif["runs"][0]["results"]
    assert [(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
             r["locations"][0]["physicalLocation"]["region"]["startLine"], r["partialFingerprints"]["k8slint/v1"])
            for r in results] == [
        (f["rule"], f["location"]["file"].replace("<", "%3C").replace(">", "%3E").replace(" ", "%20"),
         f["location"]["line"], f["fingerprint"] or f"{f['rule']}:{f['target']}:{f['location']['file']}")
        for f in data["findings"]]
    rule_ids = [r["id"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]]
    assert all(r["ruleId"] in rule_ids and rule_ids[r["ruleIndex"]] == r["ruleId"] for r in results)
    suites = {s.get("name"): s for s in junit.iter("testsuite")}

    def properties(suite, name):
        return [p.get("value") for p in suite.iter("property") if p.get("name") == name]

    # a suite per target, then the repository's, then one per set of targets sharing findings
    assert [t["target"] for t in data["targets"]] == [n for n, s in suites.items() if properties(s, "env")]
    shared = {frozenset(properties(s, "target")): s for s in suites.values() if properties(s, "target")}
    failed_cases = sum(int(s.get("failures")) + int(s.get("errors")) for s in suites.values())
    groups = {(tuple(sorted(t["target"] for t in f["targets"])), f["rule"],
               json.dumps(f["object"], sort_keys=True) if f["object"] else f["location"]["file"])
              for f in data["findings"]}
    assert failed_cases == len(groups)
    for f in data["findings"]:
        assert f["targets"][0] == {"target": f["target"], "env": f["env"]}
        if len(f["targets"]) > 1:
            suite = shared[frozenset(f"{t['target']} ({t['env']})" for t in f["targets"])]
        else:
            suite = suites[f["target"]]
        bodies = [node.text for node in suite.iter() if node.tag in ("failure", "error")]
        assert any(f"{f['location']['file']}:{f['location']['line']}: {f['severity']}: {f['message']}" in b for b in bodies)
    for result in results:  # one SARIF result per finding, naming every target
        assert result["properties"]["targets"][0] == {"target": result["properties"]["target"], "env": result["properties"]["env"]}


@needs_schemas
@pytest.mark.parametrize("variant", VARIANTS, ids=lambda p: p.name)
def test_fixture_reports_validate_and_agree(variant: Path, tmp_path: Path, validators):
    expected = __import__("yaml").safe_load((variant / "expected.yaml").read_text())
    result, texts = run_all_formats(tmp_path, expected.get("target", "."), "--env", expected["env"], cwd=variant)
    assert result.code == 1, result.err
    data, sarif, junit = validate_all(validators, texts)
    assert_consistent(data, sarif, junit)
    for want in expected["findings"]:
        hits = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == want["rule"]
                and r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == want["file"]
                and r["locations"][0]["physicalLocation"]["region"]["startLine"] == want["line"]]
        assert hits and want["message_contains"] in hits[0]["message"]["text"], (want, sarif["runs"][0]["results"])
        assert hits[0]["level"] == "error"
    for secret in expected.get("never_in_output", []):
        assert all(secret not in text for text in texts.values()) and secret not in result.out


@needs_schemas
def test_demo_repo_reports_validate_with_every_target_and_rule(tmp_path: Path, validators):
    result, texts = run_all_formats(tmp_path, cwd=DEMO)
    assert result.code == 0, result.out + result.err
    data, sarif, junit = validate_all(validators, texts)
    assert_consistent(data, sarif, junit)
    catalog = json.loads(cli("rules", "--format", "json").out)
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(r["id"] for r in catalog)
    for rule in rules:
        assert rule["name"] and rule["shortDescription"]["text"] and rule["fullDescription"]["text"] and rule["help"]["text"]
        assert rule["helpUri"] == f"https://github.com/k8slint/k8slint/blob/main/docs/rules/{rule['id']}.md"
    latest = next(r for r in rules if r["id"] == "image-tag-latest")
    assert latest["defaultConfiguration"]["level"] == "error" and "newTag" in latest["help"]["text"]
    suites = list(junit.iter("testsuite"))
    assert {s.get("name") for s in suites} == {t["target"] for t in data["targets"]} | {"."}
    prod = next(s for s in suites if s.get("name") == "observer-production (Application "
                "infra/argocd/applications/observer-production.yaml)")  # the overlay, as its Application deploys it
    cases = {c.get("name") for c in prod.iter("testcase")}
    assert {"image-tag-latest", "readiness-probe", "pvc-naming"} <= cases and "no-dockerfile" not in cases
    assert prod.get("failures") == "0" and prod.get("tests") == str(len(cases))


@needs_schemas
def test_base_file_finding_names_the_overlay_that_rendered_it(tmp_path: Path, validators):
    variant = FIXTURES / "violations" / "liveness-probe"
    result, texts = run_all_formats(tmp_path, "infra/k8s/overlays/production", cwd=variant)
    data, sarif, junit = validate_all(validators, texts)
    (res,) = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "liveness-probe"]
    assert res["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "infra/k8s/base/deployments/observer.yaml", "uriBaseId": "%SRCROOT%"}
    assert res["locations"][0]["physicalLocation"]["region"] == {"startLine": 19}
    assert res["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "Deployment prj-01/observer"
    assert res["properties"]["target"] == "infra/k8s/overlays/production" and res["properties"]["env"] == "production"
    assert res["relatedLocations"][0]["message"]["text"].startswith("rendered by infra/k8s/overlays/production (production)")
    failure = next(c for c in junit.iter("testcase") if c.get("name") == "liveness-probe: Deployment prj-01/observer")[0]
    assert failure.tag == "failure" and failure.get("type") == "liveness-probe (error)"
    assert "infra/k8s/base/deployments/observer.yaml:19: error:" in failure.text
    assert "target infra/k8s/overlays/production (production)" in failure.text
    gh = cli("check", "infra/k8s/overlays/production", "--format", "github", cwd=variant)
    line = next(x for x in gh.out.splitlines() if "liveness-probe" in x)
    assert line.startswith("::error file=infra/k8s/base/deployments/observer.yaml,line=19,title=k8slint liveness-probe [production]::")
    assert "%0Arendered by infra/k8s/overlays/production (production)" in line
    md = cli("check", "infra/k8s/overlays/production", "--format", "markdown", cwd=variant)
    assert "#### `infra/k8s/overlays/production` (production)" in md.out
    assert "`infra/k8s/base/deployments/observer.yaml`" in md.out
    assert "| 19 | 🔴 error | [`liveness-probe`](https://github.com/k8slint/k8slint/blob/main/docs/rules/liveness-probe.md) |" in md.out


def test_fingerprints_survive_line_moves(tmp_path: Path):
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "violations" / "liveness-probe", repo)
    first = cli("check", "infra/k8s/overlays/production", "--format", "sarif", cwd=repo).json
    base = repo / "infra/k8s/base/deployments/observer.yaml"
    base.write_text("# a comment\n# and another one\n\n" + base.read_text())
    second = cli("check", "infra/k8s/overlays/production", "--format", "sarif", cwd=repo).json
    (a,), (b,) = ([r for r in doc["runs"][0]["results"] if r["ruleId"] == "liveness-probe"] for doc in (first, second))
    assert b["locations"][0]["physicalLocation"]["region"]["startLine"] == a["locations"][0]["physicalLocation"]["region"]["startLine"] + 3
    assert a["partialFingerprints"] == b["partialFingerprints"]


def corpus_repos():
    return sorted(p for p in CORPUS.iterdir() if p.is_dir()) if CORPUS.is_dir() else []


@needs_schemas
@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus not present")
@pytest.mark.parametrize("repo", corpus_repos(), ids=lambda p: p.name)
def test_corpus_reports_validate(repo: Path, tmp_path: Path, validators):
    """Every overlay and chart x env of each corpus repo, in one run per repo, read in place."""
    result, texts = run_all_formats(tmp_path, repo.name, cwd=CORPUS)
    assert result.code in (0, 1), result.err
    data, sarif, junit = validate_all(validators, texts)
    assert_consistent(data, sarif, junit)
    units = discover(repo)
    assert len(data["targets"]) == len(units) > 0


def test_github_escaping_rules():
    from k8slint.formatters.github import annotation, escape_data, escape_property

    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    assert annotation("warning", "x: y, z", file="dir/a,b.yaml", line="3", title="t: 1") == \
        "::warning file=dir/a%2Cb.yaml,line=3,title=t%3A 1::x: y, z"


def test_github_format_writes_step_summary_and_workspace_paths(tmp_path: Path):
    variant = FIXTURES / "violations" / "image-tag-latest"
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    result = cli("check", "infra/k8s/overlays/production", "--format", "github", cwd=variant,
                     env={"GITHUB_STEP_SUMMARY": str(summary), "GITHUB_WORKSPACE": str(FIXTURES)})
    assert result.code == 1
    assert ("::error file=violations/image-tag-latest/infra/k8s/overlays/production/kustomization.yaml,line=11,"
            "title=k8slint image-tag-latest [production]::container 'observer' of Deployment prj-01/observer uses image "
            "'ghcr.io/acme/observer:latest'") in result.out
    text = summary.read_text()
    assert text.startswith("earlier step\n### k8slint ❌ failed")
    assert "| `infra/k8s/overlays/production` | production | 4 | 1 | 0 | 0 |" in text  # `latest` is one finding


def test_format_auto_is_github_in_actions_and_text_elsewhere():
    variant = FIXTURES / "violations" / "image-tag-latest"
    inside = cli("check", "infra/k8s/overlays/production", "--format", "auto", cwd=variant, env={"GITHUB_ACTIONS": "true"})
    assert inside.code == 1 and inside.out.startswith("::error file=infra/k8s/overlays/production/kustomization.yaml,line=11,")
    outside = cli("check", "infra/k8s/overlays/production", "--format", "auto", cwd=variant)
    assert outside.code == 1 and "::error" not in outside.out
    assert "infra/k8s/overlays/production/kustomization.yaml\n       11  error   image-tag-latest" in outside.out


def test_two_formats_to_stdout_is_a_usage_error():
    result = cli("check", "infra/k8s/overlays/production", "--format", "sarif", "--format", "junit",
                     cwd=FIXTURES / "violations" / "image-tag-latest")
    assert result.code == 2 and "would all write to stdout" in result.err


def test_markdown_is_truncated_with_a_count_of_what_was_left_out():
    from k8slint.formatters import Run, TargetInfo, summarize
    from k8slint.formatters.markdown import render
    from k8slint.model import Finding, Location

    findings = [Finding("pvc-naming", "error" if i % 3 else "warning", f"PVC data-{i} | is <bad>", Location(f"base/pvc-{i:02}.yaml", 4),
                        "overlays/prod", "production", {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                                                         "namespace": "ns", "name": f"data-{i}"}) for i in range(30)]
    run = Run("0", [TargetInfo("overlays/prod", "kustomize", "production", "path", 30, False, "overlays/prod")])
    text = render(run, findings, summarize(findings, run, False), max_findings=7)
    rows = [line for line in text.splitlines() if line.startswith("| 4 |")]
    assert len(rows) == 7
    assert "PVC data-0 \\| is &lt;bad&gt;" in rows[0]
    assert "_… and 23 more findings not shown (16 error, 7 warning);" in text
    small = render(run, findings, summarize(findings, run, False), max_bytes=1500)
    assert len(small) < 1500 + 300 and "more findings not shown" in small


def test_third_party_formatter_package(tmp_path: Path):
    """A separately installed package registers a formatter in the entry-point group."""
    pkg = tmp_path / "k8slint-count"
    (pkg / "k8slint_count").mkdir(parents=True)
    (pkg / "k8slint_count" / "__init__.py").write_text(
        "from k8slint.formatters import Formatter\n\n"
        "class CountFormatter(Formatter):\n"
        "    def finish(self, summary):\n"
        "        for f in self.findings:\n"
        "            self.out.write(f'{f.rule} {f.location.file}:{f.location.line}\\n')\n"
        "        self.out.write(f\"total={summary['findings']} targets={summary['targets']}\\n\")\n"
    )
    site = tmp_path / "site"  # installed as pip --target would (no build: a build env costs half a minute)
    shutil.copytree(pkg / "k8slint_count", site / "k8slint_count")
    info = site / "k8slint_count-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: k8slint-count\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[k8slint.formatters]\ncount = k8slint_count:CountFormatter\n")
    variant = FIXTURES / "violations" / "image-tag-latest"
    env = {"PYTHONPATH": str(site)}
    result = k8slint("check", "infra/k8s/overlays/production", "--format", "count", cwd=variant, env=env)
    assert result.code == 1, result.err
    assert result.out.splitlines() == [
        "image-tag-latest infra/k8s/overlays/production/kustomization.yaml:11",
        "total=1 targets=1",
    ]
    assert "count (installed plugin)" in " ".join(k8slint("check", "--help", env=env).out.split())
    missing = k8slint("check", "infra/k8s/overlays/production", "--format", "count", cwd=variant)
    assert missing.code == 2 and "unknown format 'count'" in missing.err and "sarif" in missing.err


# Reports are written by orjson in batches (formatters.write_json): the text must be what
# json.dumps(indent=2, ensure_ascii=False) writes, for any value a report can hold, at any depth
# and batch boundary, including what orjson refuses (lone surrogates, integers past 64 bits).
_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2 ** 70), max_value=2 ** 70)
    | st.text(st.characters(codec=None, exclude_categories=())),
    lambda inner: st.lists(inner, max_size=9) | st.dictionaries(st.text(max_size=5), inner, max_size=5),
    max_leaves=40,
)


@settings(max_examples=300, deadline=None)
@given(document=_json_values, batch=st.integers(min_value=1, max_value=4))
def test_write_json_is_json_dumps_text(document, batch):
    import io

    saved, formatters.BATCH = formatters.BATCH, batch
    try:
        out = io.StringIO()
        formatters.write_json(out, document)
    finally:
        formatters.BATCH = saved
    assert out.getvalue() == json_text(json.dumps(document, indent=2, ensure_ascii=False)) + "\n"


def test_write_json_writes_a_large_list_in_bounded_chunks():
    """87,000 findings are not one string: no single write holds more than a batch of them."""
    import io

    class Recorder(io.StringIO):
        largest = 0

        def write(self, text):
            self.largest = max(self.largest, len(text))
            return super().write(text)

    finding = {"rule": "r", "message": "m \u00e9 \u2028", "location": {"file": "a.yaml", "line": 3}, "related": [1, 2]}
    document = {"runs": [{"results": [dict(finding, line=i) for i in range(5 * formatters.BATCH + 7)]}], "n": 1}
    out = Recorder()
    formatters.write_json(out, document)
    count = len(document["runs"][0]["results"])
    per_item = len(out.getvalue()) / count  # every item is about as long
    assert out.largest <= 1.05 * formatters.BATCH * per_item < len(out.getvalue()) / 4
    assert out.getvalue() == json_text(json.dumps(document, indent=2, ensure_ascii=False)) + "\n"
    assert json.loads(out.getvalue())["runs"][0]["results"][-1]["line"] == 5 * formatters.BATCH + 6
