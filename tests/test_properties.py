"""Property tests (hypothesis): the loader never raises and keeps lines inside the text; output
does not depend on the order of inputs; no secret value ever reaches any installed formatter's
output, the text notes or stderr. Example counts stay small: CI has 2 cores."""

from __future__ import annotations

import base64
import re
from importlib.metadata import entry_points
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import assert_clear, cli
from k8slint.load import Document, LoadError, YList, YMap, decode, load_text

_BREAK = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")  # PyYAML's line breaks


def _last_line(text: str) -> int:
    breaks = len(_BREAK.findall(text))
    return max(1, breaks + (0 if text.endswith(("\n", "\r", "\x85", "\u2028", "\u2029")) else 1))


def _lines_in(data, out: list[int]) -> None:
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, YMap):
            out.append(item.line)
            out.extend(item.klines.values())
            stack.extend(item.values())
        elif isinstance(item, YList):
            out.append(item.line)
            out.extend(item.ilines)
            stack.extend(item)


YAMLISH = st.lists(
    st.one_of(
        st.sampled_from(["---\n", "- ", "? ", ": ", "a: ", "[", "]", "{", "}", ",", "&x ", "*x ", "!!str ", "<<: *x\n",
                         "|\n", ">-\n", "'", '"', "#", "\t", "\r\n", "\n", "  ", "...\n", "%YAML 1.1\n", "\ufeff", "kind: List\n",
                         "!!int ", "!!bool ", "!!float ", "!!set ", "!!seq ", "!!binary ", "!!python/name:x ", "0x1f", "1:30",
                         "9" * 4301, "\r", "\x85", "\u2028", "--- "]),
        st.text(max_size=8),
    ),
    max_size=60,
).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(YAMLISH, st.text(max_size=300)))
def test_loader_never_raises_and_lines_stay_inside(text: str):
    docs, errors = load_text(text)
    last = _last_line(text)
    assert all(isinstance(d, Document) for d in docs) and all(isinstance(e, LoadError) for e in errors)
    for error in errors:
        assert 1 <= error.line <= last, (error, last)
        assert error.message and "\n" not in error.message
    for doc in docs:
        lines: list[int] = []
        _lines_in(doc.data, lines)
        assert all(1 <= n <= last for n in lines), (lines, last)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_decode_never_raises(raw: bytes):
    text, error = decode(raw)
    assert (text is None) != (error is None)
    if error is not None:
        assert isinstance(error, LoadError) and error.line >= 1
    else:
        load_text(text)


# -- order of inputs ------------------------------------------------------------------------

POOL = {
    "latest.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: prj-01}\nspec:\n  selector: {matchLabels: {app: api}}\n"
                   "  template:\n    metadata: {labels: {app: api}}\n    spec:\n      containers:\n        - name: api\n          image: ghcr.io/acme/api:latest\n",
    "secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: prj-01}\nstringData: {password: hunter2hunter2}\n",
    "pvc.yaml": "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data, namespace: prj-01}\nspec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}\n",
    "broken.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x\n",
    "dup.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\ndata: {a: '1', a: '2'}\n",
    "list.yaml": "- just\n- a list\n",
}


def _order_repo(root: Path) -> Path:
    repo = root / "order-repo"
    if not repo.is_dir():
        repo.mkdir()
        (repo / ".k8slint.yaml").write_text("{}\n")
        for name, text in POOL.items():
            (repo / name).write_text(text)
    return repo


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.permutations(sorted(POOL)))
def test_output_does_not_depend_on_input_order(tmp_path_factory, order: list[str]):
    repo = _order_repo(tmp_path_factory.getbasetemp())
    baseline = cli("check", *sorted(POOL), "--env", "production", "--format", "json", cwd=repo)
    again = cli("check", *order, "--env", "production", "--format", "json", cwd=repo)
    assert_clear(again)
    assert again.code == baseline.code == 1
    assert again.out == baseline.out
    text_a = cli("check", *sorted(POOL), "--env", "production", cwd=repo)
    text_b = cli("check", *order, "--env", "production", cwd=repo)
    assert text_a.out == text_b.out and text_a.err == text_b.err


# -- secrets never printed ----------------------------------------------------------------

FORMATTERS = sorted(ep.name for ep in entry_points(group="k8slint.formatters"))
SECRET = st.text(alphabet="abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789", min_size=10, max_size=24).map(lambda s: "Zq" + s)


def _secret_repo(base: Path, value: str) -> Path:
    import tempfile

    repo = Path(tempfile.mkdtemp(prefix="secret-", dir=base))  # hypothesis may try one value twice
    plain = repo / "plain"
    plain.mkdir(parents=True)
    (repo / ".k8slint.yaml").write_text("{}\n")
    encoded = base64.b64encode(value.encode()).decode()
    (plain / "secret.yaml").write_text(
        f"apiVersion: v1\nkind: Secret\nmetadata: {{name: db, namespace: prj-01}}\ndata: {{password: {encoded}}}\n"
        f"stringData:\n  token: {value}\n"
    )
    (plain / "configmap.yaml").write_text(
        f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: settings, namespace: prj-01}}\ndata:\n  PASSWORD: {value}\n  DB_PASSWORD: {value}\n"
    )
    (plain / "deployment.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: prj-01}\nspec:\n  selector: {matchLabels: {app: api}}\n"
        "  template:\n    metadata: {labels: {app: api}}\n    spec:\n      containers:\n        - name: api\n          image: ghcr.io/acme/api:latest\n"
        f"          env:\n            - name: DB_PASSWORD\n              value: {value}\n"
        f"          args: [--password={value}]\n"
    )
    chart = repo / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: app\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text(f"password: {value}\nimage: ghcr.io/acme/app:latest\n")
    (chart / "templates" / "secret.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: app}\nstringData:\n  password: {{ .Values.password | quote }}\n"
    )
    (chart / "templates" / "deployment.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\nspec:\n  selector: {matchLabels: {app: app}}\n"
        "  template:\n    metadata: {labels: {app: app}}\n    spec:\n      containers:\n        - name: app\n          image: {{ .Values.image }}\n"
        "          env:\n            - name: DB_PASSWORD\n              value: {{ .Values.password | quote }}\n"
    )
    # a broken template that would show the value if an error message quoted the rendered line
    (chart / "templates" / "broken.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Values.password }}-x\n")
    return repo


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(SECRET)
def test_no_formatter_ever_prints_a_secret(tmp_path_factory, value: str):
    repo = _secret_repo(tmp_path_factory.getbasetemp(), value)
    forbidden = [value, base64.b64encode(value.encode()).decode()]
    outputs = []
    for name in FORMATTERS:
        outputs.append(f"--format={name}")
        outputs.append(f"--output={repo / ('out.' + name)}")
    # text to stdout as well: notes (unknown env, dependency notes) and the verdict
    result = cli("check", "plain", "chart", *outputs, "--format", "text", cwd=repo)
    assert_clear(result)
    assert result.code == 1, result.err
    written = {name: (repo / ("out." + name)).read_text() for name in FORMATTERS}
    assert "no-plaintext-secret" in written.get("json", result.out) or "no-plaintext-secret" in result.out
    assert "note: environment unknown" in result.out
    for secret in forbidden:
        assert secret not in result.out and secret not in result.err
        for name, text in written.items():
            assert secret not in text, f"{name} output shows the secret"
    # the stdin route and the exit-2 route (stderr only)
    piped = cli("check", "-", cwd=repo, stdin=(repo / "plain" / "secret.yaml").read_text())
    assert piped.code == 1 and all(s not in piped.out + piped.err for s in forbidden)
    failed = cli("check", "chart", "--set", "image=null", cwd=repo)
    assert_clear(failed)
    assert all(s not in failed.out + failed.err for s in forbidden)
