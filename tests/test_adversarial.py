"""Hostile input: every case ends with a finding at file:line or one sentence and exit 2 -- never a
traceback, a hang, a crash or a silent pass -- within bounded time and memory.

Small cases live in fixtures/adversarial/<case>/ (with expected.yaml); huge, binary, looping and
permission cases are generated in tmp_path at test time so nothing awkward is committed.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest
import yaml

from conftest import FIXTURES, assert_clear, bounded_k8slint, rss_bound

ADVERSARIAL = FIXTURES / "adversarial"
CASES = sorted(p for p in ADVERSARIAL.iterdir() if (p / "expected.yaml").is_file())
COMPANION = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: companion
  namespace: prj-01
data: {LOG_LEVEL: info}
"""
# Memory bounds, as multiples of what the CLI needs for one small ConfigMap on this machine (~45 MB
# on the 2-core CI box, where these were 600, 300, 150 and 250 MB):
RENDERER_RSS = 14  # python + a renderer (kubectl / Helm's Go runtime) on a tiny input uses ~3.5x
PLAIN_RSS = 7  # plain YAML: python and the loader only


def _copy_case(case: Path, tmp_path: Path) -> Path:
    """Work on a copy so exec-plugin scripts are executable and nothing is written into the repo."""
    dest = tmp_path / case.name
    shutil.copytree(case, dest, symlinks=True)
    for script in dest.rglob("*.sh"):
        script.chmod(0o755)
    return dest


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_adversarial_fixture(case: Path, tmp_path: Path):
    expected = yaml.safe_load((case / "expected.yaml").read_text())
    repo = _copy_case(case, tmp_path)
    marker = tmp_path / "code-ran"
    env = {"K8SLINT_TEST_MARKER": str(marker)}
    target = expected.get("target", ".")
    args = ["check", target, "--env", expected.get("env", "production"), "--format", "json"]
    result = bounded_k8slint(*args, cwd=repo, env=env)
    assert_clear(result)
    assert result.code == expected["code"], result.out + result.err
    assert result.max_rss_mb < rss_bound(RENDERER_RSS), f"{result.max_rss_mb:.0f} MB"
    if result.code == 2:
        assert expected["stderr_contains"] in result.err, result.err
        # the same problem as a finding, visible once another target renders
        (repo / "companion.yaml").write_text(COMPANION)
        result = bounded_k8slint(*args[:2], "companion.yaml", *args[2:], cwd=repo, env=env)
        assert_clear(result)
        assert result.code == 1, result.err
    findings = result.json["findings"]
    for want in expected["findings"]:
        match = [f for f in findings if (f["rule"], f["location"]["file"], f["location"]["line"]) == (want["rule"], want["file"], want["line"])]
        assert match, f"no {want['rule']} at {want['file']}:{want['line']} in {[(f['rule'], f['location'], f['message']) for f in findings]}"
        assert any(want["message_contains"] in f["message"] for f in match), match
    lines = {f: len((repo / f).read_bytes().splitlines()) for f in {x["location"]["file"] for x in findings} if (repo / f).is_file()}
    for finding in findings:
        file = finding["location"]["file"]
        if file in lines:
            assert 1 <= finding["location"]["line"] <= max(lines[file], 1), finding
    assert not marker.exists(), "code from the linted repository ran"


# -- nesting: every way YAML can nest, 10,000 deep (libyaml's recursive composer crashes at ~15k in a thread)
DEPTH = 10_000


def _nested(form: str, depth: int) -> str:
    if form == "flow":
        return "[" * depth + "]" * depth
    if form == "flow-map":
        return "{a: " * depth + "1" + "}" * depth
    if form == "block-map":
        return "".join(" " * i + "a:\n" for i in range(depth)) + " " * depth + "x\n"
    if form == "block-seq":
        return "".join(" " * i + "-\n" for i in range(depth)) + " " * depth + "x\n"
    if form == "compact-seq":
        return "- " * depth + "x\n"
    if form == "compact-wide":
        return "-   " * depth + "x\n"
    if form == "complex-key":
        return "? - " * (depth // 2) + "x\n"
    if form == "anchored":
        return "".join(f"- &a{i} " if i % 2 else "- " for i in range(depth)) + "x\n"
    if form == "mixed":  # block mapping -> compact sequences -> flow
        head = "".join("  " * i + "k:\n" for i in range(40))
        return head + "  " * 40 + "- " * 100 + "[" * depth + "]" * depth + "\n"
    raise AssertionError(form)


NEST_FORMS = ["flow", "flow-map", "block-map", "block-seq", "compact-seq", "compact-wide", "complex-key", "anchored", "mixed"]


@pytest.mark.parametrize("form", NEST_FORMS)
def test_deep_nesting_is_refused_not_crashed(form: str, tmp_path: Path):
    (tmp_path / ".k8slint.yaml").write_text("{}\n")
    (tmp_path / "deep.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\n" + _nested(form, DEPTH))
    result = bounded_k8slint("check", "deep.yaml", "--env", "dev", "--format", "json", "--max-file-size", "64M", cwd=tmp_path, timeout=60)
    assert_clear(result)
    assert result.code == 1 and result.max_rss_mb < rss_bound(PLAIN_RSS), (result.code, result.max_rss_mb, result.err)
    problems = [f for f in result.json["findings"] if f["rule"] == "parse-error"]
    assert problems and problems[0]["location"]["file"] == "deep.yaml" and problems[0]["location"]["line"] >= 5
    assert "nesting deeper than 200 levels" in problems[0]["message"] or "YAML syntax error" in problems[0]["message"]
    assert result.json["summary"]["objects"] == 1  # the good document before it is still checked


@pytest.mark.parametrize("form", ["flow", "compact-seq", "complex-key", "compact-wide"])
def test_deeper_still_on_stdin_after_a_broken_document(form: str, tmp_path: Path):
    # a syntax error first makes the loader split the stream; each part is depth-checked again
    stream = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\nbroken: [\n---\n" + _nested(form, 100_000)
    result = bounded_k8slint("check", "-", "--env", "dev", "--format", "json", cwd=tmp_path, stdin=stream.encode(), timeout=60)
    assert_clear(result)
    assert result.code == 1
    messages = [f["message"] for f in result.json["findings"] if f["rule"] == "parse-error"]
    assert any("nesting deeper than 200 levels" in m for m in messages), messages


# -- size: a 50 MB stream is refused by limits.max-file-size (16 MiB) without being read


def _big_stream(path: Path, megabytes: int) -> None:
    doc = "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\n  namespace: prj-01\ndata:\n  LOG_LEVEL: info\n  PADDING: \"{pad}\"\n"
    pad = "x" * 900
    with open(path, "w") as fh:
        i = 0
        while fh.tell() < megabytes << 20:
            fh.write(doc.format(i=i, pad=pad))
            i += 1


def test_50mb_file_is_refused_with_a_clear_finding_in_bounded_memory(tmp_path: Path):
    (tmp_path / ".k8slint.yaml").write_text("{}\n")
    _big_stream(tmp_path / "big.yaml", 50)
    result = bounded_k8slint("check", "big.yaml", "--env", "dev", "--format", "json", cwd=tmp_path, timeout=60,
                             address_space_mb=2048)
    assert_clear(result)
    assert result.code == 1 and result.max_rss_mb < rss_bound(3.5), (result.max_rss_mb, result.err)  # the file is never read
    (finding,) = result.json["findings"]
    assert finding["rule"] == "parse-error" and finding["location"] == {"file": "big.yaml", "line": 1}
    assert "over limits.max-file-size (16,777,216 bytes)" in finding["message"] and "--max-file-size" in finding["message"]


def test_50mb_stdin_is_read_only_up_to_the_limit(tmp_path: Path):
    _big_stream(tmp_path / "big.yaml", 50)
    result = bounded_k8slint("check", "-", "--env", "dev", "--format", "json", cwd=tmp_path, stdin=tmp_path / "big.yaml",
                             timeout=60, address_space_mb=2048)
    assert_clear(result)
    assert result.code == 1 and result.max_rss_mb < rss_bound(6), (result.max_rss_mb, result.err)  # 16 MiB read, not 50
    (finding,) = result.json["findings"]
    assert finding["location"] == {"file": "<stdin>", "line": 1}
    assert "standard input is over limits.max-file-size" in finding["message"]


# -- bytes that are not YAML text


@pytest.mark.parametrize(
    "name, data, line, message",
    [
        ("nul.yaml", b"apiVersion: v1\nkind: ConfigMap\n\x00\x00\x00\n", 3, "NUL bytes: it is binary"),
        ("late-nul.yaml", b"a: 1\n" * 3000 + b"b: \x00\n", 3001, "NUL bytes"),
        ("image.yaml", bytes(range(256)) * 64, 1, "NUL bytes"),
        ("latin1.yaml", b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: caf\xe9}\n", 3, "not valid UTF-8 (byte 0xe9"),
        ("utf16.yaml", "# UTF-16 is YAML too\napiVersion: v1\nkind: ConfigMap\n".encode("utf-16"), 2, "document lacks metadata.name"),
    ],
)
def test_binary_and_badly_encoded_files_are_parse_errors(tmp_path: Path, name: str, data: bytes, line: int, message: str):
    (tmp_path / ".k8slint.yaml").write_text("{}\n")
    (tmp_path / name).write_bytes(data)
    result = bounded_k8slint("check", name, "--env", "dev", "--format", "json", cwd=tmp_path, timeout=30)
    assert_clear(result)
    assert result.code == 1, result.err
    (finding,) = result.json["findings"]
    assert finding["rule"] == "parse-error" and finding["location"] == {"file": name, "line": line}
    assert message in finding["message"], finding["message"]


def test_fifo_named_yaml_does_not_block(tmp_path: Path):
    (tmp_path / ".k8slint.yaml").write_text("{}\n")
    os.mkfifo(tmp_path / "pipe.yaml")
    (tmp_path / "cm.yaml").write_text(COMPANION)
    result = bounded_k8slint("check", ".", "--env", "dev", "--format", "json", cwd=tmp_path, timeout=30)
    assert_clear(result)
    got = [(f["rule"], f["location"]["file"], f["message"]) for f in result.json["findings"]]
    assert got == [("parse-error", "pipe.yaml", "pipe.yaml is not a regular file; not read")]


# -- the file system: symlinks out, loops, permissions

SECRET_OUTSIDE = "s3cr3t-from-outside-the-repo"


def _outside_file(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    target = outside / "credentials.yaml"
    target.write_text(f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {SECRET_OUTSIDE}}}\ndata: {{token: {SECRET_OUTSIDE}}}\n")
    return target


def test_symlink_leaving_the_repo_plain_file(tmp_path: Path):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ".k8slint.yaml").write_text("{}\n")
    (repo / "cm.yaml").write_text(COMPANION)
    (repo / "creds.yaml").symlink_to(_outside_file(tmp_path))
    result = bounded_k8slint("check", ".", "--env", "dev", "--format", "json", cwd=repo, timeout=30)
    assert_clear(result)
    got = [(f["rule"], f["location"]["file"], f["location"]["line"]) for f in result.json["findings"]]
    assert got == [("parse-error", "creds.yaml", 1)]
    assert "symlink that leaves the repository" in result.json["findings"][0]["message"]
    assert SECRET_OUTSIDE not in result.out + result.err


def test_symlink_leaving_the_repo_in_a_kustomization(tmp_path: Path):
    repo = tmp_path / "repo"
    (repo / "app").mkdir(parents=True)
    (repo / ".k8slint.yaml").write_text("{}\n")
    (repo / "app" / "cm.yaml").write_text(COMPANION)
    (repo / "app" / "creds.yaml").symlink_to(_outside_file(tmp_path))
    (repo / "app" / "kustomization.yaml").write_text("resources:\n  - cm.yaml\n  - creds.yaml\n")
    (repo / "cm.yaml").write_text(COMPANION)
    result = bounded_k8slint("check", "app", "cm.yaml", "--env", "dev", "--format", "json", cwd=repo, timeout=60)
    assert_clear(result)
    errors = [f for f in result.json["findings"] if f["rule"] == "render-error"]
    assert [(f["location"]["file"], f["location"]["line"]) for f in errors] == [("app/kustomization.yaml", 3)]
    assert "'creds.yaml', a symlink that leaves the repository" in errors[0]["message"]
    assert SECRET_OUTSIDE not in result.out + result.err


def test_symlinked_folder_leaving_the_repo_in_a_kustomization_path(tmp_path: Path):
    """A folder on the way to a named file is the link (the file itself is not); a link that
    stays inside the repository is no finding."""
    repo = tmp_path / "repo"
    (repo / "app").mkdir(parents=True)
    (repo / "shared").mkdir()
    (repo / ".k8slint.yaml").write_text("{}\n")
    (repo / "shared" / "cm.yaml").write_text(COMPANION)
    (repo / "app" / "inside").symlink_to(repo / "shared")
    (repo / "app" / "secrets").symlink_to(_outside_file(tmp_path).parent)
    (repo / "app" / "kustomization.yaml").write_text("resources:\n  - inside/cm.yaml\n  - secrets/credentials.yaml\n")
    result = bounded_k8slint("check", "app", "--env", "dev", "--format", "json", cwd=repo, timeout=60)
    assert_clear(result)
    errors = [f for f in result.json["findings"] if f["rule"] == "render-error"]
    assert [(f["location"]["file"], f["location"]["line"]) for f in errors] == [("app/kustomization.yaml", 3)]
    assert "'secrets/credentials.yaml', a symlink that leaves the repository" in errors[0]["message"]
    assert SECRET_OUTSIDE not in result.out + result.err


def test_symlink_leaving_the_repo_in_a_chart(tmp_path: Path):
    repo = tmp_path / "repo"
    chart = repo / "chart"
    (chart / "templates").mkdir(parents=True)
    (repo / ".k8slint.yaml").write_text("{}\n")
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: app\nversion: 0.1.0\n")
    (chart / "templates" / "creds.yaml").symlink_to(_outside_file(tmp_path))
    (repo / "cm.yaml").write_text(COMPANION)
    result = bounded_k8slint("check", "chart", "cm.yaml", "--env", "dev", "--format", "json", cwd=repo, timeout=60)
    assert_clear(result)
    errors = [f for f in result.json["findings"] if f["rule"] == "render-error"]
    assert [(f["location"]["file"], f["location"]["line"]) for f in errors] == [("chart/templates/creds.yaml", 1)]
    assert "symlink that leaves the repository" in errors[0]["message"]
    assert SECRET_OUTSIDE not in result.out + result.err


def test_directory_loops(tmp_path: Path):
    repo = tmp_path / "repo"
    for folder in ("plain/sub", "app", "chart/templates"):
        (repo / folder).mkdir(parents=True)
    (repo / ".k8slint.yaml").write_text("{}\n")
    (repo / "plain" / "sub" / "cm.yaml").write_text(COMPANION)
    (repo / "plain" / "sub" / "up").symlink_to("..")
    (repo / "app" / "cm.yaml").write_text(COMPANION)
    (repo / "app" / "kustomization.yaml").write_text("resources: [cm.yaml]\n")
    (repo / "app" / "loop").symlink_to("../app")
    (repo / "chart" / "Chart.yaml").write_text("apiVersion: v2\nname: app\nversion: 0.1.0\n")
    (repo / "chart" / "templates" / "loop").symlink_to("..")
    result = bounded_k8slint("check", "plain", "app", "chart", "--env", "dev", "--format", "json", cwd=repo, timeout=90)
    assert_clear(result)
    assert result.code == 1
    targets = {t["target"]: t["objects"] for t in result.json["targets"]}
    assert targets == {"plain": 1, "app": 1, "chart": 0}  # each ConfigMap once, the loop not followed
    errors = [(f["rule"], f["location"]["file"]) for f in result.json["findings"]]
    assert errors == [("render-error", "chart/templates/loop")]
    assert "a loop" in result.json["findings"][0]["message"]
    # the whole repository, discovered
    result = bounded_k8slint("check", "--env", "dev", "--format", "json", cwd=repo, timeout=90)
    assert_clear(result)
    assert {t["target"]: t["objects"] for t in result.json["targets"]} == {"app": 1, "chart": 0, "plain/sub": 1}


def test_unreadable_files(tmp_path: Path):
    """chmod 000. Root reads anything, so as root the CLI runs without CAP_DAC_OVERRIDE /
    CAP_DAC_READ_SEARCH (see drop_file_read_override); skipped only if the kernel refuses that."""
    import subprocess
    import sys

    from conftest import drop_file_read_override

    repo = tmp_path / "repo"
    (repo / "plain").mkdir(parents=True)
    (repo / "app").mkdir()
    (repo / ".k8slint.yaml").write_text("{}\n")
    (repo / "plain" / "cm.yaml").write_text(COMPANION)
    (repo / "plain" / "secret.yaml").write_text(COMPANION.replace("companion", "hidden"))
    (repo / "app" / "kustomization.yaml").write_text("resources: [cm.yaml]\n")
    (repo / "app" / "cm.yaml").write_text(COMPANION)
    unreadable = [repo / "plain" / "secret.yaml", repo / "app" / "kustomization.yaml"]
    try:
        for path in unreadable:
            path.chmod(0)
        probe = subprocess.run([sys.executable, "-c", f"open({str(unreadable[0])!r}).read()"], preexec_fn=drop_file_read_override,
                               capture_output=True)
        if probe.returncode == 0:
            pytest.skip("this process can read a chmod 000 file even without DAC capabilities")
        result = bounded_k8slint("check", "plain", "app", "--env", "dev", "--format", "json", cwd=repo, timeout=60, drop_dac=True)
        assert_clear(result)
        assert result.code == 1, result.err
        got = sorted((f["rule"], f["location"]["file"], f["location"]["line"], f["message"]) for f in result.json["findings"])
        assert got == [
            ("parse-error", "plain/secret.yaml", 1, "plain/secret.yaml cannot be read: Permission denied"),
            ("render-error", "app/kustomization.yaml", 1, "app/kustomization.yaml cannot be read: Permission denied"),
        ]
    finally:
        for path in unreadable:
            path.chmod(0o644)


def test_helpers_catch_a_hang(tmp_path: Path):
    """The bound is real: a renderer that never returns is stopped by --render-timeout, and the
    harness would fail a CLI that itself hangs."""
    sleeper = tmp_path / "sleepy-kustomize"
    sleeper.write_text("#!/bin/sh\nsleep 600\n")
    sleeper.chmod(sleeper.stat().st_mode | stat.S_IEXEC)
    (tmp_path / ".k8slint.yaml").write_text("{}\n")
    (tmp_path / "kustomization.yaml").write_text("resources: []\n")
    with pytest.raises(AssertionError, match="did not finish within 2s"):  # the renderer sleeps 600 s: always a hang
        bounded_k8slint("check", ".", "--render-timeout", "600", cwd=tmp_path, env={"K8SLINT_KUSTOMIZE": str(sleeper)}, hang_seconds=2)



# -- the loader's bounds, end to end: time and memory follow the size of the input


def test_non_objects_cost_no_more_than_their_text(tmp_path: Path):
    """700k lines of `--- 1` took 859 MB and printed 700k findings: documents are dropped once
    judged and a stream lists its first 100 parse-errors, then counts the rest."""
    (tmp_path / ".k8slint.yaml").write_text("{}\n")
    (tmp_path / "scalars.yaml").write_text("--- 1\n--- [x]\n--- {a: 1}\n" * 30_000)  # 630 KB
    result = bounded_k8slint("check", "scalars.yaml", "--env", "dev", "--format", "json", cwd=tmp_path, timeout=120)
    assert_clear(result)
    assert result.code == 1 and result.max_rss_mb < rss_bound(PLAIN_RSS), (result.max_rss_mb, result.err)  # 859 MB before
    findings = result.json["findings"]
    assert len(findings) == 101 and len(result.out) < 100_000
    assert [(f["location"]["line"], f["message"]) for f in findings[:3]] == [
        (1, "document is a scalar (int), not a Kubernetes object (a mapping)"),
        (2, "document is a list, not a Kubernetes object (a mapping)"),
        (3, "document lacks apiVersion, kind, metadata.name: not a Kubernetes object")]
    assert findings[-1]["location"] == {"file": "scalars.yaml", "line": 101}
    assert findings[-1]["message"] == "89,900 more parse-errors in this stream (lines 101-90000); only the first 100 are listed"


def test_alias_bombs_cost_one_budget_per_file(tmp_path: Path):
    """20 refused bombs in 8 KB took 13 s (a budget per document); 25 documents just under it
    were kept (935 MB). Each is refused where its first copy passes the file's budget."""
    bomb = (Path(ADVERSARIAL / "alias-bomb" / "bomb.yaml").read_text().split("\n", 1)[1])  # without its comment
    (tmp_path / ".k8slint.yaml").write_text("{}\n")
    (tmp_path / "bombs.yaml").write_text("---\n".join([bomb] * 20 + [COMPANION]))
    result = bounded_k8slint("check", "bombs.yaml", "--env", "dev", "--format", "json", cwd=tmp_path, timeout=60)
    assert_clear(result)
    assert result.code == 1 and result.max_rss_mb < rss_bound(PLAIN_RSS), (result.max_rss_mb, result.err)
    errors = [(f["location"]["line"], f["message"][:36]) for f in result.json["findings"] if f["rule"] == "parse-error"]
    assert errors == [(10, "YAML aliases expand this file to mor")] + [(15 * i + 7, "YAML aliases expand this file to mor")
                                                                       for i in range(1, 20)]
    assert result.json["summary"]["objects"] == 1  # the ConfigMap after them


@pytest.mark.parametrize("name, content, sentence", [
    (".k8slint.yaml", b"limits:\n  max-objects: " + b"9" * 5000 + b"\n", ".k8slint.yaml:2: integer with more than 4,300 digits: refusing to load"),
    (".k8slint.yaml", b"fail-on: !!int never\n", ".k8slint.yaml:1: a value tagged !!int is not an integer"),
    ("pyproject.toml", b"[tool.k8slint]\nx = " + b"9" * 5000 + b"\n", "pyproject.toml: an integer with more than 4,300 digits"),
    ("pyproject.toml", b"[tool.k8slint]\nx = " + b"[" * 100_000 + b"]" * 100_000 + b"\n", "pyproject.toml: nesting too deep to read"),
    ("pyproject.toml", b"[tool.k8slint]\nx = 1\n\xff\n", "pyproject.toml: not valid UTF-8 (byte 0xff at offset 21)"),
])
def test_a_config_k8slint_cannot_read_is_one_sentence(tmp_path: Path, name: str, content: bytes, sentence: str):
    (tmp_path / name).write_bytes(content)
    (tmp_path / "cm.yaml").write_text(COMPANION)
    result = bounded_k8slint("check", "cm.yaml", "--env", "dev", cwd=tmp_path, timeout=30)
    assert_clear(result)
    assert result.code == 2 and result.err.rstrip().endswith(sentence), result.err


@pytest.mark.parametrize("schema, note", [
    ('\ufeff{"properties": {"image": {"$ref": "http://127.0.0.1:9/image.json"}}}', "without http://127.0.0.1:9/image.json"),
    ('{"properties": {"replicas": {"maximum": ' + "9" * 5000 + '}}}',
     "without the whole schema, which k8slint cannot read (integer with more than 4,300 digits: refusing to load, line 1)"),
    ('{"a":\n' + "[" * 100_000 + "]" * 100_000 + "}",
     "without the whole schema, which k8slint cannot read (nesting deeper than 200 levels: refusing to load, line 2)"),
])
def test_values_schema_k8slint_cannot_read_is_not_given_to_helm(tmp_path: Path, schema: str, note: str):
    """A BOM hid a remote $ref (Helm strips it and fetched); a huge integer or 100k-deep nesting
    gave a traceback. What k8slint cannot read, Helm never sees."""
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (tmp_path / ".k8slint.yaml").write_text("{}\n")
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: app\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("replicas: 1\n")
    (chart / "values.schema.json").write_text(schema, encoding="utf-8")
    (chart / "templates" / "cm.yaml").write_text(COMPANION)
    result = bounded_k8slint("check", "chart", "--env", "dev", "--format", "json", cwd=tmp_path, timeout=90)
    assert_clear(result)
    assert result.code == 0, result.out + result.err
    assert result.json["summary"]["objects"] == 1
    assert [n for n in result.json["notes"] if "values.schema.json" in n] == [
        f"chart/values.schema.json: values validated {note} (k8slint fetches nothing)"]
