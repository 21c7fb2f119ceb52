"""The loader: line numbers for every key and item, and clear errors instead of exceptions;
bounded in time and memory by the size of the text."""

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import CORPUS, needs_corpus
from k8slint.load import MAX_DEPTH, LoadError, YList, YMap, decode, load_text
from k8slint.load.nodes import ALIAS_NODES


def test_lines_of_keys_and_items():
    docs, errors = load_text("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec:\n  containers:\n  - name: c\n    image: x\n")
    assert errors == []
    data = docs[0].data
    assert isinstance(data, YMap) and data.key_line("spec") == 5
    containers = data["spec"]["containers"]
    assert isinstance(containers, YList) and containers.item_line(0) == 7
    assert containers[0].key_line("image") == 8


def test_multi_document_lines_and_empty_documents_skipped():
    text = "---\n# only a comment\n---\na: 1\n---\n\n---\nb: 2\n"
    docs, errors = load_text(text)
    assert errors == []
    assert [d.data for d in docs] == [{"a": 1}, {"b": 2}]
    assert [d.line for d in docs] == [4, 8]


def test_duplicate_key_is_an_error_with_its_line():
    docs, errors = load_text("a: 1\nb: 2\na: 3\n")
    assert docs == []
    assert len(errors) == 1 and errors[0].line == 3 and "duplicate key 'a'" in errors[0].message


def test_syntax_error_in_one_document_keeps_the_others():
    text = "a: 1\n---\nb: [unclosed\n---\nc: 3\n"
    docs, errors = load_text(text)
    assert [d.data for d in docs] == [{"a": 1}, {"c": 3}]
    assert len(errors) == 1 and errors[0].line in (3, 4) and "syntax" in errors[0].message


def test_alias_bomb_is_refused_at_the_key_that_expands_past_the_limit():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev = f"*a{i-1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    text = "\n".join(lines) + "\n"
    docs, errors = load_text(text)
    limit = ALIAS_NODES + len(text)
    assert docs == [] and len(errors) == 1
    # a1..a3 copy 12,330 nodes; the ten copies of a3 (11,111 nodes each) in a4 pass the limit
    assert errors[0].line == 5, errors
    assert errors[0].message.startswith(f"YAML aliases expand this file to more than {limit:,} nodes (the limit is 100,000 plus one")


def test_deep_nesting_is_refused_without_crashing():
    depth = 100_000
    docs, errors = load_text("[" * depth + "]" * depth)
    assert docs == [] and f"deeper than {MAX_DEPTH}" in errors[0].message
    block = "\n".join(" " * i + "a:" for i in range(5000))
    docs, errors = load_text(block)
    assert docs == [] and "deeper" in errors[0].message


def test_decode_bom_crlf_and_bad_bytes():
    text, error = decode(b"\xef\xbb\xbfa: 1\r\nb: 2\r\n")
    assert error is None
    docs, _ = load_text(text)
    assert docs[0].data == {"a": 1, "b": 2} and docs[0].data.key_line("b") == 2
    text, error = decode(b"a: 1\nb: \xff\xfe\n")
    assert text is None and error.line == 2 and "UTF-8" in error.message
    text, error = decode(b"a: 1\n\x00\x01binary")
    assert text is None and "NUL" in error.message


def test_scalars_follow_json_semantics():
    docs, _ = load_text("a: 2020-01-01\nb: 010\nc: yes\nd: ~\n1: x\n")
    data = docs[0].data
    assert data["a"] == "2020-01-01" and data["c"] is True and data["d"] is None and data["1"] == "x"


def test_merge_keys():
    docs, errors = load_text("base: &b {x: 1, y: 2}\nthing:\n  <<: *b\n  y: 3\n")
    assert errors == [] and docs[0].data["thing"] == {"x": 1, "y": 3}


# -- explicit tags and integers: a refusal with a line, or the text -----------------------------

BIG = "1" * 5000


@pytest.mark.parametrize("value, message", [
    ("!!int abc", "a value tagged !!int is not an integer"),
    ("!!int ''", "a value tagged !!int is not an integer"),
    ("!!int 0x", "a value tagged !!int is not an integer"),
    ("!!bool maybe", "a value tagged !!bool is not true or false"),
    ("!!float x", "a value tagged !!float is not a number"),
    ("!!float ''", "a value tagged !!float is not a number"),
    ("!!set x", "a value tagged !!set must be a mapping, not a scalar"),
    ("!!map x", "a value tagged !!map must be a mapping, not a scalar"),
    ("!!seq x", "a value tagged !!seq must be a sequence, not a scalar"),
    ("!!omap x", "a value tagged !!omap must be a sequence, not a scalar"),
    ("!!pairs x", "a value tagged !!pairs must be a sequence, not a scalar"),
    (BIG, "integer with more than 4,300 digits"),
    ("-" + BIG, "integer with more than 4,300 digits"),
    ("!!int " + BIG, "integer with more than 4,300 digits"),
    ("0x" + "f" * 3600, "integer with more than 4,300 digits"),  # 4,335 decimal digits
    ("0b" + "1" * 20000, "integer with more than 4,300 digits"),
    ("1" + ":30" * 3000, "integer with more than 4,300 digits"),  # base 60: quadratic in PyYAML
])
def test_values_that_do_not_fit_their_tag_refuse_their_document_at_their_line(value: str, message: str):
    secret = "hunter2-not-printed"
    text = f"a: 1\n---\nkind: X\nb:\n  - {value}\nc: {secret}\n---\nd: 2\n"
    docs, errors = load_text(text)
    assert [d.data for d in docs] == [{"a": 1}, {"d": 2}]  # the documents around it still load
    assert [(e.line, e.message.split(":")[0]) for e in errors] == [(5, message.split(":")[0])], errors
    assert message in errors[0].message and "abc" not in errors[0].message and "maybe" not in errors[0].message


def test_values_that_fit_their_tags_and_tags_k8slint_keeps_as_text():
    text = ("a: !!int '42'\nb: !!bool 'yes'\nc: !!float 1e3\nd: !!null x\ne: !!str 010\nf: !!timestamp junk\n"
            "g: !!binary '%%%'\nh: !!python/name:os.system\ni: !local x\nj: !!python/object/apply:os.system [ls]\n"
            "k: 0x" + "f" * 3500 + "\nl: " + "9" * 4300 + "\nm: 1:30\nn: 1" + "0" * 400 + ".5\no: .inf\n"
            "!!int p: 1\n" + BIG[:1000] + ": q\n")
    (doc,), errors = load_text(text)
    assert errors == []
    data = doc.data
    assert (data["a"], data["b"], data["c"], data["d"], data["e"]) == (42, True, 1000.0, None, "010")
    assert (data["f"], data["g"], data["h"], data["i"]) == ("junk", "%%%", "", "x")  # the tag is `!!python/name:os.system`
    assert data["j"] == ["ls"] and data["k"] == int("f" * 3500, 16) and data["l"] == int("9" * 4300)
    assert data["m"] == 90 and data["n"] == 1e400 and data["o"] == float("inf")
    assert data["p"] == 1 and data.key_line("p") == 16 and data[BIG[:1000]] == "q"  # keys stay text, never converted


# -- bounded: linear after syntax errors, aliases budgeted per stream ----------------------------


def _timed(function, text: str, runs: int):
    """The result of ``function(text)`` and its best CPU time over ``runs`` runs."""
    best = float("inf")
    for _ in range(runs):
        start = time.process_time()
        result = function(text)
        best = min(best, time.process_time() - start)
    return result, best


@pytest.mark.parametrize("shape", ["one-error-first", "every-document-broken", "too-deep-first", "error-after-cr-breaks"])
def test_broken_documents_cost_linear_time(shape: str):
    """Quadratic before: one syntax error re-split the stream and counted lines from its start
    for every part (100,000 documents: 87 s). Eight times the documents: ~8x the time, not 64x."""
    def stream(count: int) -> str:
        if shape == "one-error-first":
            return "a: [\n" + "---\na: 1\n" * count
        if shape == "every-document-broken":
            return "---\na: [\n" * count
        if shape == "too-deep-first":
            return "[" * 300 + "]" * 300 + "\n" + "---\na: 1\n" * count
        return "a: [\r" + "---\ra: 1\r" * count  # old Mac line breaks: parts were not found at all

    _, small = _timed(load_text, stream(1_500), 3)
    (docs, errors), large = _timed(load_text, stream(12_000), 2)
    assert large / max(small, 1e-3) < 20, (large, small)
    assert len(docs) == (0 if shape == "every-document-broken" else 12_000)
    assert len(errors) == (12_000 if shape == "every-document-broken" else 1)
    assert errors[-1].line == (24_000 if shape == "every-document-broken" else 1 if shape == "too-deep-first" else 2)
    if shape != "every-document-broken":
        assert docs[-1].line == 24_001 and docs[-1].data.key_line("a") == 24_001


def _bomb(name: str) -> str:
    lines = [f"{name}0: &{name}0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"{name}{i}: &{name}{i} [{', '.join([f'*{name}{i - 1}'] * 10)}]")
    return "\n".join(lines) + "\n"


def test_alias_budget_is_per_stream_so_many_bombs_cost_one(monkeypatch):
    """Per document before: 20 refused bombs in 8 KB built 20 x 1,000,000 nodes (13 s)."""
    from k8slint.load import nodes as load_nodes

    charged = []
    original = load_nodes.Counted._charge

    def counting(self, node, site):
        charged.append(site)
        original(self, node, site)

    monkeypatch.setattr(load_nodes.Counted, "_charge", counting)
    text = "---\n".join([_bomb("l")] * 20 + ["ok: yes\n"])
    docs, errors = load_text(text)
    assert [d.data for d in docs] == [{"ok": True}] and docs[0].line == 201  # an alias-free document after them loads
    assert len(errors) == 20 and all("YAML aliases expand this file to more than" in e.message for e in errors)
    assert [e.line for e in errors] == [5] + [10 * i + 2 for i in range(1, 20)]  # later bombs: their first copy
    assert len(charged) <= ALIAS_NODES + len(text) + 20  # the whole stream, not each document


def test_documents_of_aliases_keep_memory_bounded():
    """25 documents just under the old per-document limit (9.8 KB) were kept: 935 MB."""
    import tracemalloc

    doc = "a: &a [" + ", ".join(["x"] * 100) + "]\nb: &b [" + ", ".join(["*a"] * 100) + "]\nc: [" + ", ".join(["*b"] * 99) + "]\n"
    text = "---\n".join([doc] * 25)
    tracemalloc.start()
    try:
        docs, errors = load_text(text)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # the first document is refused at its third line, every other one at the first copy it makes
    assert docs == [] and [e.line for e in errors] == [3] + [2 + 4 * i for i in range(1, 25)], errors
    assert peak < 40 << 20, peak


def test_aliased_text_is_budgeted_like_nodes():
    """One 200 KB string aliased into 600 containers gave 229 MB of text per output format."""
    image = "x" * 200_000
    text = f"big: &img {image}\ncontainers:\n" + "".join(f"- {{name: c{i}, image: *img}}\n" for i in range(600))
    docs, errors = load_text(text)
    assert docs == [] and len(errors) == 1
    assert errors[0].message.startswith("YAML aliases repeat more than 1,") and "characters of text" in errors[0].message
    assert errors[0].line == 3 + 6  # the seventh copy passes 1,000,000 plus the file's 213,000 characters


def test_aliases_within_the_budget_load_like_the_text_they_stand_for():
    text = ("defaults: &d\n  image: x:1\n  ports: [80]\nlist: &l [a, b]\n"
            "app:\n  <<: *d\n  image: x:2\n  extra: *l\nagain: *d\n")
    (doc,), errors = load_text(text)
    assert errors == []
    data = doc.data
    assert data["app"] == {"image": "x:2", "ports": [80], "extra": ["a", "b"]} and data["again"] == data["defaults"]
    assert data["app"].key_line("image") == 7 and data["app"].key_line("ports") == 3  # merged keys: their own line
    assert data["again"] is not data["defaults"] and data["again"]["ports"] is not data["defaults"]["ports"]


@pytest.mark.parametrize("text, line", [
    ("x: 1\na: &a [x, *a]\n", 2),  # an alias inside its own anchor: a loop
    ("a: &a {b: [x, *a]}\n", 1),
    # each b<i> nests one level deeper than the one before: b189 passes 200 levels
    ("a: &a [[[[[[[[[[x]]]]]]]]]]\n" + "".join(f"b{i}: &b{i} [*{'a' if i == 0 else f'b{i - 1}'}]\n" for i in range(200)), 191),
])
def test_aliases_that_loop_or_nest_too_deep(text: str, line: int):
    docs, errors = load_text(text)
    assert docs == [] and errors == [LoadError("nesting deeper than 200 levels (through YAML aliases): refusing to load", line)]


def test_non_object_documents_cost_no_more_than_their_text():
    """700k lines of `--- 1` took 859 MB: documents are produced one at a time."""
    import tracemalloc

    from k8slint.load import iter_load

    text = "--- 1\n" * 20_000
    tracemalloc.start()
    try:
        count = sum(1 for item in iter_load(text))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 20_000 and peak < 2 * len(text), peak  # the parser's own copy of the text, and little else


def test_syntax_errors_are_never_silent():
    # an error in the part of a good document (after `...`); parts that parse on their own
    for text, lines, good in [("a: 1\n...\nb: [\n---\nc: 2\n", [3], [1, 5]), ("\t\n", [1], []), ("a: 1\n---\n\t\n---\nb: 2\n", [3], [1, 5])]:
        docs, errors = load_text(text)
        assert [e.line for e in errors] == lines and all("YAML syntax error" in e.message for e in errors), (text, errors)
        assert [d.line for d in docs] == good


# -- JSON from the repository (values.schema.json) -----------------------------------------------


def test_load_json_refuses_what_python_cannot_hold():
    from k8slint.load import load_json

    assert load_json('\ufeff{"a": [1, "[[{", {"$ref": "#/x"}]}') == ({"a": [1, "[[{", {"$ref": "#/x"}]}, None)
    assert load_json('{"a":\n' + BIG + "}")[1] == LoadError("integer with more than 4,300 digits: refusing to load", 2)
    assert load_json("\n\n" + "[" * 100_000 + "]" * 100_000)[1] == LoadError("nesting deeper than 200 levels: refusing to load", 3)
    assert load_json('{"a": [1, 2.5e99999, "' + "[" * 300 + '"]}')[0]["a"][1] == float("inf")
    assert load_json('{"a":\n }')[1] == LoadError("not valid JSON: Expecting value", 2)


# -- the same data and lines as PyYAML itself (the reference for what is valid) ------------------

_KEPT_AS_TEXT = {"tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:binary"}


def _reference(text: str, loader) -> list | None:
    """What PyYAML makes of ``text`` with k8slint's documented differences (timestamps, binary
    and unknown tags as text, keys as written, tags on collections ignored), as comparable
    trees with every line; None when PyYAML refuses it."""
    import math

    import yaml

    constructor = yaml.constructor.SafeConstructor()

    def tree(node):
        if isinstance(node, yaml.ScalarNode):
            if node.tag in constructor.yaml_constructors and node.tag not in _KEPT_AS_TEXT:
                value = constructor.construct_object(node)
                return "nan" if isinstance(value, float) and math.isnan(value) else value
            return node.value
        if isinstance(node, yaml.SequenceNode):
            return ("L", node.start_mark.line + 1, [(item.start_mark.line + 1, tree(item)) for item in node.value])
        constructor.flatten_mapping(node)  # merge keys first, so written keys win below
        return ("M", node.start_mark.line + 1, {key.value: (key.start_mark.line + 1, tree(value)) for key, value in node.value})

    try:
        return [(node.start_mark.line + 1, tree(node)) for node in yaml.compose_all(text, Loader=loader)
                if not (isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null")]
    except (yaml.YAMLError, ValueError, TypeError, RecursionError):
        return None


def _ours(data):
    import math

    if isinstance(data, YMap):
        return ("M", data.line, {key: (data.key_line(key), _ours(value)) for key, value in data.items()})
    if isinstance(data, YList):
        return ("L", data.line, [(data.item_line(i), _ours(value)) for i, value in enumerate(data)])
    return "nan" if isinstance(data, float) and math.isnan(data) else data


def _agree(text: str, loader) -> bool:
    """True when both load ``text`` the same (False when only PyYAML loads it: it never
    should), None when PyYAML refuses it or k8slint refuses duplicate keys (PyYAML keeps the last)."""
    reference = _reference(text, loader)
    docs, errors = load_text(text)
    if reference is None or any("duplicate key" in e.message for e in errors):
        return None
    assert not errors, (text[:300], errors[:3])
    return [(d.line, _ours(d.data)) for d in docs] == reference


@needs_corpus()
def test_every_corpus_file_loads_as_pyyaml_loads_it():
    import yaml

    compared = 0
    for path in sorted(CORPUS.rglob("*.y*ml")):
        if ".git" in path.parts or not path.is_file():
            continue
        text, error = decode(path.read_bytes())
        if text is None:
            continue
        agree = _agree(text, yaml.CSafeLoader)
        assert agree is not False, path
        compared += agree is True
    assert compared > 300, compared


_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=12),
                    st.sampled_from(["yes", "no", "on", "010", "0o17", "0x1F", "1e3", "1_000", "1:30", ".inf", "2020-01-01",
                                     "2020-01-01T10:00:00Z", "<<", "~", "null", "=", "-", "'", '"', "#x", "a: b", "- c"]))
_DATA = st.recursive(_LEAVES, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                      st.dictionaries(st.text(max_size=6), inner, max_size=4)), max_leaves=20)


@settings(max_examples=150, deadline=None)
@given(_DATA, _DATA, st.sampled_from([None, True, False]), st.integers(10, 80), st.booleans())
def test_generated_yaml_loads_as_pyyaml_loads_it(first, second, flow: bool | None, width: int, share: bool):
    """Dumped the way PyYAML writes (block, flow, line folding; anchors and aliases for shared
    values and a merge key), read back by both; both parsers of PyYAML as references."""
    import yaml

    docs = [{"first": first, "again": first if share else second, "second": second}, second]
    text = yaml.safe_dump_all(docs, default_flow_style=flow, width=width, allow_unicode=True, sort_keys=False)
    if share and isinstance(first, dict) and first:
        text = text.replace("again: *id001", "again:\n  <<: *id001\n  extra: 1", 1)
    for loader in (yaml.SafeLoader, yaml.CSafeLoader):
        assert _agree(text, loader) is not False, text


def test_text_with_unpaired_surrogates_is_an_error_not_a_traceback():
    # text read with errors="surrogateescape" cannot be handed to the parser
    assert load_text("a: 1\nb: caf\udce9\n") == ([], [LoadError("text is not valid Unicode (an unpaired surrogate)", 2)])


def test_key_lines_survive_compact_storage_removal_and_additions():
    """Key lines are kept one byte per key for small mappings whose keys are near their start;
    a mapping with many keys, or a key far below its start, keeps a dict. Removing a key (a
    render dropping its build annotations) leaves every other key on its line; an added key
    has its mapping's line, as a missing one does."""
    block = "\n".join(f"  k{i}: |\n" + "    x\n" * 9 for i in range(30))  # 30 keys, 10 lines apart: past 255
    wide = "\n".join(f"  w{i}: {i}" for i in range(40))  # more keys than are kept compact
    text = ("a: 1\nmeta:\n  z: 1\n  m: 2\n\n  b: 3\n  c: {d: 4, e: 5}\n"
            f"far:\n{block}\nafter: 1\nwide:\n{wide}\n")
    [doc], errors = load_text(text)
    assert not errors
    data = doc.data
    meta, far, wide_map = data["meta"], data["far"], data["wide"]
    assert [meta.key_line(k) for k in ("z", "m", "b", "c")] == [3, 4, 6, 7]
    assert meta["c"].key_line("e") == 7 and meta.line == 3 and meta.key_line("nope") == 3
    lines = text.splitlines()

    def at(start: str) -> int:
        return next(number for number, line in enumerate(lines, 1) if line.startswith(start))

    assert far.key_line("k0") == 9 and far.key_line("k29") == at("  k29:") == 328 and data.key_line("after") == at("after:")
    assert wide_map.key_line("w39") == at("  w39:") and wide_map.key_line("w0") == at("  w0:")
    for mapping in (data, meta, far, wide_map):
        assert mapping.klines == {key: mapping.key_line(key) for key in mapping}
    del meta["z"]
    assert meta.pop("m") == 2 and meta.pop("gone", None) is None
    assert [meta.key_line(k) for k in ("b", "c")] == [6, 7]
    meta["new"] = 1
    assert {key: meta.key_line(key) for key in meta} == {"b": 6, "c": 7, "new": 3}
    wide_map.popitem()
    assert wide_map.key_line("w38") == at("  w38:")
    meta.clear()
    assert meta.key_line("b") == 3 and meta.klines == {}
