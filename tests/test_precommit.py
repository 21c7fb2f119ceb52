"""pre-commit: `k8slint check --changed FILE...` maps changed files to the targets they feed, and
the hook in .pre-commit-hooks.yaml runs through the real `pre-commit try-repo` against a git repo
made from the demo deploy repo: a :latest image in production is refused, a clean change passes."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from conftest import FIXTURES, ROOT, k8slint

DEMO = FIXTURES / "deploy-repo"
PROD = "infra/k8s/overlays/production"
STAGING = "infra/k8s/overlays/staging"
CHART_PROD = "infra/helm/apps/observer [values-prod.yaml]"
CHART_STAGING = "infra/helm/apps/observer [values-staging.yaml]"


def listed(*files: str, cwd: Path = DEMO) -> list[str]:
    result = k8slint("check", "--changed", *files, "--list-targets", "--format", "json", cwd=cwd)
    assert result.code == 0, result.err
    return [t["target"] for t in json.loads(result.out)]


@pytest.mark.parametrize("files, targets", [
    (["infra/k8s/base/deployments/api.yaml"], [PROD, STAGING]),           # a base file: every overlay using the base
    (["infra/k8s/base/kustomization.yaml"], [PROD, STAGING]),
    (["infra/k8s/overlays/production/patches/replicas.yaml"], [PROD]),    # a patch of one overlay
    (["infra/k8s/overlays/staging/kustomization.yaml"], [STAGING]),
    (["infra/helm/apps/observer/values-prod.yaml"], [CHART_PROD]),        # one environment's values
    (["infra/helm/apps/observer/templates/deployment.yaml"], [CHART_PROD, CHART_STAGING]),
    (["infra/helm/apps/observer/templates/_helpers.tpl", "infra/k8s/overlays/production/kustomization.yaml"],
     [CHART_PROD, CHART_STAGING, PROD]),
    (["infra/argocd/applications/observer-production.yaml"], [CHART_PROD, CHART_STAGING, PROD, STAGING]),  # no target: all
    ([".k8slint.yaml"], [CHART_PROD, CHART_STAGING, PROD, STAGING]),
    (["Dockerfile"], []),  # repository rules only
])
def test_changed_files_map_to_targets(files, targets):
    assert listed(*files) == targets


def test_list_targets_text_and_json():
    text = k8slint("check", "--list-targets", cwd=DEMO)
    assert text.code == 0 and text.out.splitlines() == [
        f"{CHART_PROD}\tproduction", f"{CHART_STAGING}\tstaging", f"{PROD}\tproduction", f"{STAGING}\tstaging"]
    rows = json.loads(k8slint("check", "--list-targets", "--format", "json", cwd=DEMO).out)
    assert rows[0] == {"target": CHART_PROD, "path": "infra/helm/apps/observer", "kind": "helm", "env": "production",
                       "envSource": "path", "values": ["infra/helm/apps/observer/values-prod.yaml"]}


def test_changed_base_file_rechecks_the_overlays_that_use_it(tmp_path: Path):
    repo = tmp_path / "repo"
    shutil.copytree(DEMO, repo)
    base = repo / "infra/k8s/base/deployments/observer.yaml"
    text = base.read_text()
    base.write_text(re.sub(r"          readinessProbe:\n(            .*\n|              .*\n)+", "", text, count=1))
    result = k8slint("check", "--changed", "infra/k8s/base/deployments/observer.yaml", "--format", "json", cwd=repo)
    assert result.code == 1, result.err
    data = result.json
    assert [t["target"] for t in data["targets"]] == [PROD, STAGING]
    # production patches the container's resources, not its probes: both point at the base, one finding
    assert [(f["rule"], f["location"]["file"], f["location"]["line"], [t["target"] for t in f["targets"]])
            for f in data["findings"]] == [
        ("readiness-probe", "infra/k8s/base/deployments/observer.yaml", 25, [PROD, STAGING]),
    ]
    assert "container 'observer'" in data["findings"][0]["message"]
    other = k8slint("check", "--changed", "infra/helm/apps/observer/values-prod.yaml", "--format", "json", cwd=repo)
    assert other.code == 0 and [t["target"] for t in other.json["targets"]] == [CHART_PROD]


def test_changed_dockerfile_runs_the_repository_rules():
    result = k8slint("check", "--changed", "Dockerfile", "--format", "json", cwd=FIXTURES / "violations" / "no-dockerfile")
    assert result.code == 1, result.err
    assert [(f["rule"], f["location"]["file"], f["location"]["line"]) for f in result.json["findings"]] == [("no-dockerfile", "Dockerfile", 1)]
    assert result.json["targets"] == []


def test_hook_manifest_matches_the_files_it_should_and_installs_the_renderers():
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "k8slint" and hook["language"] == "python" and hook["pass_filenames"] is True
    assert hook["entry"] == "k8slint check --changed --diff-base HEAD" and hook["require_serial"] is True
    files = re.compile(hook["files"])
    for name in ("infra/k8s/base/kustomization.yaml", "charts/api/Chart.yaml", "charts/api/values-prod.yaml", "a/b.yml",
                 "charts/api/templates/_helpers.tpl", "Dockerfile", "build/Dockerfile.dev", "api.dockerfile",
                 "Containerfile", "docker-compose.yml", "compose.yaml", "overlays/x/Kustomization"):
        assert files.search(name), name
    for name in ("README.md", "scripts/deploy.sh", "migrations/001_init.sql", "Dockerfile/notes.txt"):
        assert not files.search(name), name
    render = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["render"]
    assert sorted(hook["additional_dependencies"]) == sorted(render)


def git(repo: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True,
                          env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                               "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"})
    return proc.stdout


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory):
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    pytest.importorskip("pre_commit")
    tracked = subprocess.run(["git", "ls-files", "--error-unmatch", ".pre-commit-hooks.yaml"], cwd=ROOT, capture_output=True)
    if tracked.returncode != 0:
        pytest.skip("pre-commit try-repo installs the hook from git: commit .pre-commit-hooks.yaml first")
    return tmp_path_factory.mktemp("pre-commit-home")


def try_repo(repo: Path, home: Path, *extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "VIRTUAL_ENV", "PYTHONPATH")}
    env.update(PRE_COMMIT_HOME=str(home), PRE_COMMIT_COLOR="never", NO_COLOR="1")
    return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "k8slint", "--color", "never", *extra],
                          cwd=repo, capture_output=True, text=True, timeout=900, env=env)


def demo_git_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "deploy"
    shutil.copytree(DEMO, repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "demo deploy repo")
    return repo


def test_pre_commit_refuses_latest_in_production_and_passes_a_clean_change(tmp_path: Path, pre_commit_home: Path):
    repo = demo_git_repo(tmp_path)
    overlay = repo / PROD / "kustomization.yaml"
    clean = overlay.read_text()
    assert "    newTag: v1.4.2\n" in clean
    overlay.write_text(clean.replace("    newTag: v1.4.2\n", "    newTag: latest\n"))
    git(repo, "add", str(overlay))
    refused = try_repo(repo, pre_commit_home)  # like a commit: the staged files
    output = refused.stdout + refused.stderr
    assert refused.returncode == 1, output
    assert "k8slint" in output and "Failed" in output
    assert "infra/k8s/overlays/production/kustomization.yaml" in output
    assert re.search(r"\b11\s+error\s+image-tag-latest\s+container 'observer' of Deployment prj-01/observer uses image "
                     r"'ghcr.io/acme/observer:latest'", output), output
    assert "infra/k8s/overlays/staging" not in output  # only the overlay the change feeds

    overlay.write_text(clean.replace("    newTag: v1.4.2\n", "    newTag: v1.4.3\n"))
    git(repo, "add", str(overlay))
    passed = try_repo(repo, pre_commit_home)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert re.search(r"k8slint\.+Passed", passed.stdout), passed.stdout


def test_pre_commit_all_files_renders_helm_and_kustomize_in_the_hook_env(tmp_path: Path, pre_commit_home: Path):
    repo = demo_git_repo(tmp_path)
    values = repo / "infra/helm/apps/observer/values-prod.yaml"
    values.write_text(re.sub(r"(?m)^(\s*tag:\s*).*$", r"\1latest", values.read_text(), count=1))
    result = try_repo(repo, pre_commit_home, "--all-files", "--verbose")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "image-tag-latest" in output and "infra/helm/apps/observer/templates/deployment.yaml" in output
    assert "checked: " in output and "infra/k8s/overlays/production [production]" in output  # kustomize was found too
    assert "render-error" not in output and "32 object(s) checked" in output


def test_pre_commit_blocks_only_on_what_the_commit_introduces(tmp_path: Path, pre_commit_home: Path):
    """A base with old problems under seven overlays: changing its replicas passes the hook, a new
    literal credential fails it with that finding alone; --no-diff-base (the hook's documented
    switch, in args:) shows everything again."""
    repo = tmp_path / "deploy"
    shutil.copytree(FIXTURES / "shared-base", repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "old problems")
    api = repo / "infra/k8s/base/deployments/api.yaml"
    old = api.read_text()
    api.write_text(old.replace("  replicas: 1\n", "  replicas: 3\n"))
    git(repo, "add", str(api))
    passed = try_repo(repo, pre_commit_home)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert re.search(r"k8slint\.+Passed", passed.stdout), passed.stdout

    api.write_text(old.replace("          env:\n", "          env:\n            - name: DB_PASSWORD\n              value: s3cr3t-fixture-value\n"))
    git(repo, "add", str(api))
    refused = try_repo(repo, pre_commit_home)
    output = refused.stdout + refused.stderr
    assert refused.returncode == 1, output
    assert re.search(r"\b27\s+error\s+env-literal-secret\s+container 'api' of Deployment api-production/api sets "
                     r"DB_PASSWORD by a literal value", output), output
    assert "in 7 targets under infra/k8s/overlays/" in output and "s3cr3t-fixture-value" not in output
    assert "liveness-probe" not in output and "API_TOKEN" not in output  # HEAD has those
    assert "failed: 1 error(s), 0 warning(s), 0 info, new since HEAD (6 it has too not shown)" in output  # no root Dockerfile: not changed

    everything = k8slint("check", "--changed", "--diff-base", "HEAD", "--no-diff-base", str(api), "--format", "json", cwd=repo)
    assert everything.code == 1
    assert sorted(f["rule"] for f in everything.json["findings"]) == [
        "env-literal-secret", "env-literal-secret", "liveness-probe", "pvc-naming", "pvc-storage-class", "resources",
        "secret-in-configmap"]
