"""Loaded forms kept beside cached render answers (k8slint.load.kept): a rebuilt stream is the
freshly loaded one, field by field, for every fixture and corpus YAML file, real kustomize
renders and streams made to reach every branch of the loader; a corrupt or foreign form is
never read, and is written again."""

from __future__ import annotations

import math
import marshal
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import CORPUS, FIXTURES
from k8slint.load import Document, YList, YMap, iter_load, kept


def same(fresh, rebuilt, where="") -> None:
    """``rebuilt`` is ``fresh``: the same classes, values, key order, lines (compact key lines
    as compact bytes) and no container shared."""
    assert type(rebuilt) is type(fresh), where
    if isinstance(fresh, YMap):
        assert fresh.line == rebuilt.line and type(rebuilt.line) is int, where
        assert type(rebuilt._klines) is type(fresh._klines) and rebuilt._klines == fresh._klines, where
        if isinstance(fresh._klines, dict):
            assert list(rebuilt._klines) == list(fresh._klines), where
        assert list(rebuilt) == list(fresh), where
        assert rebuilt.klines == fresh.klines, where
        for key in fresh:
            assert rebuilt.key_line(key) == fresh.key_line(key), where
            same(fresh[key], rebuilt[key], f"{where}.{key}")
    elif isinstance(fresh, YList):
        assert fresh.line == rebuilt.line and fresh.ilines == rebuilt.ilines and len(fresh) == len(rebuilt), where
        assert type(rebuilt.ilines) is list, where
        for i, (a, b) in enumerate(zip(fresh, rebuilt)):
            assert rebuilt.item_line(i) == fresh.item_line(i)
            same(a, b, f"{where}[{i}]")
    elif isinstance(fresh, float) and math.isnan(fresh):
        assert math.isnan(rebuilt), where
    elif isinstance(fresh, float):
        assert rebuilt == fresh and math.copysign(1, rebuilt) == math.copysign(1, fresh), where
    else:
        assert rebuilt == fresh, where


def containers(value, out: list) -> list:
    if isinstance(value, (YMap, YList)):
        out.append(id(value))
        for item in value.values() if isinstance(value, YMap) else value:
            containers(item, out)
    return out


def roundtrip(text: str, where: str = "") -> int:
    """Load ``text``, keep it, rebuild it, compare; the number of items."""
    fresh = list(iter_load(text))
    data = kept.dump(fresh)
    assert data is not None, where
    rebuilt = kept.rebuild(data)
    assert rebuilt is not None and len(rebuilt) == len(fresh), where
    ids: list = []
    for a, b in zip(fresh, rebuilt):
        assert type(a) is type(b), where
        if isinstance(a, Document):
            assert (a.line, a.end_line, a.index) == (b.line, b.end_line, b.index), where
            same(a.data, b.data, f"{where} document {a.index}")
            containers(b.data, ids)
        else:
            assert (a.message, a.line) == (b.message, b.line), where
    assert len(ids) == len(set(ids)), where  # nothing shared
    unchecked = kept.rebuild(data, check=False)
    assert unchecked is not None and len(unchecked) == len(fresh), where
    return len(fresh)


TRICKY = {
    "anchors and merge keys": "base: &b {a: 1, b: [x, y]}\nuse:\n  <<: *b\n  b: 2\nlist: [*b, *b]\n",
    "duplicate keys": "a: 1\nb: 2\na: 3\n---\nkind: Pod\n",
    "syntax error mid-stream": "a: 1\n---\nb: [1,\n---\nc: 3\n",
    "scalars": "i: 0x1f\no: 017\nf: 1.5e3\nn: .nan\np: -.inf\nz: -0.0\nt: yes\nnull: ~\ns: '1'\nbig: " + "9" * 4000 + "\n"
               "sexa: 1:30\nts: 2024-01-01\nbin: !!binary aGk=\nlocal: !foo bar\nstr: !!str 12\n",
    "refused tag": "a: !!int abc\n---\nb: 1\n",
    "non-mapping documents": "- 1\n- 2\n---\njust text\n---\n42\n---\n",
    "many keys (line dict)": "\n".join(f"k{i}: {i}" for i in range(40)) + "\n",
    "keys far apart (line dict)": "a:\n" + "  - x\n" * 300 + "b: 1\n",
    "deep nesting refused": "a: " + "[" * 300 + "]" * 300 + "\n---\nb: 1\n",
    "alias bomb refused": "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(8)),
    "non-scalar key refused": "? [a, b]\n: 1\n",
    "NUL byte": "a: 1\x00\n",
    "unicode and CRLF": "a: \u00e9t\u00e9\r\nb:\r\n  - \u2603\r\n",
    "kind List": "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n",
}


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_a_rebuilt_stream_is_the_loaded_one(name):
    roundtrip(TRICKY[name], name)


def _yaml_files(top: Path) -> list[Path]:
    return sorted(p for p in top.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file() and not p.is_symlink())


@pytest.mark.parametrize("top", ["fixtures", "corpus"])
def test_every_fixture_and_corpus_file_rebuilds_as_loaded(top):
    folder = FIXTURES if top == "fixtures" else CORPUS
    if not folder.is_dir():
        pytest.skip(f"{folder} not present")
    count = 0
    for path in _yaml_files(folder):
        text = path.read_bytes().decode("utf-8", "surrogateescape")
        count += roundtrip(text, str(path))
    assert count > 100


def _kustomize_renders() -> list[tuple[str, str]]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        return []
    renders = []
    for top in (FIXTURES, CORPUS):
        if not top.is_dir():
            continue
        for kfile in sorted(top.rglob("kustomization.yaml")):
            try:
                proc = subprocess.run([kubectl, "kustomize", str(kfile.parent)], capture_output=True, timeout=30)
            except subprocess.TimeoutExpired:
                continue
            if proc.returncode == 0 and proc.stdout:
                renders.append((str(kfile.parent), proc.stdout.decode("utf-8")))
    return renders


def test_real_kustomize_renders_rebuild_as_loaded():
    renders = _kustomize_renders()
    if not renders:
        pytest.skip("no kustomize to render with")
    assert sum(roundtrip(text, where) for where, text in renders) > 50


def test_a_shared_container_or_foreign_value_is_not_kept():
    fresh = list(iter_load("a: {b: 1}\n"))
    inner = fresh[0].data["a"]
    fresh[0].data["c"] = inner  # shared (the loader never makes this)
    assert kept.dump(fresh) is None
    fresh[0].data["c"] = {1, 2}
    assert kept.dump(fresh) is None
    assert kept.dump([object()]) is None


@pytest.mark.parametrize("data", [b"", b"junk", marshal.dumps({"a": 1}), marshal.dumps([(1, 2)]), marshal.dumps([("a", 1, 2, 3)]),
                                  marshal.dumps([[1, 2]]), marshal.dumps([(1, 2, 3, (1, b"", []))]),
                                  marshal.dumps([(1, 2, 3, [1])]), marshal.dumps([(1, 2, 3, (1, b"\x00\x00", {"a": 1}))])])
def test_a_malformed_form_is_no_stream(data):
    assert kept.rebuild(data) is None


def test_the_loaders_identity_names_pyyaml_and_the_sources(monkeypatch):
    import yaml

    first = kept.identity()
    monkeypatch.setattr(kept, "_IDENTITY", [])
    assert kept.identity() == first
    monkeypatch.setattr(kept, "_IDENTITY", [])
    monkeypatch.setattr(yaml, "__version__", "0.0")
    assert kept.identity() != first

