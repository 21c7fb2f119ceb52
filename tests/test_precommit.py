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
APPS = "infra/argocd/applications"
PROD_OVERLAY = "infra/k8s/overlays/production"
# what the demo's Applications deploy is checked as those Applications (issue 14)
PROD = f"observer-production (Application {APPS}/observer-production.yaml)"
STAGING = f"observer-staging (Application {APPS}/observer-staging.yaml)"
CHART_PROD = f"observer-helm (Application {APPS}/observer-helm.yaml)"
CHART_STAGING = "infra/helm/apps/observer [values-staging.yaml]"  # no Application passes it: checked bare
APP_OF_APPS = f"app-of-apps (Application {APPS}/app-of-apps.yaml)"
LOOSE = ["infra/_shared/migrations", "infra/_shared/secrets/sealed"]  # folders of manifests no target reads


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
    (["infra/helm/apps/observer/templates/deployment.yaml"], [CHART_STAGING, CHART_PROD]),
    (["infra/helm/apps/observer/templates/_helpers.tpl", "infra/k8s/overlays/production/kustomization.yaml"],
     [CHART_STAGING, CHART_PROD, PROD]),
    # an Application: what it deploys, and the app-of-apps that deploys its manifest (the folder of Applications)
    (["infra/argocd/applications/observer-production.yaml"], [APP_OF_APPS, PROD]),
    (["infra/_shared/scripts/deploy/deploy.sh"], [APP_OF_APPS, *LOOSE, CHART_STAGING, CHART_PROD, PROD, STAGING]),  # no target: all
    ([".k8slint.yaml"], [APP_OF_APPS, *LOOSE, CHART_STAGING, CHART_PROD, PROD, STAGING]),
    (["Dockerfile"], []),  # repository rules only
])
def test_changed_files_map_to_targets(files, targets):
    assert listed(*files) == targets


def test_list_targets_text_and_json():
    text = k8slint("check", "--list-targets", cwd=DEMO)
    assert text.code == 0 and text.out.splitlines() == [
        f"{APP_OF_APPS}\tproduction", *(f"{loose}\tunknown" for loose in LOOSE), f"{CHART_STAGING}\tstaging",
        f"{CHART_PROD}\tproduction", f"{PROD}\tproduction", f"{STAGING}\tstaging"]
    assert text.err == ""  # every YAML file of the demo repo is checked or recognised
    rows = json.loads(k8slint("check", "--list-targets", "--format", "json", cwd=DEMO).out)
    assert rows[3] == {"target": CHART_STAGING, "path": "infra/helm/apps/observer", "kind": "helm", "env": "staging",
                       "envSource": "path", "values": ["infra/helm/apps/observer/values-staging.yaml"]}
    assert rows[5] == {"target": PROD, "path": f"{APPS}/observer-production.yaml", "source": PROD_OVERLAY, "kind": "kustomize",
                       "env": "production", "envSource": "its name", "values": [],
                       "deployedBy": "Application/argocd/observer-production"}


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
    assert sorted((f["rule"], f["location"]["file"], f["location"]["line"], f["target"]) for f in data["findings"]) == [
        # production patches the container's resources, not its probes: both point at the base
        ("readiness-probe", "infra/k8s/base/deployments/observer.yaml", 25, PROD),
        ("readiness-probe", "infra/k8s/base/deployments/observer.yaml", 25, STAGING),
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
    assert hook["entry"] == "k8slint check --changed" and hook["require_serial"] is True
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
    overlay = repo / PROD_OVERLAY / "kustomization.yaml"
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
    assert "checked: " in output and f"{PROD} [production]" in output  # kustomize was found too
    assert "render-error" not in output and "38 object(s) checked" in output, output  # 32 + 4 Applications + 2 loose
