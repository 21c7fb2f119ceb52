"""The render cache (k8slint.render.cache), on real kustomize and Helm renders: a target none of
whose inputs changed is not rendered again, and the report is the same byte for byte; any input
file, values file, option, environment or renderer change renders again; a corrupt entry is
ignored and rewritten; an unsafe folder is refused with a note; the folder is bounded; --no-cache
and K8SLINT_NO_CACHE=1 bypass it; one repository's entry is never another's answer."""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import sys
from pathlib import Path

import pytest

from conftest import CORPUS, FIXTURES, cli, lint, needs_corpus

from k8slint.plan import cache
from k8slint.render import cache as render_cache
from k8slint.render import process

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: registry.example.com/web:{tag}
          resources:
            requests: {cpu: 100m, memory: 64Mi}
            limits: {memory: 128Mi}
"""

TEMPLATE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
  labels: {app: web}
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: "registry.example.com/web:{{ .Values.tag }}"
          resources:
            requests: {cpu: 100m, memory: 64Mi}
            limits: {memory: 128Mi}
"""



@pytest.fixture(autouse=True)
def alone(monkeypatch):
    """Each target built by its own child here: these tests count renderer children per target.
    Overlays built in groups (k8slint.render.kustomize_batch), cached as their own builds, are
    tested in test_kustomize_batch.py."""
    from k8slint.render import kustomize_batch

    monkeypatch.setattr(kustomize_batch, "groups", lambda targets, settings, jobs: [[t] for t in targets])


@pytest.fixture
def repo(tmp_path) -> Path:
    """A base, two overlays and a chart with a production values file."""
    root = tmp_path / "repo"
    (root / "base").mkdir(parents=True)
    (root / ".k8slint.yaml").write_text("fail-on: error\n")
    (root / "base" / "deployment.yaml").write_text(DEPLOYMENT.replace("{tag}", "1.0.0"))
    (root / "base" / "kustomization.yaml").write_text("resources:\n  - deployment.yaml\n")
    for env in ("production", "staging"):
        (root / "overlays" / env).mkdir(parents=True)
        (root / "overlays" / env / "kustomization.yaml").write_text(f"resources:\n  - ../../base\nnamespace: {env}\n")
    chart = root / "charts" / "web"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("tag: 1.0.0\n")
    (chart / "values-prod.yaml").write_text("tag: 1.0.1\n")
    (chart / "templates" / "deployment.yaml").write_text(TEMPLATE)
    return root


def _check(*paths, **options):
    """The JSON report of an in-process check and how many renderer children it started."""
    before = process.RUNS[0]
    result = lint(*paths, **options)
    assert result.code in (0, 1), result.err
    return result.out, process.RUNS[0] - before, result


def _all_entries(home: Path) -> list[Path]:
    folder = home / render_cache.KIND
    return sorted(p for p in folder.iterdir() if not p.name.startswith(".")) if folder.is_dir() else []


def _entries(home: Path) -> list[Path]:
    """The renderers' answers (not the loaded forms kept beside them)."""
    return [p for p in _all_entries(home) if not p.read_bytes().startswith(render_cache._KEPT)]


def _kept(home: Path) -> list[Path]:
    """The loaded forms of cached answers (k8slint.load.kept)."""
    return [p for p in _all_entries(home) if p.read_bytes().startswith(render_cache._KEPT)]


def _latest(result) -> list[tuple[str, str, int]]:
    """The image-tag-latest findings (rule, file, line); each names the image it found."""
    found = [f for f in result.json["findings"] if f["rule"] == "image-tag-latest"]
    assert all("uses image 'registry.example.com/web:latest'" in f["message"] for f in found)
    return sorted((f["rule"], f["location"]["file"], f["location"]["line"]) for f in found)


# where the locator puts a tag the overlays leave to the base: the overlay that should set it
OVERLAYS_LATEST = [("image-tag-latest", "overlays/production/kustomization.yaml", 1),
                   ("image-tag-latest", "overlays/staging/kustomization.yaml", 1)]


def test_unchanged_inputs_are_not_rendered_again(repo, home):
    uncached, ran, _ = _check(cwd=repo, cache=False)
    assert ran == 3 and not _entries(home)
    cold, ran, _ = _check(cwd=repo)
    assert ran == 3 and len(_entries(home)) == 3
    warm, ran, _ = _check(cwd=repo)
    assert ran == 0
    assert cold == uncached and warm == uncached


def test_a_hit_rebuilds_the_loaded_answer_without_parsing_it(repo, home, monkeypatch):
    """Beside each kustomize answer its loaded form is kept (none with --no-cache); a warm run
    rebuilds the documents from it, and a corrupt, cut or foreign form is ignored (the answer is
    parsed) and written again; the report is the same byte for byte every time."""
    from k8slint.load import kept

    uncached, _, _ = _check(cwd=repo, cache=False)
    assert not _all_entries(home)
    cold, _, _ = _check(cwd=repo)
    forms = _kept(home)
    assert len(forms) == 2  # the two overlays (a chart's templates are loaded one by one, not kept)
    original = {p: p.read_bytes() for p in forms}
    rebuilt: list = []
    real = kept.rebuild
    monkeypatch.setattr(kept, "rebuild", lambda data, check=True: rebuilt.append(check) or real(data, check))
    warm, ran, _ = _check(cwd=repo)
    assert ran == 0 and rebuilt == [True, True]  # every value's type checked too
    one, two = forms
    data = bytearray(original[one])
    data[-3] ^= 1  # one flipped bit of the marshalled form
    one.write_bytes(bytes(data))
    two.write_bytes(original[two][:60])  # cut short
    rebuilt.clear()
    damaged, ran, _ = _check(cwd=repo)
    assert ran == 0 and rebuilt == []  # neither form reached marshal
    assert {p: p.read_bytes() for p in forms} == original  # written again, as they were
    one.write_bytes(original[two])  # another text's form under this one's name
    foreign, _, _ = _check(cwd=repo)
    assert one.read_bytes() == original[one]
    assert cold == uncached and warm == uncached and damaged == uncached and foreign == uncached


def test_a_long_answer_has_no_loaded_form_kept(repo, home, monkeypatch):
    """An output over MAX_KEPT is loaded one document at a time, as without the cache."""
    uncached, _, _ = _check("overlays/production", cwd=repo, cache=False)
    monkeypatch.setattr(render_cache, "MAX_KEPT", 100)
    cold, _, _ = _check("overlays/production", cwd=repo)
    warm, ran, _ = _check("overlays/production", cwd=repo)
    assert ran == 0 and len(_entries(home)) == 1 and not _kept(home)
    assert cold == uncached and warm == uncached


@pytest.fixture
def made(monkeypatch) -> list[str]:
    """The names of the temporary folders the run makes (tempfile.mkdtemp), in order."""
    import tempfile

    names: list[str] = []
    real = tempfile.mkdtemp

    def mkdtemp(*args, **kwargs):
        path = real(*args, **kwargs)
        names.append(os.path.basename(path))
        return path

    monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)
    return names


def test_a_cached_kustomize_answer_makes_no_wrapper_folder(repo, home, made):
    """The wrapper kustomization is keyed before it is written: a hit makes no folder and writes
    no file (a miss makes one, as the uncached run does); the report is the same."""
    cold, ran, _ = _check(cwd=repo)
    wrappers = [m for m in made if m.startswith("k8slint-") and not m.startswith(("k8slint-helm-", "k8slint-run-"))]
    assert ran == 3 and len(wrappers) == 2  # the two overlays' wrappers
    made.clear()
    warm, ran, _ = _check(cwd=repo)
    assert ran == 0 and warm == cold
    assert [m for m in made if not m.startswith("k8slint-run-")] == []  # the chart's folder is not made either
    (repo / "overlays" / "staging" / "kustomization.yaml").write_text("resources:\n  - ../../base\nnamespace: qa\n")
    _, ran, result = _check(cwd=repo)
    assert ran == 1 and len([m for m in made if m.startswith("k8slint-") and not m.startswith(("k8slint-helm-", "k8slint-run-"))]) == 1
    assert {f["target"] for f in result.json["findings"]} >= {"overlays/staging"}


@pytest.mark.parametrize("fixture", ["deploy-repo", "gitops/deploy-repo", "gitops/flux-repo", "gitops/broken-repo",
                                     "render-errors", "violations"])
def test_a_cached_report_is_the_uncached_one_byte_for_byte(fixture, tmp_path, home):
    """Overlays, charts, Argo CD Applications, Flux objects and render errors (kustomize's and
    Helm's own, explained at their lines) come out of the cache as they came out of the renderer."""
    root = tmp_path / "fixture"
    shutil.copytree(FIXTURES / fixture, root, symlinks=True)
    uncached, ran, result = _check(cwd=root, cache=False)
    assert ran > 0
    cold, cold_ran, _ = _check(cwd=root)
    warm, warm_ran, _ = _check(cwd=root)
    assert cold == uncached and warm == uncached
    assert cold_ran == ran and warm_ran < ran
    if fixture == "render-errors":  # kustomize's and Helm's failures are cached answers too
        assert any(f["rule"] == "render-error" for f in result.json["findings"])
        assert warm_ran == 0


def test_an_edited_base_file_renders_the_overlays_again_with_its_findings(repo, home):
    _check(cwd=repo)
    (repo / "base" / "deployment.yaml").write_text(DEPLOYMENT.replace("{tag}", "latest"))
    _, ran, result = _check(cwd=repo)
    assert ran == 2  # both overlays read the base; the chart does not
    assert _latest(result) == OVERLAYS_LATEST
    _, ran, _ = _check(cwd=repo)
    assert ran == 0


def test_an_edited_overlay_renders_that_overlay_only(repo, home):
    _check(cwd=repo)
    path = repo / "overlays" / "staging" / "kustomization.yaml"
    path.write_text(path.read_text() + "images:\n  - name: registry.example.com/web\n    newTag: latest\n")
    _, ran, result = _check(cwd=repo)
    assert ran == 1
    assert ("image-tag-latest", "overlays/staging/kustomization.yaml", 6) in [
        (f["rule"], f["location"]["file"], f["location"]["line"]) for f in result.json["findings"]]


def test_a_new_file_in_a_folder_the_renderer_reads_renders_again(repo, home):
    """Conservative: every file under an input folder is part of the key, named or not."""
    _check(cwd=repo)
    (repo / "base" / "notes.txt").write_text("x\n")
    assert _check(cwd=repo)[1] == 2


def test_values_files_options_and_environment_are_part_of_the_key(repo, home):
    chart = "charts/web"
    _check(chart, cwd=repo, env="production")
    assert _check(chart, cwd=repo, env="production")[1] == 0
    (repo / "charts/web/values-prod.yaml").write_text("tag: latest\n")
    _, ran, result = _check(chart, cwd=repo, env="production")
    assert ran == 1 and _latest(result) == [("image-tag-latest", "charts/web/values-prod.yaml", 1)]
    assert _check(chart, cwd=repo, env="production")[1] == 0
    assert _check(chart, cwd=repo, env="production", set_values=["tag=2.0.0"])[1] == 1
    assert _check(chart, cwd=repo, env="production", namespace="web")[1] == 1
    assert _check(chart, cwd=repo, env="production", release_name="other")[1] == 1
    assert _check(chart, cwd=repo, env="staging")[1] == 1  # no values file of its own: the defaults
    values = repo / "extra.yaml"
    values.write_text("tag: 3.0.0\n")
    assert _check(chart, cwd=repo, env="production", values=[str(values)])[1] == 1
    assert _check(chart, cwd=repo, env="production", values=[str(values)])[1] == 0
    values.write_text("tag: 3.0.1\n")  # a -f file outside the chart folder
    assert _check(chart, cwd=repo, env="production", values=[str(values)])[1] == 1
    assert _check("overlays/production", cwd=repo)[1] == 1
    assert _check("overlays/production", cwd=repo, max_file_size=10_000_000)[1] == 1  # a limit that changes an answer


def test_a_new_renderer_is_a_new_key(repo, home, tmp_path, monkeypatch):
    from k8slint.render.kustomize import kustomize_command

    command = kustomize_command()
    copy = tmp_path / "bin" / Path(command[0]).name
    copy.parent.mkdir()
    shutil.copy2(command[0], copy)
    monkeypatch.setenv("K8SLINT_KUSTOMIZE", " ".join([str(copy), *command[1:]]))
    target = "overlays/production"
    assert _check(target, cwd=repo)[1] == 1
    assert _check(target, cwd=repo)[1] == 0
    os.utime(copy, ns=(1_000_000_000, 1_000_000_000))  # an upgrade in place: another modification time
    assert _check(target, cwd=repo)[1] == 1
    assert _check(target, cwd=repo)[1] == 0


def test_a_corrupt_entry_is_ignored_and_written_again(repo, home):
    first, _, _ = _check(cwd=repo)
    entries = _entries(home)
    entries[0].write_bytes(b"not an entry")
    data = bytearray(entries[1].read_bytes())
    data[-5] ^= 1  # one flipped bit of the stored output
    entries[1].write_bytes(bytes(data))
    entries[2].write_bytes(entries[2].read_bytes()[:40])  # cut short
    again, ran, _ = _check(cwd=repo)
    assert ran == 3 and again == first
    assert _check(cwd=repo)[1] == 0


def test_an_entry_under_another_name_is_not_an_answer(repo, home):
    """An entry names its own key: moved to another key's name, it is not used."""
    _check("overlays/production", cwd=repo)
    _check("charts/web", cwd=repo, env="production")
    one, other = _entries(home)
    one.write_bytes(other.read_bytes())
    assert _check(cwd=repo)[1] == 2  # the production overlay (its entry is foreign) and staging


@pytest.mark.parametrize("unsafe", ["world-writable", "symlink", "other-user"])
def test_an_unsafe_cache_folder_is_refused_with_a_note_and_the_run_goes_on(unsafe, repo, home, tmp_path):
    home.parent.mkdir(parents=True)
    if unsafe == "symlink":
        real = tmp_path / "elsewhere"
        real.mkdir(mode=0o700)
        home.symlink_to(real)
        reason = "not a folder"
    else:
        home.mkdir(mode=0o700)
        if unsafe == "world-writable":
            home.chmod(0o777)
            reason = "other users can write to it"
        else:
            if os.getuid() != 0:
                pytest.skip("giving a folder to another user needs root")
            os.chown(home, 65534, 65534)
            reason = "belongs to another user"
    before = process.RUNS[0]
    for _ in range(2):
        cache._warned.clear()  # one note per process: each run here is a process of its own
        result = cli("check", "-o", "json", cwd=repo)
        assert result.code == 1 and '"rule": "overlay-sets-image-tag"' in result.out, result.err
        assert f"k8slint: note: cache folder {home} not used: " in result.err and reason in result.err
    assert process.RUNS[0] - before == 6  # rendered every time
    assert not (home / render_cache.KIND).exists() and not (tmp_path / "elsewhere" / render_cache.KIND).exists()


def test_the_folder_keeps_its_size_bound_least_recently_used_first(repo, home, monkeypatch):
    _check("charts/web", cwd=repo, env="production")  # how much the chart's answer takes (then removed)
    chart = sum(p.stat().st_size for p in _all_entries(home))
    for entry in _all_entries(home):
        entry.unlink()
    _check("overlays/production", cwd=repo)
    (production,) = _entries(home)
    (production_loaded,) = _kept(home)  # its loaded form, kept beside it and counted with it
    size = production.stat().st_size
    for entry in (production, production_loaded):
        os.utime(entry, ns=(1, 1))
    _check("overlays/staging", cwd=repo)
    staging = [p for p in _all_entries(home) if p not in (production, production_loaded)]
    assert len(staging) == 2
    for entry in staging:
        os.utime(entry, ns=(2, 2))
    assert _check("overlays/production", cwd=repo)[1] == 0  # a hit makes both the most recently used
    monkeypatch.setattr(render_cache, "MAX_BYTES", size + production_loaded.stat().st_size + chart + 10)
    _check("charts/web", cwd=repo, env="production")
    kept = _all_entries(home)
    assert production in kept and production_loaded in kept and not set(staging) & set(kept) and len(kept) == 3
    assert sum(p.stat().st_size for p in kept) <= render_cache.MAX_BYTES


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_no_cache_bypasses_it(how, repo, home, monkeypatch):
    _check(cwd=repo)
    written = {p: p.read_bytes() for p in _entries(home)}
    args = ["check", "-o", "json"]
    if how == "flag":
        args.append("--no-cache")
    else:
        monkeypatch.setenv("K8SLINT_NO_CACHE", "1")
    before = process.RUNS[0]
    (repo / "base" / "deployment.yaml").write_text(DEPLOYMENT.replace("{tag}", "latest"))
    result = cli(*args, cwd=repo)
    assert result.code == 1 and '"rule": "image-tag-latest"' in result.out
    assert process.RUNS[0] - before == 3  # nothing read
    assert {p: p.read_bytes() for p in _entries(home)} == written  # nothing written


def test_one_repository_never_answers_for_another(repo, home, tmp_path):
    """Same layout, same paths in the key but for the root, different bytes: B gets its own answer."""
    _check(cwd=repo)
    other = tmp_path / "other"
    shutil.copytree(repo, other)
    assert _check(cwd=other)[1] == 3  # another root: not the first repository's entries
    (other / "base" / "deployment.yaml").write_text(DEPLOYMENT.replace("{tag}", "latest"))
    _, _, result = _check(cwd=other)
    assert _latest(result) == OVERLAYS_LATEST
    shutil.rmtree(repo)
    other.rename(repo)  # B now where A was, with A's entries in the cache: its own bytes decide
    _, ran, result = _check(cwd=repo)
    assert ran == 2 and _latest(result) == OVERLAYS_LATEST


def test_an_input_that_cannot_be_hashed_is_not_cached(repo, home, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("secret\n")
    (repo / "base" / "link.txt").symlink_to(outside)  # unread by kustomize, but a link leaving the repository
    uncached, ran, _ = _check("overlays/production", cwd=repo, cache=False)
    assert ran == 1
    for _ in range(2):
        report, ran, _ = _check("overlays/production", cwd=repo)
        assert ran == 1 and report == uncached
    assert not _entries(home)


def test_an_answer_slower_than_this_runs_limit_is_rendered_again(repo, home, monkeypatch):
    _check("overlays/production", cwd=repo)
    (entry,) = _entries(home)
    name = entry.name
    ran = process.Ran("ok", 0, b"", "")
    entry.write_bytes(render_cache._encode(name, ran, 1e6, []))  # as if it had taken 11 days
    assert _check("overlays/production", cwd=repo)[1] == 1
    assert _check("overlays/production", cwd=repo)[1] == 0


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_the_diff_base_revision_is_cached_by_what_it_holds_not_where(repo, home):
    """--diff-base renders the base revision in a new temporary folder each run: its answers are
    keyed by the files' places in the repository and their bytes, so a hook run again renders
    nothing, and an edit renders the edited tree's targets only."""
    import subprocess

    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_NOSYSTEM": "1"}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "first"]):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)
    base = "base/deployment.yaml"
    (repo / base).write_text(DEPLOYMENT.replace("{tag}", "latest"))
    options = dict(cwd=repo, changed=True, diff_base="HEAD")
    uncached, ran, result = _check(base, cache=False, **options)
    assert ran == 4  # two overlays, here and at HEAD
    assert _latest(result) == OVERLAYS_LATEST  # new at this commit; the base's other findings are old
    assert {f["rule"] for f in result.json["findings"]} == {"image-tag-latest"}
    cold, ran, _ = _check(base, **options)
    assert ran == 4 and cold == uncached
    warm, ran, _ = _check(base, **options)
    assert ran == 0 and warm == uncached
    (repo / base).write_text(DEPLOYMENT.replace("{tag}", "latest").replace("replicas: 2", "replicas: 3"))
    edited, ran, _ = _check(base, **options)
    assert ran == 2  # this tree's overlays; HEAD's come from the cache
    assert edited == _check(base, cache=False, **options)[0]


def test_a_renderer_that_crashed_is_not_an_answer_to_keep(repo, home, tmp_path, monkeypatch):
    """Exit 1 is kustomize's or Helm's word on the input (kept); a crash, a signal or exit 2 (a
    Go panic) says nothing about it and is asked again next time."""
    crash = tmp_path / "bin" / "crashing-kustomize"
    crash.parent.mkdir()
    crash.write_text("#!/bin/sh\necho 'panic: runtime error' >&2\nexit 2\n")
    crash.chmod(0o755)
    monkeypatch.setenv("K8SLINT_KUSTOMIZE", str(crash))
    for _ in range(2):
        _, ran, result = _check("overlays/production", cwd=repo)
        assert ran == 1
        assert [(f["rule"], f["location"]["file"]) for f in result.json["findings"] if f["rule"] == "render-error"] == [
            ("render-error", "overlays/production/kustomization.yaml")]
    assert not _entries(home)
    crash.write_text("#!/bin/sh\necho 'Error: accumulating resources: something' >&2\nexit 1\n")
    assert _check("overlays/production", cwd=repo)[1] == 1
    assert len(_entries(home)) == 1
    assert _check("overlays/production", cwd=repo)[1] == 0


def test_a_new_helm_engine_is_a_new_key(repo, home, monkeypatch):
    """Helm renders through the SDK worker (no helm on PATH here) or a helm binary: either way the
    engine's identity is part of the key (the binary like kubectl above; the SDK by the interpreter
    and every file of its package, which an upgrade replaces)."""
    from k8slint.render.helm import _helm_binary

    options = dict(cwd=repo, env="production")
    assert _check("charts/web", **options)[1] == 1
    assert _check("charts/web", **options)[1] == 0
    if _helm_binary() is None:
        identity = render_cache._python_identity("k8slint.render.helm_worker")
        assert any("helm_python" in str(entry[0]) for entry in identity[1] if entry[1] is not None)
        # the interpreter writes bytecode on first use: that is no new engine
        assert not any("__pycache__" in str(entry[0]) for entry in identity[1])
        monkeypatch.setitem(render_cache._IDENTITIES, "k8slint.render.helm_worker",
                            (identity[0], identity[1] + (("helm_python/upgraded.so", 1, 1, 1),)))
    else:
        pytest.skip("helm on PATH: its identity is the executable's, as tested for kubectl above")
    assert _check("charts/web", **options)[1] == 1
    assert _check("charts/web", **options)[1] == 0


LIBRARY_HELPER = '{{- define "lib.labels" -}}\napp: {{ .Release.Name }}\n{{- end -}}\n'

APP_TEMPLATE = TEMPLATE.replace("  labels: {app: web}\n", '  labels:\n    {{- include "lib.labels" . | nindent 4 }}\n', 1)  # its labels from the library
assert APP_TEMPLATE != TEMPLATE


@pytest.fixture
def monorepo(tmp_path) -> Path:
    """bitnami/charts' layout: an application chart whose library chart is a sibling folder (not
    vendored), and whose values.schema.json names a schema on the network (dropped, with a note)."""
    root = tmp_path / "monorepo"
    lib, app = root / "charts" / "lib", root / "charts" / "app"
    (lib / "templates").mkdir(parents=True)
    (lib / "Chart.yaml").write_text("apiVersion: v2\nname: lib\nversion: 1.0.0\ntype: library\n")
    (lib / "templates" / "_labels.tpl").write_text(LIBRARY_HELPER)
    (app / "templates" / "sub").mkdir(parents=True)
    (app / "Chart.yaml").write_text("apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n"
                                    "  - name: lib\n    version: 1.x.x\n    repository: oci://registry.example.com/charts\n")
    (app / "values.yaml").write_text("replicas: 1\ntag: latest\n")
    (app / "values.schema.json").write_text('{"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",\n'
                                            ' "properties": {"tag": {"$ref": "https://schemas.example.com/tag.json"}}}\n')
    (app / "templates" / "deployment.yaml").write_text(APP_TEMPLATE)
    (app / "templates" / "sub" / "values.schema.json").write_text('{"type": "object"}\n')  # a folder made anew, not rewritten
    return root


def test_a_cached_helm_answer_makes_no_render_folder(monorepo, home, made):
    """A chart rendered with a sibling library chart and a rewritten schema is keyed by the folder
    it would be rendered from before it is made: a hit makes no folder, link or file, and says the
    same (findings at the values line, the dependency and schema notes) as the uncached run."""
    uncached, ran, result = _check(cwd=monorepo, cache=False)
    assert ran == 1 and [m for m in made if m.startswith("k8slint-helm-")]
    latest = [(f["rule"], f["location"]["file"], f["location"]["line"]) for f in result.json["findings"]
              if f["rule"] == "image-tag-latest"]
    assert latest == [("image-tag-latest", "charts/app/values.yaml", 2)]
    notes = "\n".join(result.json["notes"])
    assert "charts/app: dependency lib taken from charts/lib (not downloaded)" in notes
    assert "charts/app/values.schema.json: values validated without https://schemas.example.com/tag.json" in notes
    cold, ran, _ = _check(cwd=monorepo)
    assert ran == 1 and cold == uncached
    made.clear()
    warm, ran, _ = _check(cwd=monorepo)
    assert ran == 0 and warm == uncached
    assert [m for m in made if m.startswith("k8slint-helm-")] == []
    # the library's helper changed: a new key (the hit path keys what the folder would hold)
    (monorepo / "charts" / "lib" / "templates" / "_labels.tpl").write_text(LIBRARY_HELPER.replace("app:", "part-of:"))
    _, ran, _ = _check(cwd=monorepo)
    assert ran == 1 and [m for m in made if m.startswith("k8slint-helm-")]


@needs_corpus()
def test_the_planned_render_folder_is_the_one_made(tmp_path):
    """What a hit keys (the render folder planned from the chart) is what a miss makes and keys:
    bitnami's postgresql with its sibling common chart and its schema, as Helm is given it."""
    from k8slint.render import helm

    source = tmp_path / "bitnami"
    shutil.copytree(CORPUS / "bitnami__charts" / "bitnami", source, symlinks=True)
    chart = source / "postgresql"
    shutil.rmtree(chart / "charts", ignore_errors=True)  # found as a sibling, as upstream keeps it
    add = {"common": (source / "common").resolve()}
    folder = tmp_path / "made"
    helm._link_tree(chart, folder / chart.name)
    helm._link_tree(add["common"], folder / chart.name / "charts" / "common")
    rewritten = helm._strip_remote_schemas(folder / chart.name)
    made: dict = {}
    for name in sorted(os.listdir(folder)):
        render_cache._scratch_entry(folder / name, made, [str(folder)])
    planned, planned_rewritten = helm._planned_tree(chart, add)
    assert len(planned) > 10 and ("dir",) in planned.values()
    assert {os.path.relpath(p, folder): v for p, v in made.items()} == \
        {name: render_cache._planned_entry(data, [str(folder)]) for name, data in planned.items()}
    assert [(str(p.relative_to(folder)), d) for p, d in rewritten] == planned_rewritten


def test_cached_answers_are_taken_in_the_calling_thread_and_misses_rendered_in_threads(repo, home, monkeypatch):
    """A warm run starts no render threads (the cache's answers are Python work under the GIL); a
    target needing a renderer child - an edited overlay, an edited chart - is rendered by the
    threads, once, and the report is the uncached run's byte for byte."""
    import concurrent.futures

    pools: list[int] = []
    real = concurrent.futures.ThreadPoolExecutor

    class Counted(real):
        def __init__(self, *args, **kwargs):
            pools.append(1)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(concurrent.futures, "ThreadPoolExecutor", Counted)
    cold, ran, _ = _check(cwd=repo, jobs=2)
    assert ran == 3 and len(pools) == 1
    warm, ran, _ = _check(cwd=repo, jobs=2)
    assert ran == 0 and len(pools) == 1 and warm == cold
    (repo / "overlays" / "staging" / "kustomization.yaml").write_text("resources:\n  - ../../base\nnamespace: qa\n")
    (repo / "charts/web/values-prod.yaml").write_text("tag: latest\n")
    mixed, ran, result = _check(cwd=repo, jobs=2)
    assert ran == 2 and len(pools) == 2
    uncached, _, _ = _check(cwd=repo, jobs=2, cache=False)
    assert mixed == uncached
    assert [t["target"] for t in result.json["targets"]] == sorted(t["target"] for t in result.json["targets"])
    assert {t["target"] for t in result.json["targets"]} >= {"overlays/production", "overlays/staging"}
    again, ran, _ = _check(cwd=repo, jobs=2)
    assert ran == 0 and again == uncached


def test_a_render_failing_in_the_calling_thread_names_its_target(repo, home, monkeypatch):
    """A bug met while taking a cached answer is raised as a bug with the target it came from,
    as one met in a render thread is; no answer is taken for the targets after it."""
    from k8slint.render import kustomize

    _check(cwd=repo, jobs=2)
    real = kustomize.parse_stream

    def broken(text, label, *args, **kwargs):
        if label.startswith("overlays/production"):
            raise RuntimeError("a bug")
        return real(text, label, *args, **kwargs)

    monkeypatch.setattr(kustomize, "parse_stream", broken)
    import k8slint as api

    with pytest.raises(RuntimeError) as raised:
        with contextlib.chdir(repo):
            api.lint(jobs=2)
    assert any("k8slint input: overlays/production" in note for note in raised.value.__notes__)
