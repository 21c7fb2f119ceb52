"""Custom rules from the linted repository: YAML only (JSON Schema assertions or installed templates
with params), tested by their own examples with `k8slint test`; never code from the repository."""

import shutil
from pathlib import Path

from conftest import FIXTURES, cli, k8slint

REPO = FIXTURES / "custom-rules"
RULE = REPO / ".k8slint" / "rules" / "production-min-replicas.yaml"


def test_yaml_only_rule_from_dot_k8slint_rules_checks_production_only():
    result = cli("check", "--format", "json", cwd=REPO)
    assert result.code == 1, result.err
    found = [f for f in result.json["findings"] if f["rule"] == "production-min-replicas"]
    assert [(f["location"]["file"], f["location"]["line"], f["env"], f["severity"]) for f in found] == [
        ("k8s/overlays/production/replicas.yaml", 6, "production", "error")]
    assert found[0]["object"]["name"] == "api"
    assert "Deployment prj-01/api runs fewer than 2 replicas in production (spec.replicas fails minimum 2)" == found[0]["message"]
    assert "production-min-replicas" in cli("rules", cwd=REPO).out
    assert "Production Deployments run at least 2 replicas" in cli("explain", "production-min-replicas", cwd=REPO).out


def test_k8slint_test_passes_the_rules_own_examples():
    result = cli("test", cwd=REPO)
    assert result.code == 0, result.out + result.err
    assert result.out.strip().endswith("3 passed, 0 failed")


def test_k8slint_test_reports_a_disagreeing_example(tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(REPO, repo)
    rule = repo / ".k8slint" / "rules" / "production-min-replicas.yaml"
    rule.write_text(rule.read_text().replace("        replicas: 3\n", "        replicas: 1\n"))
    result = cli("test", cwd=repo)
    assert result.code == 1
    assert ("FAIL .k8slint/rules/production-min-replicas.yaml: examples.pass[0] of production-min-replicas produced 1 "
            "finding(s): Deployment prj-01/api runs fewer than 2 replicas") in result.out
    assert "2 passed, 1 failed" in result.out


def test_custom_rules_listed_in_config(tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(REPO, repo)
    (repo / "policies").mkdir()
    shutil.move(str(repo / ".k8slint" / "rules" / "production-min-replicas.yaml"), repo / "policies" / "replicas.yaml")
    assert "production-min-replicas" not in {f["rule"] for f in cli("check", "--format", "json", cwd=repo).json["findings"]}
    (repo / ".k8slint.yaml").write_text("custom-rules: [policies/replicas.yaml]\n")
    assert "production-min-replicas" in {f["rule"] for f in cli("check", "--format", "json", cwd=repo).json["findings"]}
    (repo / ".k8slint.yaml").write_text("custom-rules: [policies/missing.yaml]\n")
    missing = cli("check", cwd=repo)
    assert missing.code == 2 and "custom-rules path not found" in missing.err


TEMPLATE_MODULE = '''\
"""A third-party k8slint template: objects must name their owning team."""
from k8slint.model import Violation
from k8slint.templates import template


@template(scope="object")
def owner_label(obj, params, ctx):
    label = params["label"]
    if label not in obj.labels():
        yield Violation(f"{obj.kind} {obj.name} has no '{label}' label", ("metadata", "labels"))
'''

OWNER_RULE = """\
id: owner-label
severity: warning
summary: Deployments name their owning team.
description: Deployments carry the `team` label.
rationale: Pages go to the owning team.
remediation: Add `team:` to metadata.labels.
scope: object
kinds: [Deployment]
template: {template}
params: {{label: team}}
"""


def _install_template_package(site: Path) -> None:
    """A tiny distribution on sys.path (PYTHONPATH): module + dist-info with a k8slint.templates entry point."""
    (site / "k8slint_owner.py").write_text(TEMPLATE_MODULE)
    info = site / "k8slint_owner-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: k8slint-owner\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[k8slint.templates]\nowner-label = k8slint_owner:owner_label\n")


def test_third_party_template_from_an_installed_package(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    _install_template_package(site)
    repo = tmp_path / "repo"
    shutil.copytree(REPO, repo)
    (repo / ".k8slint" / "rules" / "owner-label.yaml").write_text(OWNER_RULE.format(template="owner-label"))
    result = k8slint("check", "k8s/overlays/staging", "--format", "json", cwd=repo, env={"PYTHONPATH": str(site)})
    assert result.code in (0, 1), result.err
    found = [f for f in result.json["findings"] if f["rule"] == "owner-label"]
    assert [(f["location"]["file"], f["location"]["line"], f["message"]) for f in found] == [
        ("k8s/base/deployment.yaml", 5, "Deployment api has no 'team' label")]
    # without the package installed the same rule file cannot be used: exit 2, one sentence
    missing = k8slint("check", "k8s/overlays/staging", cwd=repo)
    assert missing.code == 2 and "Traceback" not in missing.err and missing.err.count("\n") == 1
    assert "template 'owner-label' is not installed" in missing.err and ".k8slint/rules/owner-label.yaml" in missing.err


def test_nothing_from_the_linted_repo_is_executed(tmp_path):
    """A repo that plants the same package (module + dist-info) in its own tree, and a rule naming a
    Python path: neither is imported, the run stops with exit 2, and the planted code never ran."""
    repo = tmp_path / "repo"
    shutil.copytree(REPO, repo)
    marker = tmp_path / "executed"
    _install_template_package(repo)
    (repo / "k8slint_owner.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n" + TEMPLATE_MODULE)
    (repo / ".k8slint" / "rules" / "evil.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    (repo / ".k8slint" / "rules" / "owner-label.yaml").write_text(OWNER_RULE.format(template="owner-label"))
    for cwd in (repo, repo / "k8s"):
        result = k8slint("check", "--repo-root", str(repo), str(repo / "k8s/overlays/staging"), cwd=cwd)
        assert result.code == 2 and "template 'owner-label' is not installed" in result.err, result.err
        assert k8slint("test", cwd=cwd).code == 2
    (repo / ".k8slint" / "rules" / "owner-label.yaml").write_text(OWNER_RULE.format(template="'k8slint_owner:owner_label'"))
    result = k8slint("check", "k8s/overlays/staging", cwd=repo)
    assert result.code == 2 and "is not installed" in result.err
    assert not marker.exists()


def test_assert_rules_are_declarative_only(tmp_path):
    """An assertion rule with a bad schema or an unknown scope is a clear exit 2 naming the file."""
    repo = tmp_path / "repo"
    shutil.copytree(REPO, repo)
    rule = repo / ".k8slint" / "rules" / "production-min-replicas.yaml"
    rule.write_text(rule.read_text().replace("scope: object", "scope: python"))
    result = cli("check", cwd=repo)
    assert result.code == 2 and ".k8slint/rules/production-min-replicas.yaml" in result.err and "scope" in result.err
    assert "Traceback" not in result.err
