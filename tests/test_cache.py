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
