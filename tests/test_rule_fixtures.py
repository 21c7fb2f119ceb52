"""Every rule proven on real input, its findings pinned in a snapshot.

For each rule: its own ``examples:`` (each fail example yields findings of the rule, each pass
example none) and its fixture folders - ``fixtures/rules/<id>/fail*/`` and ``pass*/`` (kustomize
overlays, Helm charts, repository trees: shapes an example cannot hold) and, for the headline
rules, ``fixtures/violations/<id>*/`` - are checked in process through ``k8slint.lint``. Every
finding of the rule (rule id, file, line, message) must equal ``tests/snapshots/<id>.yaml``:

    python -m pytest tests/test_rule_fixtures.py --snapshot-update     # rewrite; review `git diff`

A fixture folder is the repository root and needs only its input files (no `.k8slint.yaml`, no
kustomization: a folder of plain YAML is a target too); an optional ``expected.yaml`` sets
``target`` (default ``.``) and ``env`` (default production) and may hand-check ``findings``
(rule, file, line, object, message_contains: exactly these findings of the rules it lists),
``quiet`` (rules that must report nothing there: one mistake, one finding) and
``never_in_output`` (values no output may show).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from conftest import FIXTURES, ROOT, lint
from k8slint.plan.rules import load_rules

RULES = load_rules(validate_builtin=True)
SNAPSHOTS = ROOT / "tests" / "snapshots"
HEADLINE = {"image-tag-latest", "image-tag-policy", "pvc-naming", "readiness-probe", "liveness-probe",
            "no-plaintext-secret", "no-dockerfile", "no-compose"}
UPDATE_HINT = "python -m pytest tests/test_rule_fixtures.py --snapshot-update"


def fixture_folders(rule_id: str) -> list[tuple[str, Path]]:
    """(side, folder) of every fixture folder of a rule, in a stable order."""
    found = []
    base = FIXTURES / "rules" / rule_id
    for case in sorted(base.iterdir()) if base.is_dir() else []:
        side = case.name.split("-", 1)[0]
        if case.is_dir() and side in ("fail", "pass"):
            found.append((side, case))
    violations = FIXTURES / "violations"
    for case in sorted(violations.iterdir()):
        if case.name == rule_id or (case.name.startswith(rule_id + "-") and case.name[len(rule_id) + 1:] not in RULES):
            found.append(("fail", case))
    return found


def _expected(folder: Path) -> dict:
    path = folder / "expected.yaml"
    return yaml.safe_load(path.read_text()) if path.is_file() else {}


def _row(f) -> dict:
    return {"rule": f.rule, "file": f.location.file, "line": f.location.line, "message": f.message}


def _check_folder(rule_id: str, side: str, folder: Path) -> list[dict]:
    """Run one fixture folder; assert its side and its expected.yaml; return the snapshot rows."""
    name = folder.relative_to(FIXTURES).as_posix()
    expected = _expected(folder)
    target, env = expected.get("target", "."), expected.get("env", "production")
    result = lint(target, cwd=folder, env=env, repo_root=str(folder))
    assert result.code in (0, 1), f"{name}: {result.err}"
    report = result.report
    # a target with nothing rendered must say why in a finding of its own (a render-error; an Application
    # whose source is wrong, or that deploys another repository and syncs production automatically)
    its_own = {label for f in report.findings for label in [f.target, *(t for t, _ in f.targets)]}
    assert report.targets and all(t.objects and not t.failed or t.label in its_own for t in report.targets) \
        or rule_id == "render-error" or report.targets == [] and RULES[rule_id].scope == "repo", \
        f"{name}: nothing rendered ({report.targets})"
    for finding in report.findings:  # every finding at a real line of its file
        file = folder / finding.location.file
        assert finding.location.line >= 1 and (not file.is_file() or finding.location.line <= max(1, len(file.read_bytes().splitlines()))), \
            f"{name}: {_row(finding)}"
    listed = {e["rule"] for e in expected.get("findings", [])} | {rule_id}
    if "violations" in folder.parts:
        listed |= HEADLINE  # a headline variant: exactly its headline findings, no other headline rule
    mine = [f for f in report.findings if f.rule == rule_id]
    if side == "pass":
        assert mine == [], f"{name}: a pass folder with findings of {rule_id}: {[_row(f) for f in mine]}"
    else:
        assert mine, f"{name}: a fail folder without a finding of {rule_id}"
    if "findings" in expected:
        got = sorted((f.rule, f.location.file, f.location.line) for f in report.findings if f.rule in listed)
        want = sorted((e["rule"], e["file"], e["line"]) for e in expected["findings"])
        assert got == want, f"{name}: {[_row(f) for f in report.findings if f.rule in listed]}"
        for item in expected["findings"]:
            match = [f for f in report.findings if (f.rule, f.location.file, f.location.line) == (item["rule"], item["file"], item["line"])
                     and ("object" not in item or (f.object or {}).get("name") == item["object"])]
            assert match, f"{name}: {item}"
            if "message_contains" in item:
                assert any(item["message_contains"] in f.message for f in match), [f.message for f in match]
            if "violations" in folder.parts:
                assert all(f.env in (env, "-") for f in match), f"{name}: {item}"
    quiet = [_row(f) for f in report.findings if f.rule in expected.get("quiet", [])]
    assert quiet == [], f"{name}: one mistake, one finding: these rules leave it to the one that reports it"
    secrets = expected.get("never_in_output", [])
    if secrets:
        text = lint(target, cwd=folder, env=env, repo_root=str(folder), fmt="text")
        for value in secrets:
            assert value not in result.out and value not in text.out, f"{name}: a secret value in the output"
    return [_row(f) for f in report.findings if f.rule in (listed - HEADLINE | {rule_id})]


def _check_examples(rule) -> dict[str, list[dict]]:
    from k8slint.selftest import findings_for_snippet

    rows: dict[str, list[dict]] = {}
    examples = rule.data.get("examples", {})
    for side in ("fail", "pass"):
        for position, snippet in enumerate(examples.get(side, [])):
            found = findings_for_snippet(rule, RULES, snippet)
            key = f"examples.{side}[{position}]"
            if side == "fail":
                assert found, f"rules/{rule.id}.yaml {key}: no finding"
            else:
                assert found == [], f"rules/{rule.id}.yaml {key}: {[_row(f) for f in found]}"
            rows[key] = [_row(f) for f in found]
    return rows


def _scalar(text: str, flow: bool = True) -> str:
    """A string as YAML: plain where it reads back the same, else double-quoted (JSON's escapes are YAML's)."""
    special = ":#{}[],&*!|>'\"%@`" if flow else ":#&*!|>'\"%@`{["
    plain = text and not any(c in (text if flow else text[:1]) for c in special) and ": " not in text and " #" not in text \
        and text.strip() == text
    return text if plain and yaml.safe_load(text) == text else json.dumps(text, ensure_ascii=False)


def snapshot_text(rule_id: str, cases: dict[str, list[dict]]) -> str:
    """One line per finding (rule, file, line, message), one key per example or fixture folder."""
    lines = [f"# The findings of rule {rule_id} on its examples (rules/{rule_id}.yaml) and fixture folders.",
             f"# Written by `{UPDATE_HINT}`: review the diff."]
    for case, rows in cases.items():
        lines.append(f"{_scalar(case, flow=False)}:" + ("" if rows else " []"))
        lines += [f"- {{rule: {_scalar(r['rule'])}, file: {_scalar(r['file'])}, line: {r['line']}, message: {json.dumps(r['message'], ensure_ascii=False)}}}"
                  for r in rows]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_rule_examples_and_fixtures_match_the_snapshot(rule_id, request):
    rule = RULES[rule_id]
    cases = _check_examples(rule)
    for side, folder in fixture_folders(rule_id):
        cases[folder.relative_to(FIXTURES).as_posix()] = _check_folder(rule_id, side, folder)
    assert any(rows for rows in cases.values()), \
        f"{rule_id}: no fail example (rules/{rule_id}.yaml examples.fail) and no fail fixture folder with a finding"
    text = snapshot_text(rule_id, cases)
    path = SNAPSHOTS / f"{rule_id}.yaml"
    if request.config.getoption("--snapshot-update"):
        SNAPSHOTS.mkdir(exist_ok=True)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8", newline="\n")
        return
    assert path.is_file(), f"no snapshot {path.relative_to(ROOT)}: run `{UPDATE_HINT}`"
    stored = path.read_text(encoding="utf-8")
    if stored != text:
        import difflib

        diff = "".join(difflib.unified_diff(stored.splitlines(True), text.splitlines(True), "snapshot", "now", n=0))
        pytest.fail(f"{path.relative_to(ROOT)} differs from what the rule finds now (if that is intended, run "
                    f"`{UPDATE_HINT}`):\n{diff}", pytrace=False)


def test_no_snapshot_or_fixture_folder_for_an_unknown_rule():
    assert {p.stem for p in SNAPSHOTS.glob("*.yaml")} <= set(RULES), "a snapshot of a rule that does not exist"
    assert {p.name for p in (FIXTURES / "rules").iterdir()} <= set(RULES), "fixtures of a rule that does not exist"


def test_every_rule_has_a_pass_case():
    for rule_id, rule in RULES.items():
        folders = [side for side, _ in fixture_folders(rule_id)]
        assert rule.data.get("examples", {}).get("pass") or "pass" in folders, f"{rule_id}: no pass example or pass folder"


def test_secrets_fixtures_prove_values_are_never_printed():
    """Every secrets rule (and the credential-file rule) names a value that must not appear in any output."""
    for rule_id, rule in sorted(RULES.items()):
        if rule.data.get("category") != "secrets" and rule_id != "no-committed-credentials":
            continue
        fails = [folder for side, folder in fixture_folders(rule_id) if side == "fail"]
        assert any(_expected(folder).get("never_in_output") for folder in fails), f"{rule_id}: no fail folder lists never_in_output values"
