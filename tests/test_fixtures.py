"""The demo deploy repo passes clean, rendered by the real kustomize and Helm (each violating variant
in fixtures/violations/ is run by tests/test_rule_fixtures.py, its findings pinned in the snapshots)."""

from conftest import FIXTURES, cli

DEMO = FIXTURES / "deploy-repo"


def test_demo_repo_passes_clean_everywhere():
    result = cli("check", "--format", "json", cwd=DEMO)
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
    result = cli("check", "fixtures/deploy-repo/infra/k8s/overlays/production")
    assert result.code == 0, result.out + result.err
    assert "passed: 0 error(s)" in result.out


def test_text_output_points_at_source_lines():
    variant = FIXTURES / "violations" / "image-tag-latest"
    result = cli("check", "infra/k8s/overlays/production", cwd=variant)
    assert result.code == 1
    assert "infra/k8s/overlays/production/kustomization.yaml" in result.out
    assert "   11  error   image-tag-latest" in result.out
