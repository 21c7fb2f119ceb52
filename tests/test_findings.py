"""Findings people trust (issue 11): one finding per source location however many targets render
it, in every format; repository-tree rules once, on the files of what was checked; baselines from
before the merge still hide the same findings; the `github` format within GitHub's annotation
limits. In process through ``k8slint.lint`` on real kustomize renders (``--diff-base`` has its own
file, tests/test_diff_base.py)."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from k8slint.formatters.markdown import cell

import k8slint
from conftest import FIXTURES
from k8slint import formatters
from k8slint import report as reporting

SHARED = FIXTURES / "shared-base"
OVERLAYS = "infra/k8s/overlays/"
SEVEN = [OVERLAYS + name for name in ("dev", "dev-eu", "production", "production-eu", "production-us", "staging", "staging-eu")]
ENVS = {"dev": "development", "dev-eu": "development", "production": "production", "production-eu": "production",
        "production-us": "production", "staging": "staging", "staging-eu": "staging"}
BASE_MISTAKES = [  # (rule, file, line, severity): six mistakes in the base every overlay deploys
    ("secret-in-configmap", "infra/k8s/base/configmaps/api-config.yaml", 9, "error"),
    ("liveness-probe", "infra/k8s/base/deployments/api.yaml", 19, "error"),
    ("env-literal-secret", "infra/k8s/base/deployments/api.yaml", 27, "error"),
    ("resources", "infra/k8s/base/deployments/api.yaml", 35, "warning"),
    ("pvc-naming", "infra/k8s/base/pvc/data.yaml", 4, "error"),
    ("pvc-storage-class", "infra/k8s/base/pvc/data.yaml", 7, "warning"),
]
SECRETS = ("Zq8-shared-base-fixture-pw", "tk-shared-base-fixture-token")


@pytest.fixture(scope="module")
def whole():
    return k8slint.lint([], repo_root=str(SHARED))


def placed(report) -> list[tuple]:
    return [(f.rule, f.location.file, f.location.line, f.severity) for f in report.findings]


def write(report, name: str) -> str:
    """What ``--format name`` writes for ``report``."""
    out = io.StringIO()
    formatter = formatters.get(name)(out)
    formatter.start(report)
    for finding in report.findings:
        formatter.finding(finding)
    formatter.finish(report.summary)
    return out.getvalue()


# -- one finding per source location ---------------------------------------------------------------

def test_a_base_under_seven_overlays_is_one_finding_per_mistake_listing_the_seven(whole):
    assert [t.label for t in whole.targets] == SEVEN
    assert placed(whole) == [("no-dockerfile", "Dockerfile", 1, "error")] + BASE_MISTAKES
    for finding in whole.findings[1:]:
        assert sorted(t for t, _ in finding.targets) == SEVEN
        assert dict(finding.targets) == {OVERLAYS + k: v for k, v in ENVS.items()}
        # the first is the strictest environment's (ties: production first, then by name): it is target/env
        assert finding.targets[0] == (finding.target, finding.env) == (OVERLAYS + "production", "production")
        assert "api-production/" in finding.message
    assert whole.summary["errors"] == 5 and whole.summary["warnings"] == 2 and whole.exit_code == 1
    # overlays set other namespaces (api-dev, ...) and production-us a namePrefix: the base object is one object
    liveness = whole.findings[2]
    assert {o.object["namespace"] for o in liveness.occurrences} == {f"api-{name}" for name in ENVS}
    assert {o.object["name"] for o in liveness.occurrences} == {"api", "us-api"}


def test_the_fingerprint_of_a_shared_line_is_the_same_whatever_is_checked(whole):
    """A matrix job of one overlay and the run over every overlay give code scanning one alert."""
    one = k8slint.lint([str(SHARED / OVERLAYS / "dev")])
    assert placed(one) == BASE_MISTAKES
    assert [f.fingerprint for f in one.findings] == [f.fingerprint for f in whole.findings[1:]]
    assert len({f.fingerprint for f in whole.findings}) == len(whole.findings)
    assert [f.targets for f in one.findings] == [[(OVERLAYS + "dev", "development")]] * 6


def test_every_format_shows_each_mistake_once_with_its_targets(whole, tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_WORKSPACE", str(SHARED))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    monkeypatch.chdir(SHARED)
    phrase = ("in 7 targets under infra/k8s/overlays/: dev, dev-eu, production, production-eu, production-us, … (+2 more) "
              "[production, staging, development]")
    outputs = {name: write(whole, name) for name in ("text", "concise", "json", "sarif", "junit", "github", "markdown")}

    text = outputs["text"]
    assert text.count(phrase) == 1 and text.count("liveness-probe") == 1
    assert re.search(r"\n {4}\s+19  error   liveness-probe +container 'api' of Deployment api-production/api has no livenessProbe", text)
    assert "failed: 5 error(s), 2 warning(s), 0 info in 7 target(s)" in text

    concise = outputs["concise"].splitlines()
    assert len(concise) == 7 and concise[2].startswith("infra/k8s/base/deployments/api.yaml:19:9: error liveness-probe ")
    assert concise[2].endswith("(in 7 targets)") and not concise[0].endswith("targets)")

    data = json.loads(outputs["json"])
    assert [(f["rule"], f["location"]["line"], len(f["targets"])) for f in data["findings"]] == [
        ("no-dockerfile", 1, 1)] + [(rule, line, 7) for rule, _, line, _ in BASE_MISTAKES]
    assert data["findings"][2]["targets"][:2] == [{"target": OVERLAYS + "production", "env": "production"},
                                                  {"target": OVERLAYS + "dev", "env": "development"}]

    results = json.loads(outputs["sarif"])["runs"][0]["results"]
    assert [(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in results] == [
        ("no-dockerfile", 1)] + [(rule, line) for rule, _, line, _ in BASE_MISTAKES]
    assert len({r["partialFingerprints"]["k8slint/v1"] for r in results}) == 7
    liveness = results[2]
    assert [t["target"] for t in liveness["properties"]["targets"]] == [OVERLAYS + "production"] + [
        t for t in SEVEN if t != OVERLAYS + "production"]
    assert [r["message"]["text"].split(" at ")[0] for r in liveness["relatedLocations"]] == [
        f"rendered by {t} ({e})" for t, e in whole.findings[2].targets]
    assert "baselineState" not in liveness  # no base to compare with

    junit = ET.fromstring(outputs["junit"])
    failures = [(case.get("name"), suite.get("name")) for suite in junit.iter("testsuite") for case in suite.iter("testcase")
                if len(case)]
    assert len(failures) == 7
    shared = [s for s in junit.iter("testsuite") if s.get("name").startswith("in 7 targets")]
    assert len(shared) == 1 and shared[0].get("failures") == "6"
    assert sorted(p.get("value") for p in shared[0].iter("property")) == sorted(f"{t} ({ENVS[t.rsplit('/', 1)[1]]})" for t in SEVEN)
    production = next(s for s in junit.iter("testsuite") if s.get("name") == OVERLAYS + "production")
    names = {c.get("name") for c in production.iter("testcase")}
    assert "liveness-probe" not in names and "readiness-probe" in names and production.get("failures") == "0"

    annotations = [line for line in outputs["github"].splitlines() if line.startswith("::")]
    assert len(annotations) == 7
    live = next(a for a in annotations if "liveness-probe" in a)
    assert live.startswith("::error file=infra/k8s/base/deployments/api.yaml,line=19,title=k8slint liveness-probe "
                           "[production%2C staging%2C development]::")
    assert "%0Ain 7 targets under infra/k8s/overlays/: dev, dev-eu" in live

    markdown = outputs["markdown"]
    assert markdown.count(f"#### {cell(phrase)}") == 1 and markdown.count("liveness-probe`]") == 1
    assert "| `infra/k8s/overlays/dev` | development | 5 | 4 | 2 | 0 |" in markdown  # each target counts what it deploys
    summary = (tmp_path / "summary.md").read_text()
    assert summary.count("liveness-probe`]") == 1 and "#### repository files" in summary

    for secret in SECRETS:
        assert all(secret not in out for out in outputs.values()) and secret not in summary


def test_the_strictest_environment_sets_the_severity_and_a_rule_off_somewhere_lists_fewer_targets(tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(SHARED, repo)
    (repo / ".k8slint.yaml").write_text(
        "fail-on: error\nrules:\n  liveness-probe:\n    env:\n      development: {severity: info}\n      staging: {severity: warning}\n"
        "  pvc-naming:\n    env:\n      development: {enabled: false}\n")
    report = k8slint.lint([], repo_root=str(repo))
    liveness = next(f for f in report.findings if f.rule == "liveness-probe")
    assert liveness.severity == "error" and liveness.env == "production"
    assert {o.target.rsplit("/", 1)[1]: o.severity for o in liveness.occurrences} == {
        "production": "error", "production-eu": "error", "production-us": "error", "staging": "warning",
        "staging-eu": "warning", "dev": "info", "dev-eu": "info"}
    naming = next(f for f in report.findings if f.rule == "pvc-naming")
    assert sorted(t for t, _ in naming.targets) == [t for t in SEVEN if "/dev" not in t]
    assert len(report.findings) == 7


def test_objects_one_template_line_renders_stay_apart_and_rendered_lines_stay_per_target():
    """Findings are merged per target pair only when nothing tells them apart: a finding at a line
    of the rendered stream (no source) keeps its target, and two objects of one target are never one."""
    from k8slint.model import Finding, Location
    from k8slint.suppress import merge

    def finding(target, file, name, fp):
        return Finding("resources", "warning", f"ConfigMap {name}", Location(file, 5), target, "production",
                       {"apiVersion": "v1", "kind": "ConfigMap", "namespace": "x", "name": name}, fingerprint=fp)

    merged = merge([finding("a", "a (rendered)", "one", "fa"), finding("b", "b (rendered)", "one", "fb"),
                    finding("a", "chart/templates/cm.yaml", "one", "same"), finding("a", "chart/templates/cm.yaml", "two", "same"),
                    finding("b", "chart/templates/cm.yaml", "one", "same"), finding("b", "chart/templates/cm.yaml", "two", "same")])
    assert sorted((f.location.file, f.object["name"], tuple(t for t, _ in f.targets)) for f in merged) == [
        ("a (rendered)", "one", ("a",)), ("b (rendered)", "one", ("b",)),
        ("chart/templates/cm.yaml", "one", ("a", "b")), ("chart/templates/cm.yaml", "two", ("a", "b"))]


# -- baselines ---------------------------------------------------------------------------------------

def add_overlay(repo: Path, name: str) -> None:
    shutil.copytree(repo / OVERLAYS / "production", repo / OVERLAYS / name)
    kustomization = repo / OVERLAYS / name / "kustomization.yaml"
    kustomization.write_text(kustomization.read_text().replace("api-production", f"api-{name}"))


def test_a_baseline_written_before_findings_were_merged_still_hides_the_same_findings(tmp_path):
    """fixtures/baselines/shared-base-v1.json was written by k8slint before this change (one entry per
    finding per target, 43 entries): it hides the seven findings; an overlay added since deploys the
    base's old problems anew, so they are shown, for that overlay only."""
    repo = tmp_path / "repo"
    shutil.copytree(SHARED, repo)
    legacy = FIXTURES / "baselines" / "shared-base-v1.json"
    assert json.loads(legacy.read_text())["format"] == "k8slint-baseline/v1"
    report = k8slint.lint([], repo_root=str(repo), baseline=str(legacy))
    assert report.findings == [] and report.exit_code == 0
    assert "7 finding(s) recorded in the baseline" in report.notes[-2]
    assert "k8slint-baseline/v1" in report.notes[-1] and "--write-baseline" in report.notes[-1]

    add_overlay(repo, "production-ap")
    report = k8slint.lint([], repo_root=str(repo), baseline=str(legacy))
    assert placed(report) == BASE_MISTAKES
    assert all(f.targets == [(OVERLAYS + "production-ap", "production")] for f in report.findings)
    assert "api-production-ap/" in report.findings[0].message


def test_a_baseline_records_each_finding_once_with_its_targets(tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(SHARED, repo)
    baseline = tmp_path / "baseline.json"
    written = k8slint.lint([], repo_root=str(repo), write_baseline=str(baseline))
    assert written.exit_code == 0 and len(written.findings) == 7
    data = json.loads(baseline.read_text())
    assert data["format"] == "k8slint-baseline/v2" and len(data["findings"]) == 7
    entry = next(e for e in data["findings"] if e["rule"] == "liveness-probe")
    assert entry["targets"] == SEVEN and entry["file"] == "infra/k8s/base/deployments/api.yaml"
    assert entry["object"] == "Deployment api-production/api"
    assert k8slint.lint([], repo_root=str(repo), baseline=str(baseline)).findings == []

    # lines move, an overlay is added: the old problems are new only where they were not recorded
    api = repo / "infra/k8s/base/deployments/api.yaml"
    api.write_text("# the API\n\n" + api.read_text())
    add_overlay(repo, "production-ap")
    report = k8slint.lint([], repo_root=str(repo), baseline=str(baseline))
    assert [(f.rule, f.location.line) for f in report.findings] == [
        (rule, line + 2 if file.endswith("api.yaml") else line) for rule, file, line, _ in BASE_MISTAKES]
    assert all(f.targets == [(OVERLAYS + "production-ap", "production")] for f in report.findings)


# -- repository rules once ---------------------------------------------------------------------------

def test_one_overlay_reports_no_root_dockerfile_and_the_whole_repository_reports_it_once(tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(SHARED, repo)
    chart = repo / "charts/other"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: other\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("image: {tag: v1.0.0}\n")
    (chart / "values-prod.yaml").write_text("db:\n  password: Zq8-other-chart-password\n")
    (chart / "templates/cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other, namespace: other}\n"
                                             "data: {tag: {{ .Values.image.tag | quote }}}\n")
    tree = {"no-dockerfile", "helm-values-plaintext-secret"}

    def repository_findings(paths, **options):
        report = k8slint.lint([str(repo / p) for p in paths], repo_root=str(repo), **options)
        return report, [(f.rule, f.location.file, f.location.line, f.target) for f in report.findings if f.rule in tree]

    _, found = repository_findings([OVERLAYS + "production"])
    assert found == []  # the root Dockerfile and another chart's values file are not the overlay's
    _, found = repository_findings(["charts/other"])
    assert found == [("helm-values-plaintext-secret", "charts/other/values-prod.yaml", 2, ".")]  # read by the chart
    report, found = repository_findings([])
    assert found == [("no-dockerfile", "Dockerfile", 1, "."),
                     ("helm-values-plaintext-secret", "charts/other/values-prod.yaml", 2, ".")]
    assert [f.rule for f in report.findings].count("no-dockerfile") == 1

    # a Dockerfile inside the overlay is the overlay's; the changed files of a commit are their own
    (repo / OVERLAYS / "production/Dockerfile").write_text("FROM scratch\n")
    _, found = repository_findings([OVERLAYS + "production"])
    assert found == [("no-dockerfile", OVERLAYS + "production/Dockerfile", 1, ".")]
    _, found = repository_findings(["Dockerfile"], changed=True)
    assert found == [("no-dockerfile", "Dockerfile", 1, ".")]


def test_repository_rules_only_or_skipped_for_a_ci_matrix():
    only = k8slint.lint([], repo_root=str(SHARED), repository_rules="only")
    assert placed(only) == [("no-dockerfile", "Dockerfile", 1, "error")]
    assert only.targets == [] and only.rendered is False and only.repository is True
    skipped = k8slint.lint([str(SHARED / OVERLAYS / "production")], repository_rules="skip")
    assert placed(skipped) == BASE_MISTAKES and skipped.repository is False
    junit = ET.fromstring(write(skipped, "junit"))
    assert [s.get("name") for s in junit.iter("testsuite")] == [OVERLAYS + "production"]  # no "." suite
    text = write(only, "text")
    assert "checked: the repository\n" in text
    with pytest.raises(k8slint.K8slintError, match="--repository-rules only checks files of the repository, not a stream"):
        k8slint.lint(["-"], stdin=b"", repository_rules="only")


# -- GitHub's limits -------------------------------------------------------------------------------

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: app-{n}, namespace: prj-01}}
spec:
  selector: {{matchLabels: {{app: app-{n}}}}}
  template:
    metadata: {{labels: {{app: app-{n}}}}}
    spec:
      containers:
        - name: app
          image: ghcr.io/acme/app-{n}:v1.0.0
"""


@pytest.fixture(scope="module")
def crowded(tmp_path_factory):
    """Plain manifests with 24 errors, 12 warnings and a few notes."""
    repo = tmp_path_factory.mktemp("crowded")
    (repo / ".k8slint.yaml").write_text("fail-on: error\n")
    (repo / "manifests").mkdir()
    for n in range(12):
        (repo / "manifests" / f"app-{n:02}.yaml").write_text(DEPLOYMENT.format(n=n))
    return k8slint.lint([str(repo / "manifests")], env="production",
                        select=["liveness-probe", "readiness-probe", "resources"]), repo


def test_github_prints_at_most_ten_annotations_per_severity_most_severe_and_changed_files_first(crowded, tmp_path, monkeypatch):
    report, repo = crowded
    counts = {s: sum(1 for f in report.findings if f.severity == s) for s in ("error", "warning")}
    assert counts == {"error": 24, "warning": 12}
    report.changed_files = frozenset({"manifests/app-11.yaml", "manifests/app-07.yaml"})
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    lines = write(report, "github").splitlines()
    levels = [line.split(" ", 1)[0].split("::")[1] for line in lines if line.startswith("::")]
    assert levels == ["error"] * 10 + ["warning"] * 10 + ["notice"] * (len(report.notes) + 1)
    errors = [line for line in lines if line.startswith("::error")]
    files = [re.search(r"file=manifests/(app-\d+)\.yaml", line).group(1) for line in errors]
    assert files[:4] == ["app-07", "app-07", "app-11", "app-11"] and files[4:] == ["app-00", "app-00", "app-01", "app-01", "app-02", "app-02"]
    more = [line for line in lines if line.startswith("::notice")][-1]
    assert more.startswith("::notice title=k8slint::16 more finding(s) (14 errors, 2 warnings) not annotated: GitHub shows")
    assert "at most 10 annotations of each severity per step" in more and "This job's summary lists them all" in more
    summary = (tmp_path / "summary.md").read_text()
    assert summary.count("| 🔴 error |") == 24 and summary.count("| 🟡 warning |") == 12  # everything


def test_github_folds_notes_into_the_ten_notices(crowded, monkeypatch):
    report, _ = crowded
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    crowded_notes = reporting.Report(report.version, report.targets, [f"note {n}" for n in range(14)], report.rules,
                                     report.repo_root, report.fail_on, findings=report.findings[:3], summary=report.summary)
    lines = write(crowded_notes, "github").splitlines()
    notices = [line for line in lines if line.startswith("::notice")]
    assert len(notices) == 10 and notices[-1].startswith("::notice title=k8slint::5 notes not annotated")
    assert "`k8slint check` shows them all" in notices[-1]


def test_the_job_summary_stays_within_githubs_one_mebibyte(crowded, tmp_path, monkeypatch):
    from k8slint.formatters.github import SUMMARY_LIMIT

    report, _ = crowded
    summary = tmp_path / "summary.md"
    summary.write_text("x" * (SUMMARY_LIMIT - 12_000))  # what earlier steps of the job wrote
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    write(report, "github")
    data = summary.read_bytes()
    assert len(data) <= SUMMARY_LIMIT
    added = data[SUMMARY_LIMIT - 12_000:].decode()
    assert "### k8slint ❌ failed" in added and re.search(r"_… and \d+ more findings not shown", added)


def test_the_readme_demo_is_the_real_output():
    from conftest import ROOT, k8slint as cli

    readme = (ROOT / "README.md").read_text()
    block = readme[readme.index("```text\n", readme.index(".venv/bin/k8slint check fixtures/shared-base")) + 8:]
    block = block[: block.index("```")]
    result = cli("check", "fixtures/shared-base", cwd=ROOT)
    assert result.code == 1 and result.out.lstrip("\n") == block


def test_merge_of_sorted_findings_keeps_them_when_nothing_merges_and_merges_as_before_otherwise():
    """``merge(..., ordered=True)`` (finalize's output) skips the second sort only when no two findings
    share a place; the answer is merge's own either way."""
    import random

    from k8slint.model import Finding, Location
    from k8slint.suppress import finalize, merge

    def finding(target, file, line, name, fp, rule="resources"):
        return Finding(rule, "warning", f"ConfigMap {name}", Location(file, line), target, "production",
                       {"apiVersion": "v1", "kind": "ConfigMap", "namespace": "x", "name": name}, fingerprint=fp)

    alone = [finding("a", f"f{i % 7}.yaml", 40 - i, f"cm-{i}", f"fp{i}", rule=("resources", "namespace")[i % 2]) for i in range(30)]
    shared = alone + [finding(t, "f1.yaml", 39, "cm-1", "fp1", rule="namespace") for t in ("c", "b")]
    for findings in (alone, shared):
        shuffled = findings[:]
        random.Random(16).shuffle(shuffled)
        ordered = finalize(shuffled)
        got = merge(ordered, ordered=True)
        assert [(f.rule, f.location, f.targets) for f in got] == [(f.rule, f.location, f.targets) for f in merge(shuffled)]
        assert [f.sort_key() for f in got] == sorted(f.sort_key() for f in got)
    assert len(merge(finalize(shared), ordered=True)) == 30  # the three targets' cm-1 at f1.yaml:39 are one
    assert [t for t, _ in next(f for f in merge(finalize(shared), ordered=True) if f.location == Location("f1.yaml", 39)).targets] == ["a", "b", "c"]


def test_the_output_cap_counts_the_findings_that_fit_as_a_running_total(monkeypatch):
    """report._fitting sums every finding's estimate first; where that passes MAX_OUTPUT, the count is
    the running total's (the note and every format depend on it)."""
    from k8slint.model import Finding, Location

    findings = [Finding("resources", "error", "m" * (i * 37 % 500), Location(f"dir/f{i}.yaml", 1), "t", "production",
                        {"kind": "ConfigMap", "name": f"n{i}", "namespace": None} if i % 3 else None)
                for i in range(300)]

    def expected(limit):  # the estimate as a running total, finding by finding
        total = 0
        for count, f in enumerate(findings):
            total += 600 + 3 * (len(f.message) + len(f.location.file) + len(str(f.object or "")))
            if total > limit:
                return count
        return len(findings)

    everything = sum(600 + 3 * (len(f.message) + len(f.location.file) + len(str(f.object or ""))) for f in findings)
    for limit in (0, 599, 700, 5_000, 50_000, 250_000, everything - 1, everything, everything + 1):
        monkeypatch.setattr(reporting, "MAX_OUTPUT", limit)
        assert reporting._fitting(findings) == expected(limit), limit
    assert reporting._fitting([]) == 0


TWO_DEPLOYMENTS = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: first
  namespace: prj-01
spec:
  selector: {matchLabels: {app: first}}
  template:
    metadata: {labels: {app: first}}
    spec:
      containers:
        - name: web
          image: ghcr.io/acme/web:latest
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: second
  namespace: prj-02
spec:
  selector: {matchLabels: {app: second}}
  template:
    metadata: {labels: {app: second}}
    spec:
      containers:
        - name: web
          image: ghcr.io/acme/web:latest
"""


def test_each_finding_of_a_plain_file_carries_its_own_objects_identity(tmp_path):
    """What the findings of one object share (its ref, source identity, whether it is a plain file) is
    worked out once per object: every finding still names its own object, and an object's findings
    and fingerprints are the same whatever objects come before it in the file."""
    both, alone = tmp_path / "both", tmp_path / "alone"
    for repo, text in ((both, TWO_DEPLOYMENTS), (alone, TWO_DEPLOYMENTS.split("---\n")[1])):
        repo.mkdir()
        (repo / "two.yaml").write_text(text, encoding="utf-8")
    report = k8slint.lint([str(both / "two.yaml")], repo_root=str(both), env="production")
    got = [(f.rule, f.location.file, f.location.line, f.object["name"], f.object["namespace"]) for f in report.findings]
    per_object = [("image-pull-secret", 10), ("liveness-probe", 12), ("readiness-probe", 12), ("resources", 12), ("image-tag-latest", 13)]
    assert got == ([(rule, "two.yaml", line, "first", "prj-01") for rule, line in per_object]
                   + [(rule, "two.yaml", line + 14, "second", "prj-02") for rule, line in per_object])
    first = {f.rule: f.fingerprint for f in report.findings if f.object["name"] == "first"}
    second = {f.rule: f.fingerprint for f in report.findings if f.object["name"] == "second"}
    assert len(set(first.values()) | set(second.values())) == 10  # no object lends its identity to the next
    on_its_own = k8slint.lint([str(alone / "two.yaml")], repo_root=str(alone), env="production")
    assert {f.rule: f.fingerprint for f in on_its_own.findings} == second
    assert [(f.rule, f.location.line) for f in on_its_own.findings] == [(rule, line) for rule, line in per_object]


IGNORED_BY_ANNOTATION = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: quiet
  annotations:
    k8slint.io/ignore: namespace
    k8slint.io/ignore-reason: set by the deploy job
data: {a: "1"}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: loud
data: {a: "1"}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
      annotations:
        k8slint.io/ignore: namespace, image-tag-latest
        k8slint.io/ignore-reason: a demo
    spec:
      containers:
        - name: web
          image: ghcr.io/acme/web:latest
"""


@pytest.mark.parametrize("select", [(), ("namespace",)])
def test_a_render_rules_finding_honours_the_objects_and_its_pod_templates_ignore_annotation(tmp_path, select):
    """The annotations an object suppresses with are read once per object and shared by the object
    rules and the render rules (namespace), with and without pod or container rules in the run."""
    (tmp_path / "app.yaml").write_text(IGNORED_BY_ANNOTATION, encoding="utf-8")
    report = k8slint.lint([str(tmp_path / "app.yaml")], repo_root=str(tmp_path), env="production", select=list(select))
    got = [(f.rule, f.location.file, f.location.line, f.object["name"]) for f in report.findings]
    assert ("namespace", "app.yaml", 12, "loud") in got
    assert not [g for g in got if g[0] in ("namespace", "image-tag-latest", "unused-suppression") and g[3] != "loud"]
    if select:
        assert got == [("namespace", "app.yaml", 12, "loud")]
    else:
        assert ("liveness-probe", "app.yaml", 30, "web") in got
