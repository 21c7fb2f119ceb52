"""Render failures are findings: each `render-error` sits at the line that causes it, in k8slint's
own words (never the renderer's text, which may hold values), once per broken kustomization, and the
run goes on - the other targets, the repository rules and every output (issue 12.2, issue 15.2-3).

fixtures/render-errors/ is one repository with one broken overlay or chart per kind of failure;
S3CRET-MARKER stands for a value that must reach no output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import k8slint
from conftest import FIXTURES, k8slint as cli
from k8slint.report import write

REPO = FIXTURES / "render-errors"
MARKER = "S3CRET-MARKER"
FORMATS = ("text", "concise", "json", "sarif", "junit", "github", "markdown")


@pytest.fixture(scope="module")
def report():
    return k8slint.lint([str(REPO)], env="production")


def _errors(report) -> dict[tuple[str, int], str]:
    found = [f for f in report.findings if f.rule == "render-error"]
    located = {(f.location.file, f.location.line): f.message for f in found}
    assert len(located) == len(found), "two render-errors at one line"
    return located


# (file, line, the parts of the message that matter)
EXPECTED = [
    # a base broken for both overlays: once, at the entry naming the missing file (not at the overlays)
    ("kustomize/base/kustomization.yaml", 3, ["resources entry 'service.yaml'", "does not exist"]),
    ("kustomize/typo/kustomization.yaml", 3, ["unknown field 'imagess'", "did you mean 'images'?"]),
    ("kustomize/literal/kustomization.yaml", 6, ["secretGenerator literal #2 is not in KEY=VALUE form"]),
    ("kustomize/envfile/app.env", 2, ["line 2 of this env file is not valid UTF-8", "kustomize/envfile/kustomization.yaml"]),
    ("kustomize/generator/kustomization.yaml", 5, ["configMapGenerator entry 'application.properties'", "does not exist"]),
    ("kustomize/replacement/kustomization.yaml", 10, ["replacement options.index 5 is beyond"]),
    # fail closed: the loader refuses the file (a duplicated key), so kustomize never sees it (nor its remote base)
    ("kustomize/refused/kustomization.yaml", 3, ["is refused by k8slint's reader (duplicate key 'resources'",
                                                 "so it is not rendered"]),
    # Helm: repository paths, the template line or the values key
    ("charts/payments/templates/deployment.yaml", 7, ["values key 'database' is not set: the template reads "
                                                      ".Values.database.host (nil pointer evaluating .host)"]),
    ("charts/failing/templates/cm.yaml", 2, ["stops the render with `fail`", "its message is not shown"]),
    ("charts/tpl/templates/cm.yaml", 7, ["`tpl` at charts/tpl/templates/cm.yaml:7 could not render"]),
    ("charts/schema/values.yaml", 3, ["values key 'db.password' does not match the pattern",
                                      "charts/schema/values.schema.json"]),
]


def test_each_render_error_is_at_the_line_that_causes_it(report):
    errors = _errors(report)
    assert sorted(errors) == sorted((file, line) for file, line, _ in EXPECTED)
    for file, line, parts in EXPECTED:
        message = errors[(file, line)]
        for part in parts:
            assert part in message, (file, message)
        assert len(message) <= 300 and not message.endswith("...")
        assert "/tmp" not in message and "k8slint-" not in message and "0x" not in message


def test_render_errors_never_stop_the_run(report):
    assert report.exit_code == 1
    by_target = {t.label: t for t in report.targets}
    assert by_target["kustomize/overlays/dev"].failed and by_target["kustomize/overlays/production"].failed
    assert not by_target["charts/bom"].failed and by_target["charts/bom"].objects == 1
    # the repository rules still ran
    assert [(f.rule, f.location.file, f.location.line) for f in report.findings if f.rule == "no-dockerfile"] == [
        ("no-dockerfile", "Dockerfile", 1)]


def test_a_schema_k8slint_cannot_read_never_reaches_helm(report):
    """Helm drops a UTF-8 byte-order mark before reading values.schema.json: so does k8slint, so the
    network reference is seen and removed before Helm runs; a schema nested too deeply to read is
    not given to Helm at all (it might read it and fetch what it names)."""
    notes = [n for n in report.notes if "values.schema.json" in n]
    assert notes == [
        "charts/bom/values.schema.json: values validated without http://127.0.0.1:9/remote-schema.json "
        "(k8slint fetches nothing)",
        "charts/deep-schema/values.schema.json: values validated without the whole schema, which k8slint cannot read "
        "(nesting deeper than 200 levels: refusing to load, line 1) (k8slint fetches nothing)"]
    rendered = {t.label: t.objects for t in report.targets}
    assert rendered["charts/bom"] == 1 and rendered["charts/deep-schema"] == 1


def test_no_value_reaches_any_output(report, tmp_path: Path):
    pairs = [(name, str(tmp_path / f"out.{name}")) for name in FORMATS]
    write(report, pairs, color=False)
    for name, path in pairs:
        text = Path(path).read_text(encoding="utf-8")
        assert text and MARKER not in text, name
    document = json.loads((tmp_path / "out.json").read_text())
    assert document["summary"]["failed_targets"] >= 11


def test_every_output_is_written_and_exit_1_when_every_target_fails(tmp_path: Path):
    """Only broken targets: still exit 1 (findings), the SARIF file written, nothing on stderr."""
    sarif = tmp_path / "out.sarif"
    result = cli("check", "kustomize/overlays/dev", "kustomize/overlays/production", "--format", "text", "--format", "sarif",
                 "--output", "-", "--output", str(sarif), cwd=REPO)
    assert result.code == 1 and result.err == ""
    assert "kustomize/base/kustomization.yaml" in result.out and "resources entry 'service.yaml'" in result.out
    results = json.loads(sarif.read_text())["runs"][0]["results"]
    located = [(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in results]
    assert ("render-error", "kustomize/base/kustomization.yaml", 3) in located
    assert located.count(("render-error", "kustomize/base/kustomization.yaml", 3)) == 1


def test_a_missing_renderer_is_exit_2_not_a_finding(monkeypatch):
    monkeypatch.setenv("K8SLINT_KUSTOMIZE", str(REPO / "no-such-kustomize"))
    with pytest.raises(k8slint.K8slintError, match=r"^could not run .*no-such-kustomize \(kustomize\): No such file"):
        k8slint.lint([str(REPO / "kustomize/typo")])


@pytest.mark.parametrize("stderr, kind", [
    ('E1129 20:40:07.472576   20749 run.go:72] "command failed" err="invalid Kustomization: json: unknown field \\"imagess\\""',
     "unknown-field"),
    ("Error: accumulating resources: accumulation err='accumulating resources from 'missing.yaml': evalsymlink failure "
     "on '/tmp/x/missing.yaml' : lstat /tmp/x/missing.yaml: no such file or directory'", "missing"),
    ("error: loading KV pairs: literal sources [pw]: invalid literal source pw, expected key=value", "literal"),
    ("error: options.index 5 is out of bounds for value postgres://app:pw@db", "replacement"),
    ("error: something new in kustomize 9", "unknown"),
])
def test_kustomize_errors_are_classified_by_kind_not_copied(stderr, kind):
    from k8slint.render.kustomize_errors import classify, normalize

    assert classify(normalize(stderr))[0][0] == kind


def test_an_unrecognised_kustomize_error_is_a_generic_sentence(tmp_path: Path):
    """Nothing of kustomize's text is copied: the kind of error and the command that shows it."""
    from k8slint.plan.settings import Settings
    from k8slint.render.kustomize_errors import explain

    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "kustomization.yaml").write_text("resources: []\n")
    settings = Settings(repo_root=tmp_path)
    problems = explain(f"error: the build broke near {MARKER} for value postgres://app:{MARKER}@db", tmp_path / "app", "app",
                       "app/kustomization.yaml", settings)
    assert [(p.rule, p.location.file, p.location.line, p.message) for p in problems] == [
        ("render-error", "app/kustomization.yaml", 1, "kustomize could not build app: an error k8slint does not recognise; "
         "run `kubectl kustomize app` locally to see its message")]
