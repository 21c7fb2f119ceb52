"""Nothing from the linted repository runs and nothing is fetched: no kustomize exec/KRM plugins
(refused up front, and kustomize itself runs without the flags that would allow them), no
`helmCharts:` inflation, no chart dependency download, no remote schema, no code in custom rules.

Network: every URL in these repos points at a listening socket on 127.0.0.1 that records
connections (and HTTP(S)_PROXY points at it too); the tests assert it was never contacted.
"""

from __future__ import annotations

import shutil
import socket
import threading
from pathlib import Path

import pytest

from conftest import FIXTURES, assert_clear, bounded_k8slint, rss_bound

ADVERSARIAL = FIXTURES / "adversarial"
PLUGIN_CASES = ["kustomize-exec-plugin", "kustomize-krm-function", "kustomize-inline-plugin"]


class Recorder:
    """A TCP listener on 127.0.0.1 that records every connection (and answers nothing useful)."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.connections: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.server.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    self.connections.append(conn.recv(512))
                except OSError:
                    self.connections.append(b"")

    def env(self) -> dict[str, str]:
        return {name: self.url for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY")}

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.server.close()


@pytest.fixture
def recorder():
    rec = Recorder()
    yield rec
    rec.close()


def _copy(case: str, tmp_path: Path) -> Path:
    dest = tmp_path / case
    shutil.copytree(ADVERSARIAL / case, dest)
    for script in dest.rglob("*.sh"):
        script.chmod(0o755)
    return dest


def test_recorder_sees_a_real_connection(recorder):
    """The instrument works: a connection to it is recorded (so 'no connection' below means something)."""
    with socket.create_connection(("127.0.0.1", recorder.port)) as conn:
        conn.sendall(b"GET / HTTP/1.0\r\n\r\n")
    for _ in range(50):
        if recorder.connections:
            break
        threading.Event().wait(0.05)
    assert recorder.connections and recorder.connections[0].startswith(b"GET /")


@pytest.mark.parametrize("case", PLUGIN_CASES)
def test_exec_plugins_never_run_through_the_cli(case: str, tmp_path: Path):
    repo = _copy(case, tmp_path)
    marker = tmp_path / "plugin-ran"
    result = bounded_k8slint("check", ".", "--env", "production", cwd=repo, env={"K8SLINT_TEST_MARKER": str(marker)}, timeout=60)
    assert_clear(result)
    assert result.code == 1 and "is an exec/container/function plugin" in result.out and "never runs code" in result.out
    assert not marker.exists()


@pytest.mark.parametrize("case", PLUGIN_CASES)
def test_kustomize_itself_runs_without_plugins(case: str, tmp_path: Path, monkeypatch):
    """Second layer: even with the preflight switched off, kustomize is started without
    --enable-alpha-plugins/--enable-exec, so it refuses the plugin and the script never runs."""
    from k8slint.model import Target
    from k8slint.plan.config import Config
    from k8slint.plan.settings import Settings
    from k8slint.render import kustomize

    repo = _copy(case, tmp_path)
    marker = tmp_path / "plugin-ran"
    monkeypatch.setenv("K8SLINT_TEST_MARKER", str(marker))
    monkeypatch.setattr(kustomize, "preflight", lambda *a, **k: [])
    settings = Settings.build(repo, Config())
    result = kustomize.render_kustomization(Target("kustomize", repo, "."), settings)
    assert result.failed and not result.objects
    message = result.problems[0].message  # kustomize refused it: said in k8slint's words, at the entry
    assert "is an external plugin, which kustomize loads only with plugins enabled; k8slint never enables them" in message, message
    assert result.problems[0].location.file == "kustomization.yaml" and result.problems[0].location.line == 6
    assert not marker.exists()


def test_helm_chart_inflation_is_refused(tmp_path: Path, recorder):
    repo = _copy("kustomize-helm-charts", tmp_path)
    kfile = repo / "kustomization.yaml"
    kfile.write_text(kfile.read_text().replace("https://charts.example.com/stable", recorder.url))
    result = bounded_k8slint("check", ".", cwd=repo, env=recorder.env(), timeout=60)
    assert_clear(result)
    assert result.code == 1 and "--enable-helm" in result.out and "never enables it" in result.out
    assert recorder.connections == []


@pytest.mark.parametrize(
    "kustomization, said",
    [
        ("resources:\n  - configmap.yaml\n  - {url}/base/deploy.yaml\n", "refers to the remote resource"),
        ("resources:\n  - configmap.yaml\n  - github.com/acme/platform//deploy?ref=v1\n", "refers to the remote resource"),
        ("resources:\n  - configmap.yaml\npatches:\n  - path: {url}/patch.yaml\n", "from the network"),
        ("resources:\n  - configmap.yaml\nconfigMapGenerator:\n  - name: x\n    files:\n      - key={url}/f\n", "from the network"),
    ],
    ids=["http-resource", "git-resource", "http-patch", "http-generator-file"],
)
def test_kustomize_never_fetches(tmp_path: Path, recorder, kustomization: str, said: str):
    repo = _copy("kustomize-remote-base", tmp_path)
    (repo / "kustomization.yaml").write_text(kustomization.format(url=recorder.url))
    result = bounded_k8slint("check", ".", cwd=repo, env=recorder.env(), timeout=60)
    assert_clear(result)
    assert result.code == 1 and said in result.out and "--allow-remote" in result.out
    assert recorder.connections == []


def test_helm_dependency_from_an_http_repository_is_not_downloaded(tmp_path: Path, recorder):
    repo = _copy("helm-missing-dependency", tmp_path)
    chart = repo / "Chart.yaml"
    chart.write_text(chart.read_text().replace("https://charts.example.com/stable", recorder.url))
    result = bounded_k8slint("check", ".", "--format", "json", cwd=repo, env=recorder.env(), timeout=60)
    assert_clear(result)
    assert result.code == 1
    assert f"depends on redis 17.3.7 from {recorder.url}" in result.out and "never downloads dependencies" in result.out
    assert recorder.connections == []


def test_helm_values_schema_refs_are_not_fetched(tmp_path: Path, recorder):
    """Helm's engine fetches `$ref`/`$schema` URLs of values.schema.json (checked: it did, before
    k8slint dropped them from its render copy); the local parts of the schema still validate."""
    repo = _copy("helm-missing-dependency", tmp_path)
    (repo / "Chart.yaml").write_text("apiVersion: v2\nname: shop\nversion: 0.1.0\n")
    (repo / "values.schema.json").write_text(
        '{"$schema": "%s/meta", "type": "object", "properties": {"redis": {"$ref": "%s/redis.json"},'
        ' "replicas": {"type": "integer"}}}' % (recorder.url, recorder.url)
    )
    result = bounded_k8slint("check", ".", "--env", "dev", "--format", "json", cwd=repo, env=recorder.env(), timeout=60)
    assert_clear(result)
    assert result.code == 0, result.out + result.err
    assert any(f"values validated without {recorder.url}/meta, {recorder.url}/redis.json" in n for n in result.json["notes"])
    bad = bounded_k8slint("check", ".", "--env", "dev", "--set", "replicas=many", cwd=repo, env=recorder.env(), timeout=60)
    assert bad.code == 1 and "values key 'replicas' must be of type integer" in bad.out  # local schema rules still apply
    assert recorder.connections == []
    assert f"{recorder.url}/meta" in (repo / "values.schema.json").read_text()  # the repo file is untouched


def test_custom_rules_are_data_only(tmp_path: Path, recorder):
    repo = tmp_path / "repo"
    rules = repo / ".k8slint" / "rules"
    rules.mkdir(parents=True)
    marker = tmp_path / "rule-code-ran"
    (repo / ".k8slint.yaml").write_text("{}\n")
    (repo / "cm.yaml").write_text((ADVERSARIAL / "kustomize-remote-base" / "configmap.yaml").read_text())
    (rules / "evil.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    (rules / "conftest.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    head = "id: {id}\nseverity: error\nsummary: s\ndescription: d\nrationale: r\nremediation: m\nscope: object\n"

    def check(rule_id: str, body: str):
        for old in rules.glob("*.yaml"):
            old.unlink()
        (rules / f"{rule_id}.yaml").write_text(head.format(id=rule_id) + body)
        return bounded_k8slint("check", "cm.yaml", "--env", "dev", "--format", "json", cwd=repo, env=recorder.env(), timeout=60)

    result = check("module-template", "template: evil\n")
    assert_clear(result)
    assert result.code == 2 and "template 'evil' is not installed" in result.err
    result = check("path-template", "template: 'os:system'\n")
    assert result.code == 2 and "is not installed" in result.err
    result = check("remote-ref", f"assert:\n  schema: {{$ref: '{recorder.url}/team.json'}}\n  message: m\n")
    assert_clear(result)
    assert result.code == 2 and "points outside the rule" in result.err and "fetches nothing" in result.err
    result = check("format-bomb", "assert:\n  schema: {required: [team]}\n  message: '{kind:>999999999}{name.__class__} {error}'\n")
    assert_clear(result)
    assert result.code == 1 and result.max_rss_mb < rss_bound(7)  # a 1 GB pad would show
    (finding,) = [f for f in result.json["findings"] if f["rule"] == "format-bomb"]
    assert finding["message"] == "{kind:>999999999}{name.__class__} (object) fails required"
    assert not marker.exists() and recorder.connections == []


_CHART = {
    "Chart.yaml": "apiVersion: v2\nname: api\nversion: 0.1.0\n",
    "values.yaml": "tag: latest\n",
    "templates/deployment.yaml": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  namespace: prj-01\nspec:\n"
        "  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n"
        "      containers:\n        - name: api\n          image: \"ghcr.io/acme/api:{{ .Values.tag }}\"\n"
    ),
}


@pytest.mark.parametrize("planted", ["json.py", "json.pyc", "sitecustomize.py"])
@pytest.mark.parametrize("how", ["check", "changed"])
def test_python_files_in_the_linted_repository_are_never_imported(planted: str, how: str, tmp_path: Path):
    """The Helm engine runs in a Python child; started in the repository (CI and pre-commit run
    there) it must not import a module planted at the repository root, as source or compiled."""
    import py_compile

    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    for rel, text in _CHART.items():
        (repo / "helm" / "api" / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / "helm" / "api" / rel).write_text(text)
    marker = tmp_path / "planted-code-ran"
    code = f"open({str(marker)!r}, 'w').write('ran')\n"
    if planted.endswith(".pyc"):
        source = tmp_path / "json_src.py"
        source.write_text(code)
        py_compile.compile(str(source), cfile=str(repo / planted))
    else:
        (repo / planted).write_text(code)
    args = ["check", "--changed", "helm/api/values.yaml"] if how == "changed" else ["check", "helm/api"]
    result = bounded_k8slint(*args, "--env", "production", "--format", "json", cwd=repo,
                             env={"K8SLINT_HELM": "", "PATH": "/usr/bin:/bin"}, timeout=120)
    assert_clear(result)
    assert not marker.exists(), "code from the linted repository ran"
    findings = {(f["rule"], f["location"]["file"]) for f in result.json["findings"]}
    assert ("image-tag-latest", "helm/api/values.yaml") in findings or \
        ("image-tag-latest", "helm/api/templates/deployment.yaml") in findings, findings  # the chart did render
