"""The GitHub Action: action.yml validates against GitHub's action metadata schema (as vendored by
check-jsonschema), inputs reach scripts only through env:, its scripts pass shellcheck and do
what they say when run, and the example matrix workflow passes actionlint."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import FIXTURES, ROOT

ACTION = ROOT / "action.yml"
WORKFLOW = ROOT / "examples" / "github-workflow.yml"
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        found = shutil.which(name)
        if found is None:
            pytest.fail(f"{name} is not installed: pip install -e '.[test]'")
        return found
    return str(path)


def run_blocks(path: Path) -> list[tuple[str, str]]:
    doc = yaml.safe_load(path.read_text())
    steps = list(doc.get("runs", {}).get("steps", []))
    for job in doc.get("jobs", {}).values():
        steps += job.get("steps", [])
    return [(step.get("name") or step.get("id") or "?", step["run"]) for step in steps if "run" in step]


def action() -> dict:
    return yaml.safe_load(ACTION.read_text())


def check_jsonschema(schema: str, path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([tool("check-jsonschema"), "--builtin-schema", schema, str(path)], capture_output=True, text=True,
                          timeout=120)


def test_action_metadata_validates_against_githubs_schema(tmp_path: Path):
    ok = check_jsonschema("vendor.github-actions", ACTION)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    broken = action()
    del broken["runs"]["steps"][1]["shell"]  # composite run steps must name their shell
    bad = tmp_path / "action.yml"
    bad.write_text(yaml.safe_dump(broken))
    refused = check_jsonschema("vendor.github-actions", bad)
    assert refused.returncode == 1 and "shell" in refused.stdout + refused.stderr


def test_action_interface():
    meta = action()
    inputs = meta["inputs"]
    assert {"paths", "environment", "config", "fail-on", "format", "sarif-upload", "sarif-file"} <= set(inputs)
    assert inputs["sarif-upload"]["default"] == "auto" and inputs["format"]["default"] == "github"
    assert meta["runs"]["using"] == "composite"
    steps = meta["runs"]["steps"]
    install = next(s for s in steps if "pip install" in s.get("run", ""))
    assert install["env"]["ACTION_PATH"] == "${{ github.action_path }}" and '"${ACTION_PATH}[render]"' in install["run"]
    cache = next(s for s in steps if s.get("uses", "").startswith("actions/cache@"))
    assert cache["uses"].endswith("@v4") and cache["with"] == {"path": "${{ runner.temp }}/k8slint-venv",
                                                                "key": "${{ steps.key.outputs.key }}"}
    assert install["env"]["CACHE_HIT"] == "${{ steps.cache.outputs.cache-hit }}" and steps.index(cache) < steps.index(install)
    key = next(s for s in steps if s.get("id") == "key")
    assert key["env"]["ACTION_REF"] == "${{ github.action_ref }}"
    assert key["env"]["PYTHON_VERSION"] == "${{ steps.python.outputs.python-version }}"
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    assert upload["uses"].endswith("@v3") and upload["if"] == "always() && steps.sarif.outputs.upload == 'true'"
    assert upload["continue-on-error"] is True  # an upload never fails the job
    said = steps[steps.index(upload) + 1]
    assert said["if"] == "always() && steps.upload.outcome == 'failure'" and "::notice title=k8slint::" in said["run"]
    last = steps[-1]
    assert last["if"].startswith("always()") and 'exit "$CODE"' in last["run"]
    assert steps.index(upload) < steps.index(last)


@pytest.mark.parametrize("path", [ACTION, WORKFLOW], ids=lambda p: p.name)
def test_inputs_reach_scripts_only_through_env(path: Path):
    blocks = run_blocks(path)
    assert blocks
    for name, script in blocks:
        assert not re.search(r"\$\{\{\s*inputs\.", script), f"{path.name}: step {name!r} interpolates an input into run:"
        assert "${{" not in script, f"{path.name}: step {name!r} interpolates an expression into run: (use env:)"


def test_the_injection_check_can_fail(tmp_path: Path):
    meta = action()
    next(step for step in meta["runs"]["steps"] if step.get("id") == "lint")["run"] += 'echo "${{ inputs.paths }}"\n'
    bad = tmp_path / "action.yml"
    bad.write_text(yaml.safe_dump(meta))
    with pytest.raises(AssertionError, match="interpolates an input"):
        test_inputs_reach_scripts_only_through_env(bad)


def test_action_scripts_pass_shellcheck(tmp_path: Path):
    for number, (name, script) in enumerate(run_blocks(ACTION)):
        script_file = tmp_path / f"step{number}.sh"
        script_file.write_text("#!/usr/bin/env bash\nset -eo pipefail\n" + script)  # as GitHub runs shell: bash
        result = subprocess.run([tool("shellcheck"), "--severity=style", str(script_file)], capture_output=True, text=True)
        assert result.returncode == 0, f"{name}:\n{result.stdout}"


def test_example_workflow_passes_actionlint_and_lints_every_overlay_in_a_matrix(tmp_path: Path):
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")  # actionlint finds shellcheck beside it
    result = subprocess.run([tool("actionlint"), "-no-color", str(WORKFLOW)], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    valid = check_jsonschema("vendor.github-workflows", WORKFLOW)
    assert valid.returncode == 0, valid.stdout
    flow = yaml.safe_load(WORKFLOW.read_text())
    listing = flow["jobs"]["targets"]["steps"][-1]["run"]
    assert "k8slint check --list-targets --format json" in listing
    lint = flow["jobs"]["lint"]
    assert lint["strategy"]["matrix"]["target"] == "${{ fromJSON(needs.targets.outputs.targets || '[]') }}"
    assert lint["if"] == "needs.targets.outputs.targets != '' && needs.targets.outputs.targets != '[]'"
    assert lint["permissions"]["security-events"] == "write"
    uses = lint["steps"][-1]
    assert uses["with"]["paths"] == "${{ matrix.target.path }}" and "sarif-file" in uses["with"]
    assert uses["with"]["repository-rules"] == "skip"  # the tree is checked once, by a job of its own
    tree = flow["jobs"]["repository"]["steps"][-1]["with"]
    assert tree["repository-rules"] == "only" and "paths" not in tree and tree["sarif-category"] != uses["with"]["sarif-category"]
    bad = tmp_path / "bad.yml"  # actionlint really checks: an injected PR title is reported
    bad.write_text(WORKFLOW.read_text().replace('echo "targets=', 'echo "${{ github.event.pull_request.title }}" && echo "targets='))
    refused = subprocess.run([tool("actionlint"), "-no-color", str(bad)], capture_output=True, text=True, env=env, timeout=120)
    assert refused.returncode == 1 and "github.event.pull_request.title" in refused.stdout


def run_step(name: str, cwd: Path, tmp_path: Path, **inputs: str) -> tuple[subprocess.CompletedProcess, dict]:
    """Run one of the action's bash steps as the runner would: env from the step, GITHUB_* files."""
    step = next(s for s in action()["runs"]["steps"] if s.get("name") == name)
    meta_inputs = action()["inputs"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_"))}
    output = tmp_path / "github_output"
    output.write_text("")
    (tmp_path / "runner_temp").mkdir(exist_ok=True)
    env.update(GITHUB_OUTPUT=str(output), GITHUB_STEP_SUMMARY=str(tmp_path / "summary.md"), K8SLINT=str(BIN / "k8slint"),
               GITHUB_ENV=str(tmp_path / "github_env"), RUNNER_TEMP=str(tmp_path / "runner_temp"), RUNNER_OS="Linux",
               RUNNER_ARCH="X64")
    for key, value in step.get("env", {}).items():
        match = re.fullmatch(r"\$\{\{ inputs\.([\w-]+) \}\}", value)
        if match:
            env[key] = inputs.get(match.group(1).replace("-", "_"), meta_inputs[match.group(1)].get("default", ""))
        else:
            env[key] = inputs.get(key, "")  # ${{ github.* }}: as on a push event unless given
    proc = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", step["run"]], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
    return proc, outputs


def test_action_lint_step_annotates_writes_sarif_and_reports_the_exit_code(tmp_path: Path):
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "violations" / "image-tag-latest", repo)
    proc, outputs = run_step("Run k8slint", repo, tmp_path, paths="\n  infra/k8s/overlays/production  \n\n",
                             environment="production")
    assert proc.returncode == 0, proc.stderr  # the step itself succeeds; the last step fails the job
    assert outputs == {"exit-code": "1", "sarif-file": "k8slint.sarif"}
    assert "::error file=infra/k8s/overlays/production/kustomization.yaml,line=11,title=k8slint image-tag-latest [production]::" in proc.stdout
    sarif = json.loads((repo / "k8slint.sarif").read_text())
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["image-tag-latest"]  # image-tag-policy leaves `latest` to it
    assert "### k8slint ❌ failed" in (tmp_path / "summary.md").read_text()

    fail = next(s for s in action()["runs"]["steps"] if s["name"].startswith("Fail the job"))
    done = subprocess.run(["bash", "-e", "-c", fail["run"]], env={**os.environ, "CODE": outputs["exit-code"]}, capture_output=True, text=True)
    assert done.returncode == 1 and "k8slint exited with 1" in done.stdout


def test_action_lint_step_treats_inputs_as_data(tmp_path: Path):
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "deploy-repo", repo)
    proc, outputs = run_step("Run k8slint", repo, tmp_path, paths='$(touch pwned)\n--version; touch pwned2',
                             fail_on="warning")
    assert not (repo / "pwned").exists() and not (repo / "pwned2").exists()
    assert outputs["exit-code"] == "2" and "sarif-file" not in outputs
    assert "$(touch pwned): no such file or directory" in proc.stderr
    clean, outputs = run_step("Run k8slint", repo, tmp_path, paths="", format="text")
    assert outputs["exit-code"] == "0", clean.stdout + clean.stderr
    checked = next(line for line in clean.stdout.splitlines() if line.startswith("checked: "))
    assert "observer-helm (Application infra/argocd/applications/observer-helm.yaml) [production]" in checked


def test_readme_snippets_match_the_action_and_the_hook():
    readme = (ROOT / "README.md").read_text()
    blocks = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", readme, re.S)]
    workflow = next(b for b in blocks if isinstance(b, dict) and "jobs" in b)
    step = next(s for s in workflow["jobs"]["k8slint"]["steps"] if s.get("uses", "").startswith("k8slint/k8slint@"))
    assert set(step["with"]) <= set(action()["inputs"])
    assert workflow["permissions"]["security-events"] == "write"
    for name in action()["inputs"]:
        assert f"`{name}`" in readme, name
    hooks = next(b for b in blocks if isinstance(b, dict) and "repos" in b)
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hooks["repos"][0]["hooks"][0]["id"] == hook["id"]
    example = yaml.safe_load(WORKFLOW.read_text())
    for job in example["jobs"].values():
        for used in (s for s in job["steps"] if s.get("uses", "").startswith("k8slint/k8slint@")):
            assert set(used["with"]) <= set(action()["inputs"]) and used["uses"] == step["uses"]


def test_readme_refs_are_what_the_release_procedure_tags():
    """README's pre-commit `rev:` is the version's tag and `@v0` its major tag, the version is one
    in pyproject and __version__, and CHANGELOG has its entry: following CONTRIBUTING's
    "Releasing" makes both refs exist."""
    import tomllib

    from k8slint import __version__

    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert __version__ == version
    readme = (ROOT / "README.md").read_text()
    hooks = next(b for b in (yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", readme, re.S))
                 if isinstance(b, dict) and "repos" in b)
    assert hooks["repos"][0]["rev"] == f"v{version}"
    major = f"v{version.split('.')[0]}"
    assert set(re.findall(r"k8slint/k8slint@(v[\w.]+)", readme + WORKFLOW.read_text())) == {major}
    headings = re.findall(r"^## (.+)$", (ROOT / "CHANGELOG.md").read_text(), re.M)
    assert headings[:2] == ["Unreleased", version]
    releasing = (ROOT / "CONTRIBUTING.md").read_text().split("## Releasing", 1)[1].split("\n## ", 1)[0]
    for step in ("`version` in `pyproject.toml`", "`__version__`", "CHANGELOG.md", "git tag -a vX.Y.Z",
                 f"git tag -f {major} vX.Y.Z", f"git push -f origin {major}"):
        assert step in releasing, step


def test_example_listing_step_fails_on_exit_2_and_never_hands_the_matrix_an_empty_string(tmp_path: Path):
    """The targets job's script as the runner runs it (bash -e -o pipefail): a repository k8slint
    cannot check fails the job with its sentence and an error annotation, and writes no output."""
    listing = yaml.safe_load(WORKFLOW.read_text())["jobs"]["targets"]["steps"][-1]["run"]
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("GITHUB_ACTIONS", None)

    def list_in(cwd: Path) -> tuple[subprocess.CompletedProcess, str]:
        output = tmp_path / f"output-{cwd.name}"
        output.write_text("")
        proc = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", listing], cwd=cwd, capture_output=True, text=True,
                              env={**env, "GITHUB_OUTPUT": str(output)}, timeout=120)
        return proc, output.read_text()

    empty = tmp_path / "empty"
    empty.mkdir()
    proc, written = list_in(empty)
    assert proc.returncode == 2 and written == ""
    assert "::error title=k8slint::could not list the targets (exit 2)" in proc.stdout
    assert "no kustomize overlays, Helm charts or Kubernetes manifests found" in proc.stderr
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "deploy-repo", repo)
    proc, written = list_in(repo)
    assert proc.returncode == 0, proc.stderr
    (line,) = written.splitlines()  # one line: GITHUB_OUTPUT's name=value form
    targets = json.loads(line.removeprefix("targets="))
    helm_app = "observer-helm (Application infra/argocd/applications/observer-helm.yaml)"  # the chart as Argo CD deploys it
    assert {"target": helm_app, "path": "infra/argocd/applications/observer-helm.yaml", "kind": "helm"}.items() <= \
        next(t for t in targets if t["target"] == helm_app).items()


@pytest.mark.parametrize("upload, event, head, actor, expected, notice", [
    ("auto", "pull_request", "someone/fork", "someone", "false", "pull requests from forks get a read-only token"),
    ("auto", "pull_request", "org/deploy", "dependabot[bot]", "false", "Dependabot runs get a read-only token"),
    ("auto", "push", "", "dependabot[bot]", "false", "Dependabot runs get a read-only token"),
    ("auto", "pull_request", "org/deploy", "alice", "true", None),
    ("auto", "pull_request_target", "someone/fork", "someone", "true", None),  # that token can write
    ("auto", "push", "", "alice", "true", None),
    ("true", "pull_request", "someone/fork", "someone", "true", None),
    ("false", "push", "", "alice", "false", None),
])
def test_sarif_upload_only_when_the_token_can(tmp_path: Path, upload, event, head, actor, expected, notice):
    proc, outputs = run_step("Decide the SARIF upload", tmp_path, tmp_path, sarif_upload=upload, EVENT_NAME=event,
                             REPOSITORY="org/deploy", HEAD_REPOSITORY=head, ACTOR=actor)
    assert proc.returncode == 0, proc.stderr
    assert outputs == {"upload": expected}
    if notice:
        assert proc.stdout == (f"::notice title=k8slint::SARIF not uploaded to code scanning: {notice}. "
                               "The findings are in this job's annotations and summary.\n")
    else:
        assert proc.stdout == ""


def test_install_cache_key_follows_the_ref_the_python_and_the_actions_files(tmp_path: Path):
    def key(path: Path, ref: str = "v0", python: str = "3.12.7") -> str:
        proc, outputs = run_step("Key the install cache", tmp_path, tmp_path, ACTION_PATH=str(path), ACTION_REF=ref,
                                 PYTHON_VERSION=python)
        assert proc.returncode == 0, proc.stderr
        return outputs["key"]

    copy = tmp_path / "action"
    copy.mkdir()
    for name in ("pyproject.toml", "constraints.txt"):
        shutil.copy(ROOT / name, copy / name)
    for name in ("k8slint", "rules", "schemas"):
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    first = key(copy)
    assert re.fullmatch(r"k8slint-venv-Linux-X64-py3\.12\.7-v0-[0-9a-f]{16}", first), first
    assert key(copy) == first and key(ROOT) == first  # compiled files do not count
    assert key(copy, python="3.13.1") != first and key(copy, ref="v0.2.0") != first
    assert key(copy, ref="") .split("-")[-2] == "local"  # a local action (uses: ./)
    (copy / "k8slint" / "cli.py").write_text((copy / "k8slint" / "cli.py").read_text() + "\n# moved tag\n")
    assert key(copy) != first  # v0 moved to new code: a new install


def test_install_step_uses_a_cached_venv_without_pip(tmp_path: Path):
    venv = tmp_path / "runner_temp" / "k8slint-venv" / "bin"
    venv.mkdir(parents=True)
    (venv / "k8slint").symlink_to(BIN / "k8slint")
    (venv / "python").symlink_to(tmp_path / "no-python-here")  # pip would fail: the cached venv is used as it is
    proc, _ = run_step("Install k8slint from the action's own checkout", tmp_path, tmp_path, ACTION_PATH=str(ROOT),
                       PYTHON="false", CACHE_HIT="true")
    assert proc.returncode == 0, proc.stderr
    from k8slint import __version__

    assert proc.stdout == f"k8slint from the cache: k8slint {__version__}\n"
    assert (tmp_path / "github_env").read_text() == f"K8SLINT={venv / 'k8slint'}\n"
