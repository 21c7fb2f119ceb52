"""`--diff-base REF`: only what a change introduces. REF is checked too - same targets, same options,
same renderers - from a private copy of its tree that git writes without running anything of the
repository's, removed afterwards; findings are matched like a baseline (moved lines stay matched).
One end-to-end run of the command in a real git repository; the rest in process."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from jsonschema import Draft4Validator, validate

import k8slint
from conftest import FIXTURES, ROOT, SHARED as SHARED_DIR, k8slint as cli

SHARED = FIXTURES / "shared-base"
API = "infra/k8s/base/deployments/api.yaml"
OVERLAYS = "infra/k8s/overlays/"
SARIF_SCHEMA = SHARED_DIR / "schemas" / "sarif-schema-2.1.0.json"

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")


def git(repo: Path, *args: str, input_text: str | None = None) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_NOSYSTEM": "1"}
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True, env=env,
                          input=input_text).stdout


def committed(tmp_path: Path, sub: str = "") -> tuple[Path, Path]:
    """(git work tree, deploy repository root) holding the shared-base fixture, committed."""
    top = tmp_path / "work"
    root = top / sub if sub else top
    shutil.copytree(SHARED, root)
    git(top, "init", "-q", "-b", "main")
    git(top, "add", "-A")
    git(top, "commit", "-q", "-m", "old problems")
    return top, root


def new_literal(root: Path) -> None:
    api = root / API
    api.write_text("# moved down two lines\n\n" + api.read_text().replace(
        "          env:\n", "          env:\n            - name: DB_PASSWORD\n              value: s3cr3t-fixture-value\n"))


def test_diff_base_end_to_end(tmp_path: Path):
    _, repo = committed(tmp_path)
    private = tmp_path / "private-tmp"
    private.mkdir()
    env = {"TMPDIR": str(private)}
    unchanged = cli("check", "--diff-base", "HEAD", cwd=repo, env=env)
    assert unchanged.code == 0, unchanged.out + unchanged.err
    assert "passed: 0 error(s), 0 warning(s), 0 info, new since HEAD (7 it has too not shown)" in unchanged.out
    assert cli("check", cwd=repo).code == 1  # the old findings are there

    new_literal(repo)
    sarif_file = tmp_path / "k8slint.sarif"
    changed = cli("check", "--diff-base", "HEAD", "--format", "json", "--format", "sarif", "--output", "-",
                  "--output", str(sarif_file), cwd=repo, env=env)
    assert changed.code == 1, changed.err
    data = changed.json
    assert [(f["rule"], f["location"]["file"], f["location"]["line"], f["baselineState"], len(f["targets"]))
            for f in data["findings"]] == [("env-literal-secret", API, 29, "new", 7)]
    assert "DB_PASSWORD" in data["findings"][0]["message"] and "s3cr3t-fixture-value" not in changed.out
    assert data["diff_base"] == "HEAD" and data["summary"]["unchanged"] == 7 and data["summary"]["errors"] == 1
    sarif = json.loads(sarif_file.read_text())
    validate(data, json.loads((ROOT / "schemas" / "output.schema.json").read_text()))
    if SARIF_SCHEMA.is_file():
        Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(sarif)
    states = sorted((r["ruleId"], r["baselineState"], r["locations"][0]["physicalLocation"]["region"]["startLine"])
                    for r in sarif["runs"][0]["results"])
    assert states == sorted([("env-literal-secret", "new", 29), ("env-literal-secret", "unchanged", 31),
                             ("liveness-probe", "unchanged", 21), ("resources", "unchanged", 39), ("no-dockerfile", "unchanged", 1),
                             ("secret-in-configmap", "unchanged", 9), ("pvc-naming", "unchanged", 4),
                             ("pvc-storage-class", "unchanged", 7)])
    assert list(private.iterdir()) == []  # the copy of HEAD is gone


def test_a_deploy_repository_in_a_folder_of_the_git_repository(tmp_path: Path):
    _, root = committed(tmp_path, "deploy/k8s")
    assert k8slint.lint([], repo_root=str(root), diff_base="HEAD").findings == []
    new_literal(root)
    report = k8slint.lint([str(root / OVERLAYS / "staging")], diff_base="HEAD")
    assert [(f.rule, f.location.file, f.location.line, f.state, f.targets) for f in report.findings] == [
        ("env-literal-secret", API, 29, "new", [(OVERLAYS + "staging", "staging")])]
    assert report.changed_files == frozenset({API})
    assert len(report.unchanged) == 6 and report.exit_code == 1  # no Dockerfile: not the overlay's


def test_an_overlay_the_base_revision_lacks_deploys_the_old_problems_anew(tmp_path: Path):
    _, repo = committed(tmp_path)
    shutil.copytree(repo / OVERLAYS / "production", repo / OVERLAYS / "production-ap")
    report = k8slint.lint([], repo_root=str(repo), diff_base="HEAD")
    assert sorted(f.rule for f in report.findings) == sorted(
        ["secret-in-configmap", "liveness-probe", "env-literal-secret", "resources", "pvc-naming", "pvc-storage-class"])
    assert all(f.targets == [(OVERLAYS + "production-ap", "production")] for f in report.findings)
    alone = k8slint.lint([str(repo / OVERLAYS / "production-ap")], diff_base="HEAD")  # not at HEAD at all
    assert len(alone.findings) == 6 and alone.unchanged == []


def test_a_revision_that_cannot_be_checked_is_exit_2_never_no_new_findings(tmp_path: Path):
    top, repo = committed(tmp_path)
    with pytest.raises(k8slint.K8slintError, match=r"^--diff-base nope: no such commit in the repository at .*fetch it first"):
        k8slint.lint([], repo_root=str(repo), diff_base="nope")
    with pytest.raises(k8slint.K8slintError, match=r"^--diff-base '--upload-pack=x': not a git revision$"):
        k8slint.lint([], repo_root=str(repo), diff_base="--upload-pack=x")
    outside = tmp_path / "outside"
    shutil.copytree(SHARED, outside)
    with pytest.raises(k8slint.K8slintError, match=r"^--diff-base HEAD: .* is not in a git work tree"):
        k8slint.lint([], repo_root=str(outside), diff_base="HEAD")
    with pytest.raises(k8slint.K8slintError, match="does not combine with --diff-base"):
        k8slint.lint([], repo_root=str(repo), diff_base="HEAD", write_baseline=str(tmp_path / "b.json"))

    # HEAD~0's overlays do not render (a broken kustomization); the working tree fixes them
    for overlay in (repo / OVERLAYS).iterdir():
        kustomization = overlay / "kustomization.yaml"
        kustomization.write_text(kustomization.read_text().replace("  - ../../base\n", "  - ../../nowhere\n"))
    git(top, "commit", "-q", "-am", "broken")
    git(top, "checkout", "-q", "HEAD~1", "--", OVERLAYS)
    result = cli("check", "--diff-base", "HEAD", cwd=repo)
    assert result.code == 2 and "Traceback" not in result.err
    assert result.err.startswith("k8slint: error: --diff-base HEAD (") and "could not be checked: nothing could be rendered" in result.err


def test_a_target_that_does_not_render_is_reported_whatever_the_base(tmp_path: Path):
    top, repo = committed(tmp_path)
    kustomization = repo / OVERLAYS / "dev/kustomization.yaml"
    kustomization.write_text(kustomization.read_text().replace("  - ../../base\n", "  - ../../nowhere\n"))
    git(top, "commit", "-q", "-am", "dev is broken")
    report = k8slint.lint([str(repo / OVERLAYS / "dev"), str(repo / OVERLAYS / "staging")], diff_base="HEAD")
    assert [(f.rule, f.target, f.state) for f in report.findings] == [("render-error", OVERLAYS + "dev", "new")]


def test_an_unborn_head_has_nothing_so_everything_is_new(tmp_path: Path):
    repo = tmp_path / "fresh"
    shutil.copytree(SHARED, repo)
    git(repo, "init", "-q", "-b", "main")
    report = k8slint.lint([], repo_root=str(repo), diff_base="HEAD")
    assert len(report.findings) == 7 and all(f.state == "new" for f in report.findings)
    assert any("has no commit yet, so every finding is new" in note for note in report.notes)


def test_git_runs_nothing_of_the_repository(tmp_path: Path, monkeypatch):
    """A hostile repository configures an fsmonitor, hooks, a checkout filter (LFS-style smudge)
    and points GIT_DIR elsewhere in the caller's environment: none of it runs or matters."""
    top, repo = committed(tmp_path)
    marker = tmp_path / "ran"
    script = tmp_path / "evil.sh"
    script.write_text(f"#!/bin/sh\necho \"$0 $*\" >> {marker}\ncat\n")
    script.chmod(0o755)
    hooks = top / ".git/hooks"
    for hook in ("post-checkout", "reference-transaction", "post-index-change"):
        (hooks / hook).write_text(script.read_text())
        (hooks / hook).chmod(0o755)
    git(top, "config", "core.fsmonitor", str(script))
    git(top, "config", "filter.evil.smudge", str(script))
    git(top, "config", "filter.evil.required", "true")
    (top / ".gitattributes").write_text("* filter=evil\n")
    git(top, "-c", "filter.evil.clean=cat", "add", ".gitattributes")
    git(top, "-c", "filter.evil.clean=cat", "commit", "-q", "-m", "attributes")
    marker.unlink(missing_ok=True)
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("GIT_CONFIG_PARAMETERS", f"'core.fsmonitor'='{script}'")
    report = k8slint.lint([], repo_root=str(repo), diff_base="HEAD")
    assert report.findings == [] and len(report.unchanged) == 7
    assert not marker.exists(), marker.read_text()


def test_the_copy_is_removed_when_the_process_is_told_to_stop(tmp_path: Path):
    from k8slint.plan.gitref import checkout

    _, repo = committed(tmp_path)
    seen = []
    before = signal.getsignal(signal.SIGTERM)  # the default, or the command line's (an in-process CLI test ran first)
    with pytest.raises(SystemExit) as stopped:
        with checkout("HEAD", repo) as base:
            seen.append(base.root)
            assert (base.root / API).read_text() == (repo / API).read_text()
            os.kill(os.getpid(), signal.SIGTERM)
    assert stopped.value.code == 128 + signal.SIGTERM
    assert not seen[0].exists() and not seen[0].parent.exists()
    assert signal.getsignal(signal.SIGTERM) == before


def test_links_in_the_base_revision_never_write_outside_the_copy(tmp_path: Path):
    """A crafted tree: a link 'a' to a folder outside, and a link 'a/b' (git itself refuses to
    check this out). The copy keeps 'a' and leaves out what would land outside."""
    from k8slint.plan.gitref import checkout

    _, repo = committed(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    blob = git(repo, "hash-object", "-w", "--stdin", input_text=str(outside)).strip()
    inner = git(repo, "hash-object", "-w", "--stdin", input_text="../x").strip()
    sub = git(repo, "mktree", input_text=f"120000 blob {inner}\tb\n").strip()
    listing = git(repo, "ls-tree", "HEAD")
    tree = git(repo, "mktree", input_text=listing + f"120000 blob {blob}\ta\n040000 tree {sub}\ta\n").strip()
    commit = git(repo, "commit-tree", tree, "-m", "crafted").strip()
    with checkout(commit, repo) as base:
        assert (base.root / "a").is_symlink() and (base.root / API).is_file()
    assert list(outside.iterdir()) == []
