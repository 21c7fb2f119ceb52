"""Every rule fixture: `fixtures/rules/<id>/fail` yields exactly the findings of <id> listed in its
expected.yaml (rule, file, line, object, message), `pass` yields none of <id> — on real renders."""

from pathlib import Path

import pytest
import yaml

from conftest import FIXTURES, k8slint

RULES = FIXTURES / "rules"


def cases():
    out = []
    for rule_dir in sorted(p for p in RULES.iterdir() if p.is_dir()) if RULES.is_dir() else []:
        for kind in ("fail", "pass"):
            if (rule_dir / kind).is_dir():
                out.append(pytest.param(rule_dir.name, rule_dir / kind, id=f"{rule_dir.name}-{kind}"))
    return out


def _expected(folder: Path) -> dict:
    path = folder / "expected.yaml"
    return yaml.safe_load(path.read_text()) if path.is_file() else {}


@pytest.mark.parametrize("rule, folder", cases())
def test_rule_fixture(rule: str, folder: Path):
    expected = _expected(folder)
    target = str(expected.get("target", "."))
    env = expected.get("env", "production")
    result = k8slint("check", target, "--env", env, "--format", "json", cwd=folder)
    assert result.code in (0, 1), result.err
    assert "Traceback" not in result.err
    found = [f for f in result.json["findings"] if f["rule"] == rule]
    if folder.name == "pass":
        assert found == [], [(f["location"], f["message"]) for f in found]
        return
    want = expected["findings"]
    assert want, f"{folder}/expected.yaml lists no findings"
    got = sorted((f["rule"], f["location"]["file"], f["location"]["line"]) for f in found)
    assert got == sorted((w["rule"], w["file"], w["line"]) for w in want), [f["message"] for f in found]
    for item in want:
        match = [f for f in found if (f["location"]["file"], f["location"]["line"]) == (item["file"], item["line"])]
        if "object" in item:
            assert any((f["object"] or {}).get("name") == item["object"] for f in match), match
        if "message_contains" in item:
            assert any(item["message_contains"] in f["message"] for f in match), [f["message"] for f in match]
    assert all(f["env"] in (env, "-") for f in found)
