"""The loader: line numbers for every key and item, and clear errors instead of exceptions."""

from k8slint.load import MAX_DEPTH, YList, YMap, decode, load_text


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


def test_alias_bomb_is_refused():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev = f"*a{i-1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    docs, errors = load_text("\n".join(lines) + "\n")
    assert docs == [] and "expands to more than" in errors[0].message


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
