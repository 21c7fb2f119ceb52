"""The user's cache folder and the compiled rule catalogue kept in it: the same rules as parsing the
files, keyed by every byte they come from, refused in an unsafe folder, ignored when corrupt, off
on request."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import orjson
import pytest

from conftest import FIXTURES, cli

from k8slint.load import YList, YMap
from k8slint.plan import cache, catalogue, rules

REPO = FIXTURES / "custom-rules"



def _tree(value):
    """A value with every line the loader recorded, to compare two rule catalogues exactly."""
    if isinstance(value, YMap):
        return ("map", value.line, dict(value.klines), [(k, _tree(v)) for k, v in value.items()])
    if isinstance(value, YList):
        return ("list", value.line, list(value.ilines), [_tree(v) for v in value])
    if isinstance(value, dict):
        return ("dict", [(k, _tree(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("plain", [_tree(v) for v in value])
    return (type(value).__name__, value)


def _same(a: dict, b: dict) -> None:
    assert list(a) == list(b)
    for rule_id, rule in a.items():
        other = b[rule_id]
        assert _tree(rule.data) == _tree(other.data), rule_id
        assert (rule.severity, rule.scope, rule.file, rule.builtin, rule.kinds, rule.envs, rule.params) == \
            (other.severity, other.scope, other.file, other.builtin, other.kinds, other.envs, other.params), rule_id
        assert rule.check is other.check, rule_id


def _custom(repo: Path = REPO) -> list[Path]:
    return [repo / ".k8slint" / "rules"]


def _entries(home: Path) -> list[Path]:
    return sorted((home / "rules").glob("*.json"))


def test_a_cached_catalogue_is_the_parsed_one_and_spares_the_parse(home, monkeypatch):
    plain = rules.load_rules(_custom(), REPO)
    first = rules.load_rules(_custom(), REPO, cache=True)
    assert len(_entries(home)) == 1
    _same(plain, first)
    assert plain["production-min-replicas"].file == ".k8slint/rules/production-min-replicas.yaml"

    def no_parse(*args, **kwargs):
        raise AssertionError("a rule file was parsed although the catalogue is cached")

    monkeypatch.setattr(rules, "parse_rule", no_parse)
    second = rules.load_rules(_custom(), REPO, cache=True)
    _same(plain, second)
    # the folder is the user's alone
    assert stat.S_IMODE(os.stat(home).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(_entries(home)[0]).st_mode) == 0o600


def test_a_changed_custom_rule_is_another_catalogue(home, tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(REPO, repo)
    rule = repo / ".k8slint" / "rules" / "production-min-replicas.yaml"
    before = rules.load_rules(_custom(repo), repo, cache=True)
    rule.write_text(rule.read_text().replace("severity: error", "severity: warning"))
    after = rules.load_rules(_custom(repo), repo, cache=True)
    assert before["production-min-replicas"].severity == "error"
    assert after["production-min-replicas"].severity == "warning"
    assert len(_entries(home)) == 2
    # an invalid custom rule is reported as without a cache, and no catalogue is kept for it
    rule.write_text(rule.read_text().replace("severity: warning", "severity: loud"))
    with pytest.raises(rules.RuleError, match=r"production-min-replicas.yaml: .*loud"):
        rules.load_rules(_custom(repo), repo, cache=True)
    assert len(_entries(home)) == 2


def test_the_key_holds_the_version_the_files_and_their_places(monkeypatch):
    files = [("rules/a.yaml", True, b"id: a\n"), (".k8slint/rules/b.yaml", False, b"id: b\n")]
    base = catalogue.key(files, False)
    assert catalogue.key(list(files), False) == base
    assert catalogue.key([files[0], (".k8slint/rules/b.yaml", False, b"id: c\n")], False) != base
    assert catalogue.key([files[0], ("other/b.yaml", False, b"id: b\n")], False) != base
    assert catalogue.key([files[0], (".k8slint/rules/b.yaml", True, b"id: b\n")], False) != base
    assert catalogue.key(files[:1], False) != base
    assert catalogue.key(files, True) != base
    monkeypatch.setattr(catalogue, "__version__", "9.9.9")
    assert catalogue.key(files, False) != base


@pytest.mark.parametrize("damage", [
    b"\x00\xffnot json at all",
    b"",
    b'{"format": 2, "version": "0.1.0", "rules": []}',
    b'{"format": 2, "version": "0.1.0", "rules": 7}',
    "truncated",
    "foreign module",
    "wrong lines",
])
def test_a_corrupt_entry_is_ignored_and_rebuilt(home, damage, monkeypatch):
    plain = rules.load_rules(_custom(), REPO)
    rules.load_rules(_custom(), REPO, cache=True)
    (entry,) = _entries(home)
    good = entry.read_bytes()
    if damage == "truncated":
        entry.write_bytes(good[: len(good) // 2])
    elif damage == "foreign module":  # an entry naming any module but k8slint's templates is not imported
        entry.write_bytes(good.replace(b'"k8slint.templates.images"', b'"antigravity"'))
    elif damage == "wrong lines":
        entry.write_bytes(good.replace(b'["m",1,', b'["m","one",', 1))
    else:
        entry.write_bytes(damage)
    assert entry.read_bytes() != good
    imported = []
    real = __import__("importlib").import_module
    monkeypatch.setattr("importlib.import_module", lambda name, *a: imported.append(name) or real(name, *a))
    again = rules.load_rules(_custom(), REPO, cache=True)
    _same(plain, again)
    assert "antigravity" not in imported
    assert entry.read_bytes() == good  # rewritten


def test_the_catalogue_decodes_only_what_it_encodes():
    text = "a: 1\nb:\n  - x\n  - {c: 2.5, d: null, e: true}\n"
    from k8slint.load import load_text

    docs, _ = load_text(text)
    tree = docs[0].data
    assert _tree(catalogue.decode(orjson.loads(orjson.dumps(catalogue.encode(tree))))) == _tree(tree)
    for bad in ({"m": 1}, ["x", 1], ["m", 1, [[1]], [2], [1]], ["l", 1, [1, 2], ["a"]]):
        with pytest.raises((catalogue.Stale, TypeError, ValueError)):
            catalogue.decode(bad)
    with pytest.raises(catalogue.Stale):
        catalogue.encode(float("nan"))


@pytest.mark.parametrize("unsafe", ["group-writable", "world-writable", "symlink", "other owner"])
def test_an_unsafe_cache_folder_is_refused(home, unsafe, tmp_path, capsys):
    if unsafe == "symlink":
        (tmp_path / "elsewhere").mkdir(mode=0o700)
        home.parent.mkdir()
        home.symlink_to(tmp_path / "elsewhere")
    else:
        home.mkdir(parents=True, mode=0o700)
    if unsafe == "group-writable":
        home.chmod(0o770)
    elif unsafe == "world-writable":
        home.chmod(0o777)
    elif unsafe == "other owner":
        if os.geteuid() != 0:
            pytest.skip("giving a folder to another user needs root")
        os.chown(home, 4242, 4242)
    got = rules.load_rules(_custom(), REPO, cache=True)
    assert "production-min-replicas" in got
    assert not list(home.glob("**/*.json")) and not list((tmp_path / "elsewhere").glob("**/*")) if unsafe == "symlink" \
        else not (home / "rules").exists()
    err = capsys.readouterr().err
    reason = {"group-writable": "other users can write to it", "world-writable": "other users can write to it",
              "symlink": "it is not a folder", "other owner": "it belongs to another user"}[unsafe]
    assert f"k8slint: note: cache folder {home} not used: {reason}" in err


def test_least_recently_used_entries_go_first(home):
    for n in range(catalogue.KEEP + 3):
        cache.write("rules", f"{n:02d}.json", b"{}", catalogue.KEEP)
        os.utime(home / "rules" / f"{n:02d}.json", ns=(n * 10**9, n * 10**9))
    assert cache.read("rules", "03.json") == b"{}"  # used again: kept
    cache.write("rules", "new.json", b"{}", catalogue.KEEP)
    names = sorted(p.name for p in _entries(home))
    assert len(names) == catalogue.KEEP
    assert "03.json" in names and "new.json" in names
    assert not {"00.json", "01.json", "02.json", "04.json"} & set(names)


def test_no_cache_switches_turn_it_off(home, tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(REPO, repo)
    env = {"XDG_CACHE_HOME": str(home.parent)}
    off = cli("check", "--format", "json", "--no-cache", cwd=repo, env=env)
    assert off.code == 1, off.err
    assert not home.exists()
    off_env = cli("check", "--format", "json", cwd=repo, env={**env, "K8SLINT_NO_CACHE": "1"})
    assert not home.exists()
    cold = cli("check", "--format", "json", cwd=repo, env=env)
    assert len(_entries(home)) == 1
    warm = cli("check", "--format", "json", cwd=repo, env=env)
    assert off.out == off_env.out == cold.out == warm.out
    found = [(f["rule"], f["location"]["file"], f["location"]["line"]) for f in warm.json["findings"]]
    assert ("production-min-replicas", "k8s/overlays/production/replicas.yaml", 6) in found


# -- the Kubernetes definitions index and each kind's closure ----------------------------------------
from k8slint import k8s_schema  # noqa: E402 - this section's subject

DEPLOYMENT = "io.k8s.api.apps.v1.Deployment"


def _scanned(version) -> k8s_schema.Definitions:
    """The definitions read and indexed from the file itself (no cache)."""
    path = dict(k8s_schema.shipped_versions())[version] / "_definitions.json"
    return k8s_schema.Definitions(version, path.read_text(encoding="utf-8"))


def _schema_entries(home: Path) -> list[str]:
    return sorted(p.name for p in (home / "schemas").glob("*.json"))


@pytest.fixture
def fresh_definitions(monkeypatch):
    """No definitions indexed in this process yet."""
    monkeypatch.setattr(k8s_schema, "_definitions", {})
    return k8s_schema.newest_shipped()


def test_the_definitions_index_and_a_closure_are_kept_and_read_back_without_the_file(home, fresh_definitions):
    version = fresh_definitions
    scanned = _scanned(version)
    first = k8s_schema.definitions(version, cache)
    assert first.closure(DEPLOYMENT) == scanned.closure(DEPLOYMENT)
    stamp = first.stamp
    assert _schema_entries(home) == sorted([f"{stamp}.json", f"{stamp}-{DEPLOYMENT}.json"])

    k8s_schema._definitions.clear()  # the next run
    second = k8s_schema.definitions(version, cache)
    assert second is not first and second.stamp == stamp
    assert second.by_gvk == scanned.by_gvk and second.groups == scanned.groups
    assert list(second.closure(DEPLOYMENT).items()) == list(scanned.closure(DEPLOYMENT).items())
    assert second._text is None  # neither indexed nor decoded from the 1.8 MB file
    config_map = "io.k8s.api.core.v1.ConfigMap"  # a kind not kept yet: decoded from the file at the kept offsets
    assert second.closure(config_map) == scanned.closure(config_map)
    assert second._text is not None and f"{stamp}-{config_map}.json" in _schema_entries(home)


@pytest.mark.parametrize("garbage", [b"", b"not json", b"[]", b'{"format": 1}', b'{"format": 2, "starts": {}, "gvk": []}',
                                     b'{"format": 1, "starts": {"a": "x"}, "gvk": []}',
                                     b'{"format": 1, "starts": {"a": 5}, "gvk": [["", "v1", "A", "b"]]}',
                                     b'{"format": 1, "$defs": {"x": 1}}', b'{"format": 1, "$defs": []}'])
def test_corrupt_schema_entries_are_ignored_and_written_again(home, fresh_definitions, garbage):
    version = fresh_definitions
    scanned = _scanned(version)
    k8s_schema.definitions(version, cache).closure(DEPLOYMENT)
    for entry in (home / "schemas").glob("*.json"):
        entry.write_bytes(garbage)
    k8s_schema._definitions.clear()
    again = k8s_schema.definitions(version, cache)
    assert again.by_gvk == scanned.by_gvk
    assert again.closure(DEPLOYMENT) == scanned.closure(DEPLOYMENT)
    k8s_schema._definitions.clear()  # both entries were written again, whole
    third = k8s_schema.definitions(version, cache)
    assert third.closure(DEPLOYMENT) == scanned.closure(DEPLOYMENT) and third._text is None


def test_an_index_that_does_not_fit_the_file_is_made_again(home, fresh_definitions):
    version = fresh_definitions
    scanned = _scanned(version)
    first = k8s_schema.definitions(version, cache)
    index = home / "schemas" / f"{first.stamp}.json"
    kept = orjson.loads(index.read_bytes())
    kept["starts"] = {name: at + 1 for name, at in kept["starts"].items()}  # every offset one character off
    index.write_bytes(orjson.dumps(kept))
    k8s_schema._definitions.clear()
    again = k8s_schema.definitions(version, cache)
    assert again.closure(DEPLOYMENT) == scanned.closure(DEPLOYMENT)  # not read at a wrong offset: re-indexed
    assert orjson.loads(index.read_bytes())["starts"] == scanned._starts  # and kept right


def test_another_definitions_file_or_change_time_is_another_entry(tmp_path):
    original = dict(k8s_schema.shipped_versions())[k8s_schema.newest_shipped()] / "_definitions.json"
    copy = tmp_path / "_definitions.json"
    shutil.copyfile(original, copy)
    assert k8s_schema._stamp(copy) != k8s_schema._stamp(original)
    before = k8s_schema._stamp(copy)
    info = os.stat(copy)
    os.utime(copy, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000))
    assert k8s_schema._stamp(copy) != before


def test_schema_findings_are_the_same_with_the_cache_cold_warm_and_off(home, run):
    case = FIXTURES / "rules" / "schema" / "fail"
    env = {"XDG_CACHE_HOME": str(home.parent)}
    off = run("check", str(case), "--format", "json", "--no-cache", env=env)
    assert not (home / "schemas").exists()  # --no-cache: nothing kept
    cold = run("check", str(case), "--format", "json", env=env)
    kept = _schema_entries(home)
    warm = run("check", str(case), "--format", "json", env=env)
    assert off.code == cold.code == warm.code == 1
    messages = [f["message"] for f in off.json["findings"] if f["rule"] == "schema"]
    assert messages and all(" schema)" in m for m in messages)  # explained from the kind's closure
    assert off.out == cold.out == warm.out and off.err == cold.err == warm.err
    assert len(kept) >= 2 and _schema_entries(home) == kept


def test_only_plain_definition_names_name_an_entry():
    assert k8s_schema._entry_name(DEPLOYMENT) and k8s_schema._entry_name("io.k8s.apimachinery.pkg.util.intstr.IntOrString")
    for name in ("", ".hidden", "a/b", "../x", "a b", "x" * 201, "ü"):
        assert not k8s_schema._entry_name(name), name
