"""pre-commit: `k8slint check --changed FILE...` maps changed files to the targets they feed; the
hook's entry (from .pre-commit-hooks.yaml, with the files its pattern matches) refuses a :latest
image in production and passes a clean change; and once, end to end, pre-commit itself installs
the hook (one environment for the session) and runs it on commits of a git repo made from the demo
deploy repo."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from conftest import FIXTURES, ROOT, cli

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
    result = cli("check", "--changed", *files, "--list-targets", "--format", "json", cwd=cwd)
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
    text = cli("check", "--list-targets", cwd=DEMO)
    assert text.code == 0 and text.out.splitlines() == [
        f"{APP_OF_APPS}\tproduction", *(f"{loose}\tunknown" for loose in LOOSE), f"{CHART_STAGING}\tstaging",
        f"{CHART_PROD}\tproduction", f"{PROD}\tproduction", f"{STAGING}\tstaging"]
    assert text.err == ""  # every YAML file of the demo repo is checked or recognised
    rows = json.loads(cli("check", "--list-targets", "--format", "json", cwd=DEMO).out)
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
    result = cli("check", "--changed", "infra/k8s/base/deployments/observer.yaml", "--format", "json", cwd=repo)
    assert result.code == 1, result.err
    data = result.json
    assert [t["target"] for t in data["targets"]] == [PROD, STAGING]
    # production patches the container's resources, not its probes: both point at the base, one finding
    assert [(f["rule"], f["location"]["file"], f["location"]["line"], [t["target"] for t in f["targets"]])
            for f in data["findings"]] == [
        ("readiness-probe", "infra/k8s/base/deployments/observer.yaml", 25, [PROD, STAGING]),
    ]
    assert "container 'observer'" in data["findings"][0]["message"]
    other = cli("check", "--changed", "infra/helm/apps/observer/values-prod.yaml", "--format", "json", cwd=repo)
    assert other.code == 0 and [t["target"] for t in other.json["targets"]] == [CHART_PROD]


def test_changed_dockerfile_runs_the_repository_rules():
    result = cli("check", "--changed", "Dockerfile", "--format", "json", cwd=FIXTURES / "violations" / "no-dockerfile")
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


HOOK = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())[0]


def run_hook_entry(repo: Path, files: list[str]):
    """What pre-commit runs for a commit touching ``files``: the hook's entry with the files its
    `files:` pattern matches (None when none does: pre-commit skips the hook), in this process."""
    passed = [f for f in files if re.search(HOOK["files"], f)]
    if not passed:
        return None
    program, *args = shlex.split(HOOK["entry"])
    assert program == "k8slint"
    return cli(*args, *passed, cwd=repo, env={"NO_COLOR": "1"})


def demo_copy(tmp_path: Path) -> Path:
    repo = tmp_path / "deploy"
    shutil.copytree(DEMO, repo)
    return repo


def test_hook_entry_refuses_latest_in_production_and_passes_a_clean_change(tmp_path: Path):
    repo = demo_copy(tmp_path)
    git(repo, "init", "-q", "-b", "main")  # the hook compares with HEAD (--diff-base HEAD)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "demo deploy repo")
    overlay = repo / PROD_OVERLAY / "kustomization.yaml"
    clean = overlay.read_text()
    assert "    newTag: v1.4.2\n" in clean
    overlay.write_text(clean.replace("    newTag: v1.4.2\n", "    newTag: latest\n"))
    refused = run_hook_entry(repo, [f"{PROD_OVERLAY}/kustomization.yaml"])
    assert refused.code == 1, refused.err
    assert re.search(r"\b11\s+error\s+image-tag-latest\s+container 'observer' of Deployment prj-01/observer uses image "
                     r"'ghcr.io/acme/observer:latest'", refused.out), refused.out
    assert "infra/k8s/overlays/production/kustomization.yaml" in refused.out
    assert f"checked: {PROD} [production]" in refused.out  # the overlay, as its Application deploys it
    assert STAGING not in refused.out  # only the overlay the change feeds
    overlay.write_text(clean.replace("    newTag: v1.4.2\n", "    newTag: v1.4.3\n"))
    passed = run_hook_entry(repo, [f"{PROD_OVERLAY}/kustomization.yaml"])
    assert passed.code == 0 and "passed: 0 error(s)" in passed.out, passed.out
    assert run_hook_entry(repo, ["README.md", "scripts/deploy.sh"]) is None  # nothing the hook looks at


# -- the hook end to end, through pre-commit itself: one install of the hook's environment --------
@pytest.fixture(scope="session")
def hook_source(tmp_path_factory) -> tuple[Path, str]:
    """This checkout as pre-commit fetches a hook repository: a git repository (with the working
    tree's uncommitted changes) and the revision to use."""
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    pytest.importorskip("pre_commit")
    source = tmp_path_factory.mktemp("hook-repo")
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    git(source, "init", "-q", "-b", "main")
    git(source, "add", "-A")
    git(source, "commit", "-q", "-m", "k8slint under test")
    return source, git(source, "rev-parse", "HEAD").strip()


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory) -> Path:
    """One PRE_COMMIT_HOME for the session: pre-commit installs the hook's environment once."""
    return tmp_path_factory.mktemp("pre-commit-home")


def pre_commit(repo: Path, home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "VIRTUAL_ENV", "PYTHONPATH")}
    # the versions CI installs (and, with CI's pip cache, nothing downloaded twice)
    env.update(PRE_COMMIT_HOME=str(home), PRE_COMMIT_COLOR="never", NO_COLOR="1", PIP_CONSTRAINT=str(ROOT / "constraints.txt"))
    return subprocess.run([sys.executable, "-m", "pre_commit", *args, "--color", "never"], cwd=repo, capture_output=True,
                          text=True, timeout=900, env=env)


def test_pre_commit_runs_the_hook_with_its_renderers(tmp_path: Path, hook_source, pre_commit_home: Path):
    """pre-commit installs the hook from .pre-commit-hooks.yaml (with the render extra's renderers)
    and runs it on a commit: a staged :latest in production is refused; --all-files renders the Helm
    chart and the kustomize overlays in the hook's own environment."""
    source, rev = hook_source
    repo = demo_copy(tmp_path)
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(
        {"repos": [{"repo": str(source), "rev": rev, "hooks": [{"id": "k8slint"}]}]}))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "demo deploy repo")

    overlay = repo / PROD_OVERLAY / "kustomization.yaml"
    overlay.write_text(overlay.read_text().replace("    newTag: v1.4.2\n", "    newTag: latest\n"))
    git(repo, "add", str(overlay))
    refused = pre_commit(repo, pre_commit_home, "run")  # like a commit: the staged files
    output = refused.stdout + refused.stderr
    assert refused.returncode == 1, output
    assert re.search(r"k8slint\.+Failed", output), output
    assert re.search(r"infra/k8s/overlays/production/kustomization\.yaml\n\s+11\s+error\s+image-tag-latest\s+container "
                     r"'observer' of Deployment prj-01/observer uses image 'ghcr.io/acme/observer:latest'", output), output
    assert STAGING not in output

    git(repo, "reset", "-q")
    git(repo, "checkout", "--", ".")
    values = repo / "infra/helm/apps/observer/values-prod.yaml"
    values.write_text(re.sub(r"(?m)^(\s*tag:\s*).*$", r"\1latest", values.read_text(), count=1))
    result = pre_commit(repo, pre_commit_home, "run", "--all-files", "--verbose")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "image-tag-latest" in output and "infra/helm/apps/observer/templates/deployment.yaml" in output
    assert "checked: " in output and " in 7 target(s)" in output and "render-error" not in output  # kustomize was found too
    assert "38 object(s) checked" in output, output  # 32 + 4 Applications + 2 loose
    assert "Installing environment" not in output  # installed once, by the first run


def test_hook_blocks_only_on_what_the_commit_introduces(tmp_path: Path):
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
    changed = [str(api.relative_to(repo))]
    passed = run_hook_entry(repo, changed)
    assert passed.code == 0, passed.out + passed.err
    assert "passed: 0 error(s)" in passed.out, passed.out

    api.write_text(old.replace("          env:\n", "          env:\n            - name: DB_PASSWORD\n              value: s3cr3t-fixture-value\n"))
    git(repo, "add", str(api))
    refused = run_hook_entry(repo, changed)
    output = refused.out + refused.err
    assert refused.code == 1, output
    assert re.search(r"\b27\s+error\s+env-literal-secret\s+container 'api' of Deployment api-production/api sets "
                     r"DB_PASSWORD by a literal value", output), output
    assert "in 7 targets under infra/k8s/overlays/" in output and "s3cr3t-fixture-value" not in output
    assert "liveness-probe" not in output and "API_TOKEN" not in output  # HEAD has those
    assert "failed: 1 error(s), 0 warning(s), 0 info, new since HEAD (6 it has too not shown)" in output  # no root Dockerfile: not changed

    everything = cli("check", "--changed", "--diff-base", "HEAD", "--no-diff-base", str(api), "--format", "json", cwd=repo)
    assert everything.code == 1
    assert sorted(f["rule"] for f in everything.json["findings"]) == [
        "env-literal-secret", "env-literal-secret", "liveness-probe", "pvc-naming", "pvc-storage-class", "resources",
        "secret-in-configmap"]
