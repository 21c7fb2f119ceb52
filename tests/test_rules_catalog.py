"""The rule catalog: every rule file is schema-valid, documented, and its own examples behave."""

import pytest

from k8slint.resources import rules_dir
from k8slint.rules import load_rules, parse_rule
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
    from k8slint.rules import RuleError

    with pytest.raises(RuleError, match=r"x.yaml: severity: 'fatal' is not one of"):
        parse_rule(bad, "x.yaml", builtin=False)


def test_validator_messages():
    assert errors({"fail-on": "sometimes"}, "config.schema.json")[0].startswith("fail-on:")
