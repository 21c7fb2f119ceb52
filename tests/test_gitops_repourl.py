"""Which repoURL is this repository: URL forms, credentials, and the git remotes read as text."""

from __future__ import annotations

from pathlib import Path

import pytest

from k8slint.render.gitops.repourl import RepoMatcher, git_remotes, normalize, sanitize

SAME = [
    "https://github.com/Org/Deploy-Repo.git",
    "https://github.com/org/deploy-repo",
    "https://github.com/org/deploy-repo/",
    "http://github.com/org/deploy-repo.git",
    "git@github.com:org/deploy-repo.git",
    "ssh://git@github.com/org/deploy-repo.git",
    "ssh://git@github.com:22/org/deploy-repo",
    "https://x-access-token:ghp_secret@github.com/org/deploy-repo.git",
]


@pytest.mark.parametrize("url", SAME)
def test_one_repository_in_every_form(url: str):
    assert normalize(url) == "github.com/org/deploy-repo"
    assert RepoMatcher(["https://github.com/org/deploy-repo.git"])(url)


@pytest.mark.parametrize("url", [
    "https://github.com/org/deploy-repo-2.git",
    "https://gitlab.com/org/deploy-repo.git",
    "https://github.com/other/deploy-repo.git",
    "oci://ghcr.io/org/deploy-repo",
])
def test_other_repositories(url: str):
    assert not RepoMatcher(["https://github.com/org/deploy-repo.git"])(url)


def test_sanitize_drops_credentials_query_and_fragment():
    assert sanitize("https://x-access-token:ghp_secret@github.com/org/r.git?ref=main#frag") == "https://github.com/org/r.git"
    assert sanitize("git@github.com:org/r.git") == "git@github.com:org/r.git"
    assert sanitize("deploy:ghp_secret@github.com:org/r.git") == "github.com:org/r.git"
    assert sanitize("registry-1.docker.io/bitnamicharts") == "registry-1.docker.io/bitnamicharts"


def test_unknown_without_urls():
    matcher = RepoMatcher([])
    assert not matcher.known and not matcher("https://github.com/org/r.git")


def _config(path: Path, text: str) -> None:
    path.mkdir(parents=True, exist_ok=True)
    (path / "config").write_text(text)


def test_remotes_from_git_config(tmp_path: Path):
    _config(tmp_path / ".git", '[core]\n\tbare = false\n[remote "origin"]\n\turl = git@github.com:org/deploy-repo.git\n'
            '\tfetch = +refs/heads/*:refs/remotes/origin/*\n[branch "main"]\n\tremote = origin\n\turl = nope\n'
            '[remote "mirror"]\n\turl = https://gitlab.com/org/deploy-repo.git\n\tpushurl = "https://example.com/push.git"\n')
    assert git_remotes(tmp_path) == ["git@github.com:org/deploy-repo.git", "https://gitlab.com/org/deploy-repo.git",
                                     "https://example.com/push.git"]


def test_remotes_of_a_worktree_come_from_the_common_git_directory(tmp_path: Path):
    main = tmp_path / "main"
    _config(main / ".git", '[remote "origin"]\n\turl = https://github.com/org/deploy-repo.git\n')
    (main / ".git" / "worktrees" / "wt").mkdir(parents=True)
    (main / ".git" / "worktrees" / "wt" / "commondir").write_text("../..\n")
    worktree = tmp_path / "wt"
    worktree.mkdir()
    (worktree / ".git").write_text(f"gitdir: {main / '.git' / 'worktrees' / 'wt'}\n")
    assert git_remotes(worktree) == ["https://github.com/org/deploy-repo.git"]


def test_a_git_file_pointing_outside_any_git_directory_is_not_read(tmp_path: Path):
    elsewhere = tmp_path / "etc"
    _config(elsewhere, '[remote "origin"]\n\turl = https://github.com/org/leak.git\n')
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ".git").write_text(f"gitdir: {elsewhere}\n")
    assert git_remotes(repo) == []
    assert git_remotes(tmp_path / "nothing-here") == []
