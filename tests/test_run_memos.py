"""What a run works out once and shares between its targets (the warm 50-overlay path): a
folder's real path when reading files, a kustomization tree and its inputs, the renderer on
PATH and its identity in the render cache. Each must answer exactly what working it out
again would: the symlink rules still hold file by file, and callers get their own copies."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

from conftest import lint

from k8slint.plan.settings import Settings
from k8slint.render import Inputs
from k8slint.render import cache as render_cache
from k8slint.sources import OUTSIDE, Sources, within


def test_within_answers_what_the_parents_of_a_path_say():
    """The text comparison of absolute paths agrees with ``root in path.parents`` on every
    pairing of short paths, '..', '.', doubled and relative roots included."""
    parts = ["", "a", "ab", "..", ".", "a b"]
    texts = {lead + "/".join(combo) for n in range(3) for combo in itertools.product(parts, repeat=n)
             for lead in ("/", "//", "", "///")} - {""}
    paths = [Path(t) for t in sorted(texts)]
    for root, path in itertools.product(paths, paths):
        assert within(path, root) == (path == root or root in path.parents), (path, root)
    assert within(Path("/repo/app/x.yaml"), Path("/repo")) and not within(Path("/repository/x.yaml"), Path("/repo"))
    assert within(Path("/repo"), Path("/")) and not within(Path("//repo"), Path("/"))


def test_a_folder_resolved_once_still_checks_each_file_for_a_link(tmp_path: Path):
    """After a folder's real path is known, a link beside a regular file, a link leaving the
    repository, a folder link that stays inside and one that leaves are each judged on their own."""
    repo = tmp_path / "repo"
    outside = tmp_path / "outside"
    (repo / "app").mkdir(parents=True)
    (repo / "shared").mkdir()
    outside.mkdir()
    (outside / "secret.yaml").write_text("token: s3cr3t\n")
    (repo / "shared" / "cm.yaml").write_text("kind: ConfigMap\n")
    (repo / "app" / "plain.yaml").write_text("kind: ConfigMap\n")
    (repo / "app" / "leaves.yaml").symlink_to(outside / "secret.yaml")
    (repo / "app" / "stays.yaml").symlink_to(repo / "shared" / "cm.yaml")
    (repo / "app" / "inside").symlink_to(repo / "shared")
    (repo / "app" / "away").symlink_to(outside)
    sources = Sources(repo)
    for _ in range(2):  # the second round answers from the folders resolved by the first
        assert sources.read_bytes("app/plain.yaml") == (b"kind: ConfigMap\n", None)
        assert sources.read_bytes("app/leaves.yaml")[0] is None
        assert "symlink that leaves the repository" in sources.read_bytes("app/leaves.yaml")[1]
        assert sources.read_bytes("app/stays.yaml") == (b"kind: ConfigMap\n", None)
        assert sources.read_bytes("app/inside/cm.yaml") == (b"kind: ConfigMap\n", None)
        assert "symlink that leaves the repository" in sources.read_bytes("app/away/secret.yaml")[1]
        assert sources.read_bytes("../outside/secret.yaml") == (None, OUTSIDE)
        assert "cannot be read" in sources.read_bytes("app/missing.yaml")[1]
    # a regular file replaced by a link leaving the repository within the run is refused too
    (repo / "app" / "plain.yaml").unlink()
    (repo / "app" / "plain.yaml").symlink_to(outside / "secret.yaml")
    assert "symlink that leaves the repository" in sources.read_bytes("app/plain.yaml")[1]


def _settings(repo: Path) -> Settings:
    return Settings(repo_root=repo)


def _overlays(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "base").mkdir(parents=True)
    (repo / "base" / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n")
    (repo / "base" / "kustomization.yaml").write_text("resources:\n  - cm.yaml\n")
    (repo / "component").mkdir()
    (repo / "component" / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ncommonLabels: {team: a}\n")
    for name in ("a", "b"):
        (repo / "overlays" / name).mkdir(parents=True)
        (repo / "overlays" / name / "patch.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n")
        (repo / "overlays" / name / "kustomization.yaml").write_text(
            "resources:\n  - ../../base\ncomponents:\n  - ../../component\npatches:\n  - path: patch.yaml\n")
    return repo


def test_a_kustomization_tree_and_its_inputs_are_worked_out_once_and_handed_out_as_copies(tmp_path: Path):
    repo = _overlays(tmp_path)
    graph = _settings(repo).kustomizations
    overlay = repo / "overlays" / "a"
    tree = graph.tree(overlay)
    assert [node.rel for node in tree] == ["overlays/a/kustomization.yaml", "component/kustomization.yaml",
                                            "base/kustomization.yaml"]
    tree.clear()  # a caller's list is its own
    again = graph.tree(overlay)
    assert [node.rel for node in again] == ["overlays/a/kustomization.yaml", "component/kustomization.yaml",
                                             "base/kustomization.yaml"]
    assert again[0] is graph.at(overlay)  # the same parsed nodes, not parsed again
    assert graph.tree(repo / "overlays" / "a" / ".") == again  # the folder as written or normalized

    real = repo.resolve()
    dirs, files = graph.inputs(overlay)
    assert dirs == {real / "overlays" / "a", real / "base", real / "component"}
    assert files == {real / "overlays" / "a" / "patch.yaml", real / "base" / "cm.yaml"}
    dirs.clear()
    files.add(Path("/elsewhere"))
    assert graph.inputs(overlay) == ({real / "overlays" / "a", real / "base", real / "component"},
                                     {real / "overlays" / "a" / "patch.yaml", real / "base" / "cm.yaml"})
    # what --changed asks of them
    inputs = Inputs(*graph.inputs(overlay))
    assert inputs.fed_by(real / "base" / "cm.yaml") and inputs.fed_by(real / "component" / "new.yaml")
    assert not inputs.fed_by(real / "overlays" / "b" / "patch.yaml") and not inputs.fed_by(real / "basement" / "x.yaml")


def test_the_renderer_is_looked_up_once_a_run_and_again_in_the_next(tmp_path: Path, home, monkeypatch):
    """Every overlay of a run is built by the kustomize found once; a run after it looks again
    (a renderer installed or replaced between runs is the one used, and its cache key is new)."""
    from k8slint.render import kustomize

    repo = _overlays(tmp_path)
    (repo / ".k8slint.yaml").write_text("fail-on: error\n")
    looked = []
    real = kustomize.kustomize_command

    def counted():
        looked.append(1)
        return real()

    monkeypatch.setattr(kustomize, "kustomize_command", counted)
    identities = []
    real_identity = render_cache._program_identity
    monkeypatch.setattr(render_cache, "_program_identity", lambda *a: identities.append(a) or real_identity(*a))
    reports = []
    for run in (1, 2):
        result = lint("overlays", cwd=repo)
        assert result.code in (0, 1), result.err
        assert [t["target"] for t in result.json["targets"]] == ["overlays/a", "overlays/b"]
        assert not [f for f in result.json["findings"] if f["rule"] == "render-error"]
        assert len(looked) == run and len(identities) == run
        reports.append(result.out)
    assert reports[0] == reports[1]


def test_cache_keys_need_the_renderer_found_in_this_run(tmp_path: Path):
    run = render_cache.Run(_settings(tmp_path), store=None)
    program = Path(os.sys.executable)
    first = run.program_identity(str(program), str(program.parent))
    assert run.program_identity(str(program), str(program.parent)) is first
    assert render_cache.Run(_settings(tmp_path), store=None).program_identity(str(program), str(program.parent)) == first
