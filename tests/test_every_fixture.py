"""`k8slint check` on every fixture (demo repo, violation variants, rule fixtures, adversarial
cases) ends with a finding or one clear sentence -- never a traceback; adversarial cases never
pass silently. (The corpus counterpart is tests/test_corpus.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import FIXTURES, assert_clear, bounded_k8slint


def fixture_dirs() -> list[Path]:
    found = {p.parent for p in FIXTURES.rglob(".k8slint.yaml")} | {FIXTURES / "deploy-repo"}
    return sorted(p for p in found if p.is_dir())


@pytest.mark.parametrize("folder", fixture_dirs(), ids=lambda p: p.relative_to(FIXTURES).as_posix())
def test_every_fixture_checks_without_traceback(folder: Path, tmp_path: Path):
    expected = yaml.safe_load((folder / "expected.yaml").read_text()) if (folder / "expected.yaml").is_file() else {}
    target = expected.get("target", ".")
    env = {"K8SLINT_TEST_MARKER": str(tmp_path / "code-ran")}
    result = bounded_k8slint("check", target, "--format", "json", cwd=folder, env=env, timeout=120)
    assert_clear(result)
    if result.code != 2:
        data = result.json
        assert data["targets"] and all(f["location"]["line"] >= 1 for f in data["findings"])
    if "adversarial" in folder.parts:
        assert result.code != 0, "an adversarial case passed silently"
    assert not (tmp_path / "code-ran").exists()
