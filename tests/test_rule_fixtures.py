"""Every rule with fixtures under fixtures/rules/<id>/ is proven on real rendering.

fail/ yields exactly the findings of that rule (and of any other rule it lists) in its
expected.yaml (rule, file, line, object, message substring) and never prints the values listed
under never_in_output (JSON and text output), and none of the rules under quiet (one mistake,
one finding: the rules that leave it to the one reporting it); pass/ yields no finding of that rule. Further
cases fail-<case>/ and pass-<case>/ are run the same way. The layout is CONTRIBUTING.md's;
any rule that adds fixtures there is picked up without editing this file.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import FIXTURES, k8slint

RULE_FIXTURES = FIXTURES / "rules"


def _cases(side: str) -> list:
    """fail/ and pass/ of every rule, and its further cases fail-<case>/ and pass-<case>/ (real shapes
    that need a render of their own)."""
    if not RULE_FIXTURES.is_dir():
        return []
    return [pytest.param(case, id=f"{d.name}/{case.name}") for d in sorted(RULE_FIXTURES.iterdir())
            for case in sorted(d.iterdir()) if case.is_dir() and (case.name == side or case.name.startswith(side + "-"))]


def _expected(folder: Path) -> dict:
    path = folder / "expected.yaml"
    return yaml.safe_load(path.read_text()) if path.is_file() else {}


def _check(folder: Path, expected: dict):
    target = expected.get("target", ".")
    env = expected.get("env", "production")
    result = k8slint("check", target, "--env", env, "--format", "json", cwd=folder)
    assert "Traceback" not in result.err, result.err
    assert result.code in (0, 1), result.out + result.err
    return result, target, env


@pytest.mark.parametrize("folder", _cases("fail"))
def test_fail_fixture_yields_exactly_the_expected_findings(folder: Path):
    rule = folder.parent.name
    assert (folder / ".k8slint.yaml").is_file(), "each fixture marks its repository root"
    expected = _expected(folder)
    assert expected.get("findings"), f"{folder}/expected.yaml lists no findings"
    result, target, env = _check(folder, expected)
    rules = {e["rule"] for e in expected["findings"]}  # its own rule, and any other rule it proves alongside
    assert rule in rules, "a fixture folder proves its own rule"
    found = [f for f in result.json["findings"] if f["rule"] in rules]
    got = sorted((f["rule"], f["location"]["file"], f["location"]["line"]) for f in found)
    want = sorted((e["rule"], e["file"], e["line"]) for e in expected["findings"])
    assert got == want, [(f["rule"], f["location"], f["message"]) for f in found]
    quiet = [f for f in result.json["findings"] if f["rule"] in expected.get("quiet", [])]
    assert quiet == [], "one mistake, one finding: these rules leave the mistake to the one that reports it"
    for item in expected["findings"]:
        match = [f for f in found if f["location"]["file"] == item["file"] and f["location"]["line"] == item["line"]
                 and ("object" not in item or (f["object"] or {}).get("name") == item["object"])]
        assert match, item
        if "message_contains" in item:
            assert any(item["message_contains"] in f["message"] for f in match), [f["message"] for f in match]
    secrets = expected.get("never_in_output", [])
    if secrets:
        text = k8slint("check", target, "--env", env, cwd=folder)
        for value in secrets:
            assert value not in result.out and value not in result.err, value
            assert value not in text.out and value not in text.err, value


@pytest.mark.parametrize("folder", _cases("pass"))
def test_pass_fixture_yields_no_finding_of_its_rule(folder: Path):
    rule = folder.parent.name
    assert (folder / ".k8slint.yaml").is_file(), "each fixture marks its repository root"
    result, _, _ = _check(folder, _expected(folder))
    assert result.json["targets"] and all(not t["failed"] for t in result.json["targets"])
    found = [(f["location"], f["message"]) for f in result.json["findings"] if f["rule"] == rule]
    assert found == []


def test_every_fixture_folder_has_both_sides_and_a_rule_file():
    from k8slint.resources import rules_dir

    if not RULE_FIXTURES.is_dir():
        pytest.skip("no rule fixtures")
    for folder in sorted(RULE_FIXTURES.iterdir()):
        fail = folder / "fail" / "expected.yaml"
        headline = FIXTURES / "violations" / folder.name / "expected.yaml"  # the headline rules' fail fixtures
        assert (fail.is_file() or headline.is_file()) and (folder / "pass").is_dir(), folder.name
        assert (rules_dir() / f"{folder.name}.yaml").is_file(), f"fixtures for unknown rule {folder.name}"


def test_secrets_fixtures_prove_values_are_never_printed():
    """Every secrets rule (and the credential-file rule) with a fail fixture names a value that
    must not appear in any output."""
    from k8slint.plan.rules import load_rules

    rules = load_rules()
    for folder in sorted(RULE_FIXTURES.iterdir()) if RULE_FIXTURES.is_dir() else []:
        rule = rules.get(folder.name)
        if rule is None or (rule.data.get("category") != "secrets" and rule.id != "no-committed-credentials"):
            continue
        fail = folder / "fail" if (folder / "fail").is_dir() else FIXTURES / "violations" / folder.name
        assert _expected(fail).get("never_in_output"), f"{folder.name}/fail lists no never_in_output values"
