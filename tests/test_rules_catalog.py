"""The rule catalog: every rule file is schema-valid, documented, and its own examples behave."""

import pytest

from k8slint.resources import rules_dir
from k8slint.plan.rules import load_rules, parse_rule
from k8slint.selftest import run_examples
from k8slint.validate import errors

RULE_FILES = sorted(rules_dir().glob("*.yaml"))


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.stem)
def test_rule_file_is_schema_valid_and_named_by_id(path):
    rule = parse_rule(path, f"rules/{path.name}", builtin=True, validate=True)
    assert rule.id == path.stem
    for key in ("summary", "description", "rationale", "remediation"):
        assert rule.data[key].strip()
    if rule.scope != "meta":
        assert rule.data.get("sources"), "non-meta rules cite the documents"


def test_examples_of_every_builtin_rule_agree():
    rules = load_rules(validate_builtin=True)
    failures, total = run_examples(list(rules.values()), rules)
    assert failures == [] and total >= 10


def test_bad_rule_file_names_file_and_key(tmp_path):
    bad = tmp_path / "x.yaml"
    bad.write_text("id: x\nseverity: fatal\nsummary: s\ndescription: d\nrationale: r\nremediation: m\nscope: object\ntemplate: pvc-naming\n")
    from k8slint.plan.rules import RuleError

    with pytest.raises(RuleError, match=r"x.yaml: severity: 'fatal' is not one of"):
        parse_rule(bad, "x.yaml", builtin=False)


def test_validator_messages():
    assert errors({"fail-on": "sometimes"}, "config.schema.json")[0].startswith("fail-on:")


# -- the catalog as a whole: unique ids, fixtures for every rule, generated docs in sync ------------

from conftest import FIXTURES, ROOT  # noqa: E402

HEADLINE = {"image-tag-latest", "image-tag-policy", "pvc-naming", "readiness-probe", "liveness-probe",
            "no-plaintext-secret", "no-dockerfile", "no-compose"}
RULE_IDS = sorted(p.stem for p in RULE_FILES)


def test_rule_ids_are_unique_across_files():
    import yaml

    ids = [yaml.safe_load(p.read_text())["id"] for p in RULE_FILES]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_a_custom_rule_may_not_reuse_a_builtin_id(tmp_path):
    from k8slint.plan.rules import RuleError

    (tmp_path / "mine.yaml").write_text((rules_dir() / "pvc-naming.yaml").read_text())
    with pytest.raises(RuleError, match="rule id 'pvc-naming' is already defined by rules/pvc-naming.yaml"):
        load_rules([tmp_path])


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_every_rule_has_fail_and_pass_fixtures(rule_id):
    import yaml

    fail = FIXTURES / "rules" / rule_id / "fail"
    legacy = FIXTURES / "violations" / rule_id
    if rule_id in HEADLINE and not fail.is_dir():
        fail = legacy  # the headline rules' violating variants count as their fail fixture
    assert (fail / "expected.yaml").is_file(), f"{rule_id}: no fixtures/rules/{rule_id}/fail/expected.yaml"
    assert (fail / ".k8slint.yaml").is_file() or (fail / ".git").exists(), f"{fail} must mark its repository root"
    expected = yaml.safe_load((fail / "expected.yaml").read_text())
    assert any(f["rule"] == rule_id for f in expected["findings"]), f"{fail}/expected.yaml expects no {rule_id} finding"
    assert all({"rule", "file", "line"} <= set(f) for f in expected["findings"])
    passing = FIXTURES / "rules" / rule_id / "pass"
    assert passing.is_dir() and (passing / ".k8slint.yaml").is_file(), f"{rule_id}: no fixtures/rules/{rule_id}/pass (with .k8slint.yaml)"


def test_no_fixture_folder_for_an_unknown_rule():
    folders = {p.name for p in (FIXTURES / "rules").iterdir() if p.is_dir()}
    assert folders <= set(RULE_IDS), folders - set(RULE_IDS)


def test_generated_rule_docs_are_in_sync():
    from k8slint.docs_gen import pages

    docs = ROOT / "docs" / "rules"
    wanted = pages()
    assert set(wanted) == {p.name for p in docs.glob("*.md")}, "run `python -m k8slint.docs_gen`"
    stale = [name for name, text in wanted.items() if (docs / name).read_text(encoding="utf-8") != text]
    assert stale == [], f"out of date: {stale}; run `python -m k8slint.docs_gen`"
    assert set(RULE_IDS) <= {name[:-3] for name in wanted}


def test_docs_gen_check_mode_reports_a_stale_page(tmp_path):
    from k8slint.docs_gen import main, pages

    for name, text in pages().items():
        (tmp_path / name).write_text(text)
    assert main(["--out", str(tmp_path), "--check"]) == 0
    (tmp_path / "namespace.md").write_text("hand edit\n")
    (tmp_path / "gone-rule.md").write_text("old\n")
    assert main(["--out", str(tmp_path), "--check"]) == 1
    assert main(["--out", str(tmp_path)]) == 0
    assert not (tmp_path / "gone-rule.md").exists() and main(["--out", str(tmp_path), "--check"]) == 0


def test_explain_prints_what_why_examples_and_suppression():
    from conftest import k8slint

    result = k8slint("explain", "config-ref-exists")
    assert result.code == 0
    for part in ("## What it does", "## Why", "DEPLOY", "## Example: fails", "## Example: passes", "## How to suppress",
                 "k8slint.io/ignore: \"config-ref-exists\"", "optional: true"):
        assert part in result.out, part
    listing = k8slint("rules").out
    assert "servicemonitor-wiring" in listing and "warning" in listing and "unused-suppression" in listing


def test_readme_lists_every_rule():
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    for rule in load_rules().values():
        assert f"[`{rule.id}`](docs/rules/{rule.id}.md)" in readme, f"README rules table lacks {rule.id}"
