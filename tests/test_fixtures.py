"""The demo deploy repo passes clean; each violating variant yields exactly its expected findings,
at the source file and line, rendered by the real kustomize and Helm."""

from pathlib import Path

import pytest
import yaml

from conftest import FIXTURES, k8slint

HEADLINE = {"image-tag-latest", "image-tag-policy", "pvc-naming", "readiness-probe", "liveness-probe",
            "no-plaintext-secret", "no-dockerfile", "no-compose"}
VARIANTS = sorted(p for p in (FIXTURES / "violations").iterdir() if (p / "expected.yaml").is_file())
DEMO = FIXTURES / "deploy-repo"


def test_demo_repo_passes_clean_everywhere():
    result = k8slint("check", "--format", "json", cwd=DEMO)
    assert result.code == 0, result.out + result.err
    data = result.json
    assert data["findings"] == []
    targets = {(t["target"], t["env"]) for t in data["targets"]}
    apps = "infra/argocd/applications"
    assert targets == {  # each overlay and the chart as the Application that deploys it (issue 14)
        (f"observer-production (Application {apps}/observer-production.yaml)", "production"),
        (f"observer-staging (Application {apps}/observer-staging.yaml)", "staging"),
        (f"observer-helm (Application {apps}/observer-helm.yaml)", "production"),
        (f"app-of-apps (Application {apps}/app-of-apps.yaml)", "production"),  # deploys the folder of Applications
        ("infra/_shared/migrations", "unknown"),  # folders of loose manifests: checked too
        ("infra/_shared/secrets/sealed", "unknown"),
        ("infra/helm/apps/observer [values-staging.yaml]", "staging"),  # no Application passes it
    }
    assert all(t["objects"] > 0 for t in data["targets"])


def test_demo_production_overlay_exit_0():
    result = k8slint("check", "fixtures/deploy-repo/infra/k8s/overlays/production")
    assert result.code == 0, result.out + result.err
    assert "passed: 0 error(s)" in result.out


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda p: p.name)
def test_violation_variant(variant: Path):
    expected = yaml.safe_load((variant / "expected.yaml").read_text())
    result = k8slint("check", expected["target"], "--format", "json", cwd=variant)
    assert result.code == 1, result.out + result.err
    findings = [f for f in result.json["findings"] if f["rule"] in HEADLINE]
    got = sorted((f["rule"], f["location"]["file"], f["location"]["line"]) for f in findings)
    want = sorted((f["rule"], f["file"], f["line"]) for f in expected["findings"])
    assert got == want
    for item in expected["findings"]:
        if "message_contains" in item:
            match = [f for f in findings if f["rule"] == item["rule"]]
            assert any(item["message_contains"] in f["message"] for f in match), match
    for finding in findings:
        assert finding["env"] in (expected.get("env", "production"), "-")
    text = k8slint("check", expected["target"], cwd=variant)
    for secret in expected.get("never_in_output", []):
        assert secret not in result.out and secret not in text.out and secret not in text.err


def test_text_output_points_at_source_lines():
    variant = FIXTURES / "violations" / "image-tag-latest"
    result = k8slint("check", "infra/k8s/overlays/production", cwd=variant)
    assert result.code == 1
    assert "infra/k8s/overlays/production/kustomization.yaml" in result.out
    assert "   11  error   image-tag-latest" in result.out
