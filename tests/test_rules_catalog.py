"""The rule catalog: every rule file is schema-valid, documented, and its own examples behave."""

import pytest

from k8slint.resources import rules_dir
from k8slint.plan.rules import load_rules, parse_rule
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


def test_bad_rule_file_names_file_and_key(tmp_path):
    bad = tmp_path / "x.yaml"
    bad.write_text("id: x\nseverity: fatal\nsummary: s\ndescription: d\nrationale: r\nremediation: m\nscope: object\ntemplate: pvc-naming\n")
    from k8slint.plan.rules import RuleError

    with pytest.raises(RuleError, match=r"x.yaml: severity: 'fatal' is not one of"):
        parse_rule(bad, "x.yaml", builtin=False)


def test_validator_messages():
    assert errors({"fail-on": "sometimes"}, "config.schema.json")[0].startswith("fail-on:")


# -- the catalog as a whole: unique ids, generated docs in sync (fixtures and snapshots: test_rule_fixtures) --

from conftest import ROOT  # noqa: E402

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


def test_generated_rule_docs_are_in_sync():
    from k8slint.docs_gen import builtin_rules, pages, readme_with_table

    docs = ROOT / "docs" / "rules"
    wanted = pages()
    assert set(wanted) == {p.name for p in docs.glob("*.md")}, "run `python -m k8slint.docs_gen`"
    stale = [name for name, text in wanted.items() if (docs / name).read_text(encoding="utf-8") != text]
    assert stale == [], f"out of date: {stale}; run `python -m k8slint.docs_gen`"
    assert set(RULE_IDS) <= {name[:-3] for name in wanted}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme_with_table(readme, builtin_rules()) == readme, "README.md's rule table: run `python -m k8slint.docs_gen`"


def test_docs_gen_check_mode_reports_a_stale_page(tmp_path):
    from k8slint.docs_gen import main, pages

    out = tmp_path / "rules"
    out.mkdir()
    for name, text in pages().items():
        (out / name).write_text(text)
    readme = tmp_path / "README.md"
    readme.write_text((ROOT / "README.md").read_text())
    args = ["--out", str(out), "--readme", str(readme)]
    assert main([*args, "--check"]) == 0
    (out / "namespace.md").write_text("hand edit\n")
    (out / "gone-rule.md").write_text("old\n")
    readme.write_text(readme.read_text().replace("| [`namespace`](docs/rules/namespace.md) | warning |", "| [`namespace`](docs/rules/namespace.md) | error |"))
    assert main([*args, "--check"]) == 1
    assert main(args) == 0
    assert not (out / "gone-rule.md").exists() and main([*args, "--check"]) == 0
    assert readme.read_text() == (ROOT / "README.md").read_text()


def test_explain_prints_what_why_examples_and_suppression():
    from conftest import k8slint

    result = k8slint("explain", "config-ref-exists")
    assert result.code == 0
    for part in ("## What it does", "## Why", "DEPLOY", "## Example: fails", "## Example: passes", "## How to suppress",
                 "k8slint.io/ignore: \"config-ref-exists\"", "optional: true"):
        assert part in result.out, part
    listing = k8slint("rules").out
    assert "servicemonitor-wiring" in listing and "warning" in listing and "unused-suppression" in listing


def test_no_rule_file_keeps_a_scaffold_todo():
    for path in RULE_FILES:
        assert "TODO" not in path.read_text(encoding="utf-8"), f"{path.name}: fill in the TODOs tools/new_rule.py left"


def _new_rule(tmp_path, *args: str):
    import runpy
    import sys

    (tmp_path / "rules").mkdir(exist_ok=True)
    (tmp_path / "k8slint" / "templates").mkdir(parents=True, exist_ok=True)
    argv = sys.argv
    sys.argv = ["new_rule.py", *args, "--root", str(tmp_path)]
    try:
        with pytest.raises(SystemExit) as done:
            runpy.run_path(str(ROOT / "tools" / "new_rule.py"), run_name="__main__")
    finally:
        sys.argv = argv
    assert done.value.code == 0


def test_new_rule_scaffold_with_an_existing_template_fails_until_its_examples_are_written(tmp_path):
    """tools/new_rule.py writes a schema-valid rule whose placeholder examples do not prove it yet:
    the fail example finds nothing, so tests/test_rule_fixtures.py fails until it is written."""
    from k8slint.selftest import findings_for_snippet

    _new_rule(tmp_path, "secret-in-prod", "--scope", "object", "--template", "no-plaintext-secret", "--severity", "error")
    rule = parse_rule(tmp_path / "rules" / "secret-in-prod.yaml", "rules/secret-in-prod.yaml", builtin=True, validate=True)
    assert (rule.id, rule.scope, rule.severity, rule.check.k8slint_name) == ("secret-in-prod", "object", "error", "no-plaintext-secret")
    rules = {**load_rules(), rule.id: rule}
    assert findings_for_snippet(rule, rules, rule.data["examples"]["fail"][0]) == []
    assert "TODO" in (tmp_path / "rules" / "secret-in-prod.yaml").read_text()


@pytest.mark.parametrize("scope", ["object", "podspec", "container", "render", "repo", "source"])
def test_new_rule_scaffold_writes_a_template_stub_k8slint_finds_by_name(tmp_path, scope):
    import importlib.util

    _new_rule(tmp_path, f"my-{scope}-check", "--scope", scope, "--area", "mine")
    module_file = tmp_path / "k8slint" / "templates" / "mine.py"
    spec = importlib.util.spec_from_file_location(f"k8slint.templates._scaffold_{scope}", module_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # relative imports resolve in the real k8slint.templates package
    fn = getattr(module, f"my_{scope}_check")
    assert (fn.k8slint_name, fn.k8slint_scope, fn.k8slint_params) == (
        f"my-{scope}-check", scope, {"type": "object", "additionalProperties": False, "properties": {}, "required": []})
    assert list(fn(None, {}, None)) == []  # a stub finds nothing until it is written
    text = (tmp_path / "rules" / f"my-{scope}-check.yaml").read_text()
    assert f"template: my-{scope}-check\n" in text and ("examples:" in text) == (scope != "repo")
