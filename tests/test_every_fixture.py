"""`k8slint check` on every fixture repository (the demo repo, the location and custom-rule
fixtures; the rule fixtures and violation variants get the same checks in
tests/test_rule_fixtures.py; the broken targets of fixtures/render-errors are pinned by
tests/test_render_errors.py) renders it and ends with exit 0 or 1 - a finding, never a refusal or
a traceback, every finding at a real line. Adversarial cases that
tests/test_adversarial.py does not pin (no expected.yaml) run in a bounded child process and never
pass silently. (The corpus counterpart is tests/test_corpus.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import FIXTURES, assert_clear, bounded_k8slint, cli

ADVERSARIAL = FIXTURES / "adversarial"


def fixture_dirs() -> list[Path]:
    """Fixture repositories other than the rule fixtures and violation variants (which
    tests/test_rule_fixtures.py runs with the same checks) and the adversarial cases."""
    found = {p.parent for p in FIXTURES.rglob(".k8slint.yaml")} | {FIXTURES / "deploy-repo"}
    skip = (ADVERSARIAL, FIXTURES / "rules", FIXTURES / "violations",
            FIXTURES / "render-errors")  # targets that fail on purpose, pinned by tests/test_render_errors.py
    return sorted(p for p in found if p.is_dir() and not any(p == s or s in p.parents for s in skip))


def _expected(folder: Path) -> dict:
    return yaml.safe_load((folder / "expected.yaml").read_text()) if (folder / "expected.yaml").is_file() else {}


@pytest.mark.parametrize("folder", fixture_dirs(), ids=lambda p: p.relative_to(FIXTURES).as_posix())
def test_every_fixture_renders_and_checks(folder: Path):
    expected = _expected(folder)
    result = cli("check", expected.get("target", "."), "--format", "json", cwd=folder)
    assert result.code in (0, 1), result.err  # exit 2 (could not check) is not what a fixture is for
    data = result.json
    assert data["targets"] and all(t["objects"] and not t["failed"] for t in data["targets"]), data["targets"]
    lines = {}
    for finding in data["findings"]:
        file = folder / finding["location"]["file"]
        if file.is_file():
            lines.setdefault(file, max(1, len(file.read_bytes().splitlines())))
            assert 1 <= finding["location"]["line"] <= lines[file], finding
        else:
            assert finding["location"]["line"] >= 1, finding


UNPINNED = sorted(p for p in ADVERSARIAL.iterdir() if p.is_dir() and not (p / "expected.yaml").is_file())


@pytest.mark.parametrize("folder", UNPINNED, ids=lambda p: p.name)
def test_adversarial_fixture_never_passes_silently(folder: Path, tmp_path: Path):
    env = {"K8SLINT_TEST_MARKER": str(tmp_path / "code-ran")}
    result = bounded_k8slint("check", ".", "--format", "json", cwd=folder, env=env, timeout=120)
    assert_clear(result)
    assert result.code != 0, "an adversarial case passed silently"
    if result.code == 1:
        assert all(f["location"]["line"] >= 1 for f in result.json["findings"])
    assert not (tmp_path / "code-ran").exists()
