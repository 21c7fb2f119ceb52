"""The linted repository is untrusted (SECURITY.md): each family of the trust model, tested on real
renders with hostile inputs. Markers (MARKER_*) are values that must appear in no output, stderr
or job summary; a recording listener on 127.0.0.1 must never be contacted.

Families: the configuration narrows and never widens; renderer children are isolated and die
with k8slint; the run is bounded (deadline, linear-time regexes, capped messages and output);
no tracebacks; escaping per format; no data loss on output.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from conftest import ROOT, k8slint, write
from test_no_exec import Recorder

MARKER = "MARKER_s3cr3t_9f2c"
DEPLOY = textwrap.dedent("""\
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: api}
    spec:
      selector: {matchLabels: {app: api}}
      template:
        metadata: {labels: {app: api}}
        spec:
          containers:
          - name: api
            image: ghcr.io/acme/api:1.2.3
    """)


@pytest.fixture
def recorder():
    rec = Recorder()
    yield rec
    rec.close()


def overlay_repo(root: Path, config: str = "", extra: dict | None = None) -> Path:
    return write(root, {".k8slint.yaml": config, "app/kustomization.yaml": "resources:\n- deploy.yaml\n",
                        "app/deploy.yaml": DEPLOY, **(extra or {})})


def everything(result) -> str:
    return result.out + result.err


# -- 1. the configuration narrows, never widens ------------------------------------------------
def test_config_cannot_enable_remote_access(tmp_path, recorder):
    repo = overlay_repo(tmp_path / "repo", "kustomize:\n  allow-remote: true\n",
                        {"app/kustomization.yaml": f"resources:\n- deploy.yaml\n- {recorder.url}/base.yaml\n",
                         "ok/kustomization.yaml": "resources:\n- deploy.yaml\n", "ok/deploy.yaml": DEPLOY})
    result = k8slint("check", "app", "ok", "--env", "production", "-o", "json", cwd=repo)
    assert result.code == 1, result.err
    notes = result.json["notes"]
    assert any("kustomize.allow-remote in .k8slint.yaml is ignored" in n and "--allow-remote" in n for n in notes)
    errors = [(f["rule"], f["location"]["file"], f["location"]["line"]) for f in result.json["findings"] if f["rule"] == "render-error"]
    assert errors == [("render-error", "app/kustomization.yaml", 3)]
    assert recorder.connections == []


@pytest.mark.parametrize("value, shown", [("1000000", "1000000"), (".inf", "infinite")])
def test_config_limits_may_only_lower_the_defaults(tmp_path, value, shown):
    repo = overlay_repo(tmp_path, f"limits:\n  render-timeout: {value}\n  max-file-size: 99999999999\n  deadline: {value}\n")
    result = k8slint("check", "app", "--env", "development", "--fail-on", "never", "-o", "json", cwd=repo)
    assert "Exception in thread" not in result.err and "Traceback" not in result.err
    assert result.code == 0, result.err
    notes = result.json["notes"]
    assert any(n.startswith(f"limits.render-timeout: {shown} in .k8slint.yaml is above the default (120)")
               and "--render-timeout" in n for n in notes), notes
    assert any(n.startswith("limits.max-file-size: 99999999999") and "--max-file-size" in n for n in notes)
    assert any(n.startswith(f"limits.deadline: {shown}") and "--deadline" in n for n in notes)


def test_config_limits_below_the_default_are_used(tmp_path):
    repo = overlay_repo(tmp_path, "limits:\n  max-file-size: 10\n")
    result = k8slint("check", "app", "--env", "development", "-o", "json", cwd=repo)
    assert result.code == 1, result.err
    [finding] = [f for f in result.json["findings"] if f["rule"] == "render-error"]
    assert (finding["location"]["file"], finding["location"]["line"]) == ("app/kustomization.yaml", 1)
    assert finding["message"].startswith("app/kustomization.yaml (25 bytes) is over limits.max-file-size (10 bytes)")


@pytest.mark.parametrize("config", [
    "targets: [{outside}]", "targets: [../outside]", "custom-rules: [../outside/rule.yaml]", "crds: [/etc]",
    "crds: [../outside]", "baseline: ../outside/b.json", "helm:\n  chart-search: [../outside]", "targets: [link]",
    "custom-rules: [link/rule.yaml]",
])
def test_config_paths_stay_inside_the_repository(tmp_path, config):
    outside = write(tmp_path / "outside", {"rule.yaml": f"id: x\nsummary: {MARKER}\n", "b.json": MARKER,
                                           "kustomization.yaml": f"resources: []\n# {MARKER}\n"})
    repo = overlay_repo(tmp_path / "repo", config.format(outside=outside))
    (repo / "link").symlink_to(outside)
    result = k8slint("check", "app", cwd=repo)
    assert result.code == 2, everything(result)
    key = config.split(":")[0] if not config.startswith("helm") else "helm.chart-search"
    assert result.err.startswith(f"k8slint: error: invalid configuration: .k8slint.yaml: {key}: ")
    assert "is outside the repository" in result.err and result.err.count("\n") == 1
    assert MARKER not in everything(result)


def test_the_command_line_may_name_paths_outside_the_repository(tmp_path):
    crds = write(tmp_path / "crds", {"widget.yaml": textwrap.dedent("""\
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {name: widgets.acme.io}
        spec:
          group: acme.io
          names: {kind: Widget, plural: widgets}
          scope: Namespaced
          versions:
          - name: v1
            served: true
            storage: true
            schema: {openAPIV3Schema: {type: object}}
        """)})
    repo = overlay_repo(tmp_path / "repo")
    result = k8slint("check", "app", "--env", "development", "--fail-on", "never", "--crd", str(crds), cwd=repo)
    assert result.code == 0, everything(result)


def test_kustomization_reaching_outside_the_repository_is_a_render_error(tmp_path):
    write(tmp_path / "sibling", {"kustomization.yaml": "resources:\n- secret.yaml\n",
                                 "secret.yaml": f"apiVersion: v1\nkind: Secret\nmetadata: {{name: {MARKER}}}\n"})
    repo = overlay_repo(tmp_path / "repo", extra={"app/kustomization.yaml": "resources:\n- deploy.yaml\n- ../../sibling\n",
                                                  "ok/kustomization.yaml": "resources:\n- deploy.yaml\n", "ok/deploy.yaml": DEPLOY})
    result = k8slint("check", "app", "ok", "--env", "production", "-o", "json", cwd=repo)
    found = [(f["rule"], f["location"]["file"], f["location"]["line"]) for f in result.json["findings"] if f["rule"] == "render-error"]
    assert found == [("render-error", "app/kustomization.yaml", 3)]
    message = next(f["message"] for f in result.json["findings"] if f["rule"] == "render-error")
    assert "'../../sibling' is outside the repository" in message
    assert MARKER not in everything(result)


@pytest.mark.parametrize("via_link", [False, True])
def test_chart_dependency_outside_the_repository_is_a_render_error(tmp_path, via_link):
    write(tmp_path / "outside/dep", {"Chart.yaml": "apiVersion: v2\nname: dep\nversion: 0.1.0\n",
                                     "templates/cm.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {MARKER}}}\n"})
    repository = "file://./vendor/dep" if via_link else "file://../../outside/dep"
    repo = write(tmp_path / "repo", {".k8slint.yaml": "", "chart/values.yaml": "a: 1\n", "chart/Chart.yaml": textwrap.dedent(f"""\
        apiVersion: v2
        name: chart
        version: 0.1.0
        dependencies:
        - name: dep
          version: 0.1.0
          repository: {repository}
        """), "chart/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: own}\n"})
    if via_link:
        (repo / "chart/vendor").mkdir()
        (repo / "chart/vendor/dep").symlink_to(tmp_path / "outside/dep")
    result = k8slint("check", "chart", "--env", "development", "-o", "json", cwd=repo)
    assert result.code == 1, everything(result)  # the only target could not be rendered: a located finding
    [finding] = result.json["findings"]
    assert (finding["rule"], finding["location"]["file"], finding["location"]["line"]) == ("render-error", "chart/Chart.yaml", 5)
    assert finding["message"].startswith("chart chart depends on dep from") and "outside the repository" in finding["message"]
    assert result.json["targets"][0]["failed"] is True
    assert MARKER not in everything(result)


def test_a_chart_link_is_followed_from_its_place_in_the_repository_not_from_the_render_folder(tmp_path):
    """A chart with a dependency is linked into a temporary folder for Helm; a relative link of
    the chart, copied as it is, would be read from there: ``../../../../<outside>`` names nothing
    inside the repository (a dangling link there) but a file outside it from the temporary folder."""
    outside = tmp_path / "outside.txt"
    outside.write_text(f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {MARKER}\nspec:\n  containers:\n"
                       f"    - name: {MARKER}\n      image: {MARKER}:latest\n")  # findings that name it, if Helm read it
    depth = len(Path(tempfile.gettempdir()).resolve().parts)  # enough ../ to reach / from the render folder
    up = "../" * (depth + 3)
    repo = write(tmp_path / "repo", {".k8slint.yaml": "", "a/b/c/lib/Chart.yaml": "apiVersion: v2\nname: lib\nversion: 1.0.0\ntype: library\n",
                                     "a/b/c/app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n"
                                                             "  - name: lib\n    version: 1.x.x\n    repository: oci://registry.example.com/x\n",
                                     "a/b/c/app/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: own}\n",
                                     "a/b/c/app/templates/more.yaml": '{{ .Files.Get "data.txt" }}\n'})
    (repo / "a/b/c/app/data.txt").symlink_to(up + str(outside).lstrip("/"))
    assert not (repo / "a/b/c/app/data.txt").exists()  # dangling where it is
    result = k8slint("check", "a/b/c/app", "-o", "json", "--no-cache", cwd=repo)
    assert result.code in (0, 1), everything(result)
    assert MARKER not in everything(result)
    assert any("dependency lib taken from a/b/c/lib" in note for note in result.json["notes"])


# -- 2. isolated children ----------------------------------------------------------------------
PROBE = r'''
import ctypes, json, os, resource, socket, sys, time
report = {"env": dict(os.environ), "cwd": os.getcwd(), "cwd_files": os.listdir("."),
          "data": resource.getrlimit(resource.RLIMIT_DATA)[0], "core": resource.getrlimit(resource.RLIMIT_CORE)[0]}
sig = ctypes.c_int()
ctypes.CDLL(None).prctl(2, ctypes.byref(sig), 0, 0, 0)  # PR_GET_PDEATHSIG
report["pdeathsig"] = sig.value
try:
    socket.create_connection(("127.0.0.1", int(os.environ.get("PROBE_PORT", sys.argv[2]))), timeout=2).close()
    report["network"] = "connected"
except OSError as exc:
    report["network"] = str(exc)
with open(sys.argv[1], "w") as out:
    json.dump({**report, "pid": os.getpid()}, out)
if os.path.exists(sys.argv[1] + ".sleep"):
    time.sleep(120)
print("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: probed}")
'''


def probe_env(tmp_path: Path, port: int, sleep: bool = False) -> tuple[dict, Path]:
    """K8SLINT_KUSTOMIZE (the trusted environment) pointing at a probe that records what a renderer child sees."""
    script = tmp_path / "probe.py"
    script.write_text(PROBE)
    report = tmp_path / "probe.json"
    if sleep:
        Path(str(report) + ".sleep").write_text("")
    secrets = {"GITHUB_TOKEN": MARKER, "AWS_SECRET_ACCESS_KEY": MARKER, "KUBECONFIG": "/root/.kube/" + MARKER,
               "HTTPS_PROXY": f"http://user:{MARKER}@127.0.0.1:{port}", "PYTHONPATH": str(tmp_path)}
    return {"K8SLINT_KUSTOMIZE": f"{sys.executable} {script} {report} {port}", **secrets}, report


def test_renderer_children_are_isolated(tmp_path, recorder):
    repo = overlay_repo(tmp_path / "repo")
    env, report = probe_env(tmp_path, recorder.port)
    result = k8slint("check", "app", "--env", "development", "--fail-on", "never", "--render-memory", "1G", cwd=repo, env=env)
    assert result.code == 0, everything(result)
    seen = json.loads(report.read_text())
    assert MARKER not in json.dumps(seen["env"])
    assert not {"GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "PYTHONPATH"} & set(seen["env"])
    assert seen["env"]["HTTPS_PROXY"] == "http://127.0.0.1:9"
    home = seen["env"]["HOME"]
    assert Path(home).name == "home" and Path(seen["cwd"]).parent == Path(home).parent and "k8slint-run-" in home
    assert seen["cwd_files"] == [] and seen["cwd"] != str(repo)
    assert not seen["env"]["KUBECONFIG"].startswith("/root")
    assert seen["data"] == 1 << 30 and seen["core"] == 0
    assert seen["pdeathsig"] == signal.SIGKILL
    assert seen["network"] != "connected" and recorder.connections == []
    assert not Path(home).exists()  # removed with the render


def _wait_for(path: Path, seconds: float = 30) -> dict:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            time.sleep(0.05)
    raise AssertionError(f"{path} never written")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("how", ["SIGTERM", "SIGINT", "SIGKILL"])
def test_a_stopped_run_leaves_no_process_and_no_temporary_folder(tmp_path, recorder, how):
    repo = overlay_repo(tmp_path / "repo")
    temp = tmp_path / "tmp"
    temp.mkdir()
    env, report = probe_env(tmp_path, recorder.port, sleep=True)
    full = dict(os.environ, **env, TMPDIR=str(temp), K8SLINT_DEBUG="1")
    proc = subprocess.Popen([sys.executable, "-m", "k8slint", "check", "app", "--env", "development", "--render-timeout", "100"],
                            cwd=repo, env=full, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        child = _wait_for(report)["pid"]
        assert _alive(child)
        started = time.monotonic()
        proc.send_signal(getattr(signal, how))
        proc.wait(timeout=10)
        assert time.monotonic() - started < 5  # promptly, not at the render timeout
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    assert proc.returncode == -getattr(signal, how)
    end = time.monotonic() + 5
    while _alive(child) and time.monotonic() < end:
        time.sleep(0.05)
    assert not _alive(child)
    if how != "SIGKILL":  # a killed process cannot clean up; its child still dies with it
        assert [p.name for p in temp.iterdir() if p.name.startswith("k8slint-")] == []


BOMB = """\
{{- $s := "aaaaaaaaaaaaaaaa" }}
{{- range until 40 }}{{- $s = print $s $s }}{{- end }}
apiVersion: v1
kind: ConfigMap
metadata: {name: x}
data: {a: {{ len $s | quote }}}
"""


def test_a_renderer_that_eats_memory_is_stopped_at_the_cap(tmp_path):
    repo = write(tmp_path, {".k8slint.yaml": "", "chart/Chart.yaml": "apiVersion: v2\nname: bomb\nversion: 0.1.0\n",
                            "chart/templates/cm.yaml": BOMB})
    started = time.monotonic()
    result = k8slint("check", "chart", "--env", "development", "--render-memory", "400M", "-o", "json", cwd=repo)
    assert result.code == 1, everything(result)
    [finding] = result.json["findings"]
    assert (finding["rule"], finding["location"]["file"]) == ("render-error", "chart/Chart.yaml")
    assert "needed more than 419,430,400 bytes of memory and was stopped (limits.render-memory; raise it with --render-memory)" in finding["message"]
    assert time.monotonic() - started < 60


def test_a_schema_bom_does_not_hide_a_remote_reference(tmp_path, recorder):
    repo = write(tmp_path, {".k8slint.yaml": "", "chart/Chart.yaml": "apiVersion: v2\nname: c\nversion: 0.1.0\n",
                            "chart/values.yaml": "a: 1\n",
                            "chart/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"})
    (repo / "chart/values.schema.json").write_bytes(b"\xef\xbb\xbf" + json.dumps({"$ref": f"{recorder.url}/s.json"}).encode())
    result = k8slint("check", "chart", "--env", "development", "-o", "json", cwd=repo)
    assert result.code == 0, everything(result)
    assert any("values validated without" in n and "k8slint fetches nothing" in n for n in result.json["notes"])
    assert recorder.connections == []


# -- 3. bounds for the whole run -------------------------------------------------------------------
@pytest.mark.parametrize("where", ["flag", "config"])
def test_the_run_stops_at_its_deadline(tmp_path, recorder, where):
    # 4 s: the sleeping renderer must have started before the deadline, also on a loaded machine
    repo = overlay_repo(tmp_path / "repo", "limits:\n  deadline: 4\n" if where == "config" else "")
    env, report = probe_env(tmp_path, recorder.port, sleep=True)
    args = ["--deadline", "4"] if where == "flag" else []
    started = time.monotonic()
    result = k8slint("check", "app", "--env", "development", *args, cwd=repo, env=env)
    assert time.monotonic() - started < 30
    assert result.code == 2
    assert result.err == ("k8slint: error: the run took longer than its deadline of 4s and was stopped "
                          "(limits.deadline; raise it with --deadline)\n")
    assert not _alive(json.loads(report.read_text())["pid"])


POLICY_TAGS = """\
rules:
  image-tag-policy:
    params:
      allowed:
        production: ['v(\\d+|\\d+\\.)+']
"""


def test_config_regexes_run_in_linear_time(tmp_path):
    tag = "v" + "1" * 5000 + "!"
    repo = overlay_repo(tmp_path, POLICY_TAGS, {"app/deploy.yaml": DEPLOY.replace("1.2.3", tag)})
    started = time.monotonic()
    result = k8slint("check", "app", "--env", "production", "-o", "json", cwd=repo)
    assert time.monotonic() - started < 30
    assert result.code == 1, result.err
    found = [f for f in result.json["findings"] if f["rule"] == "image-tag-policy"]
    assert [(f["location"]["file"], f["location"]["line"]) for f in found] == [("app/deploy.yaml", 11)]


@pytest.mark.parametrize("pattern, what", [("v(\\d)\\1", "a backreference"), ("v(?=1)", "a lookahead or lookbehind"),
                                           ("v\\d++", "an atomic group or a possessive quantifier")])
def test_regexes_re2_cannot_run_are_refused_in_one_sentence(tmp_path, pattern, what):
    repo = overlay_repo(tmp_path, POLICY_TAGS.replace("v(\\d+|\\d+\\.)+", pattern))
    result = k8slint("check", "app", "--env", "production", cwd=repo)
    assert result.code == 2, everything(result)
    assert result.err.startswith("k8slint: error: rule image-tag-policy")
    assert f"uses {what}, which k8slint's linear-time engine (RE2) does not support" in result.err
    assert result.err.count("\n") == 1  # one sentence, and RE2 logged nothing


CUSTOM_RULE = """\
id: name-shape
severity: error
category: naming
summary: names are lowercase words joined by dashes
description: d
rationale: r
remediation: rename it
scope: object
kinds: [ConfigMap]
assert:
  schema:
    type: object
    properties:
      metadata:
        properties:
          name: {type: string, pattern: '^([a-z0-9]+-?)+$'}
  message: "{kind} {name}: {error}"
"""


def test_custom_rule_patterns_run_in_linear_time(tmp_path):
    name = "a" * 20000 + "!"
    repo = write(tmp_path, {".k8slint.yaml": "custom-rules: [rules]\n", "rules/name-shape.yaml": CUSTOM_RULE,
                            "m/cm.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: '{name}'\n"})
    started = time.monotonic()
    result = k8slint("check", "m", "--env", "development", "--select", "name-shape", "-o", "json", cwd=repo)
    assert time.monotonic() - started < 30
    assert result.code == 1, result.err
    assert [(f["rule"], f["location"]["file"], f["location"]["line"]) for f in result.json["findings"]] == [
        ("name-shape", "m/cm.yaml", 4)]


def test_custom_rule_pattern_with_a_backreference_is_a_rule_error(tmp_path):
    repo = write(tmp_path, {".k8slint.yaml": "custom-rules: [rules]\n",
                            "rules/name-shape.yaml": CUSTOM_RULE.replace("^([a-z0-9]+-?)+$", "^(a)\\1$"),
                            "m/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"})
    result = k8slint("check", "m", "--env", "development", cwd=repo)
    assert result.code == 2
    assert "rules/name-shape.yaml: assert.schema: regular expression '^(a)\\1$' uses a backreference" in result.err


def test_long_lists_and_values_in_messages_are_capped():
    services = "".join(f"---\napiVersion: v1\nkind: Service\nmetadata: {{name: svc-{i:04}, labels: {{team: a}}}}\n"
                       f"spec:\n  selector: {{app: a}}\n  ports: [{{name: web, port: 80}}]\n" for i in range(2000))
    monitor = ("---\napiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: mon}\n"
               "spec:\n  selector: {matchLabels: {team: a}}\n  endpoints: [{port: metrics}]\n")
    image = "ghcr.io/acme/" + "x" * 200_000 + ":latest"
    pod = (f"---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n  containers:\n  - name: c\n"
           f"    image: {image}\n")
    started = time.monotonic()
    result = k8slint("check", "-", "--env", "production", "-o", "json", stdin=services + monitor + pod)
    assert time.monotonic() - started < 60
    findings = result.json["findings"]
    wiring = [f["message"] for f in findings if f["rule"] == "servicemonitor-wiring" and "scrapes port" in f["message"]]
    assert len(wiring) == 1 and "svc-0000, svc-0001, svc-0002, svc-0003, svc-0004 and 1995 more" in wiring[0]
    assert all(len(f["message"]) <= 1000 for f in findings)
    latest = [f["message"] for f in findings if f["rule"] == "image-tag-latest"]
    assert latest and "characters not shown" in latest[0]
    assert max(len(json.dumps(f)) for f in findings) < 5000


def test_output_is_capped_per_format_with_a_note(tmp_path, monkeypatch):
    from k8slint import report as report_module
    from k8slint.formatters import Run, summarize
    from k8slint.model import Finding, Location

    findings = [Finding("resources", "error", f"message {i}", Location(f"f{i}.yaml", 1), "t", "production")
                for i in range(200)]
    run = report_module.Report("0", findings=findings)
    run.summary = summarize(findings, Run("0"), False)
    monkeypatch.setattr(report_module, "MAX_OUTPUT", 50_000)
    out = tmp_path / "out.json"
    report_module.write(run, [("json", str(out))])
    data = json.loads(out.read_text())
    assert 0 < len(data["findings"]) < 200
    assert any(f"{200 - len(data['findings'])} of 200 findings not shown" in n for n in data["notes"])


# -- 4. no tracebacks --------------------------------------------------------------------------------
GUARDED = """\
import sys
import k8slint.api
def boom(*args, **kwargs):
    exc = RuntimeError("unexpected")
    exc.add_note("k8slint input: app\\n::error::x")
    raise exc
k8slint.api.run = boom
sys.argv = ["k8slint", "check", sys.argv[1]]
from k8slint.cli import run
run()
"""


@pytest.mark.parametrize("debug", [False, True])
def test_the_last_resort_guard(tmp_path, debug):
    repo = overlay_repo(tmp_path)
    env = dict(os.environ, K8SLINT_DEBUG="1" if debug else "0", PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", GUARDED, "app"], cwd=repo, env=env, capture_output=True, text=True)
    if debug:
        assert "Traceback" in proc.stderr and "RuntimeError: unexpected" in proc.stderr
        return
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith("k8slint: error: internal error (RuntimeError) while checking app\\n::error::x;")
    assert "please report it" in proc.stderr and proc.stderr.count("\n") == 1


@pytest.mark.parametrize("config, expected", [
    ("rules:\n  image-tag-policy:\n    params:\n      allowed: {production: [20260202]}\n", "not a regular expression"),
    ("limits:\n  render-timeout: .nan\n", "limits.render-timeout"),
])
def test_config_of_the_wrong_type_is_exit_2_without_a_traceback(tmp_path, config, expected):
    repo = overlay_repo(tmp_path, config)
    result = k8slint("check", "app", "--env", "production", cwd=repo, env={"K8SLINT_DEBUG": "0"})
    assert result.code == 2 and "Traceback" not in result.err
    assert expected in result.err


@pytest.mark.parametrize("size", ["inf", "nan", "1e400"])
def test_a_size_that_is_not_a_size(tmp_path, size):
    result = k8slint("check", "-", "--max-file-size", size, stdin="")
    assert result.code == 2 and "Traceback" not in result.err and "is not a size" in result.err


# -- 5. escaping per format -----------------------------------------------------------------------------
HOSTILE = "ov\n::error file=README.md::INJECTED\n::add-mask::x\r\x1b]8;;https://evil.example\x07`@octocat ![p](https://t.example/p.png)\x01"


def test_repository_strings_cannot_inject_into_any_output(tmp_path):
    import xml.etree.ElementTree as ET

    repo = overlay_repo(tmp_path, extra={f"{HOSTILE}/kustomization.yaml": "resources:\n- deploy.yaml\n",
                                         f"{HOSTILE}/deploy.yaml": DEPLOY.replace("1.2.3", "latest")})
    summary = tmp_path / "summary.md"
    outs = {name: tmp_path / f"out.{name}" for name in ("json", "sarif", "junit", "markdown", "concise", "text")}
    args = [arg for name, path in outs.items() for arg in ("-o", name, "--output", str(path))]
    result = k8slint("check", HOSTILE, "--env", "production", *args, "-o", "github", cwd=repo,
                     env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert result.code == 1, result.err
    texts = {name: path.read_text() for name, path in outs.items()}
    texts.update(github=result.out, stderr=result.err, summary=summary.read_text())
    for name, text in texts.items():
        raw = [ch for ch in text if (ord(ch) < 32 and ch not in "\n\t") or 0x7f <= ord(ch) <= 0x9f]
        assert raw == [], (name, raw)
        for line in text.splitlines():
            assert not line.startswith(("::add-mask", "::error file=README.md")), (name, line)
    assert all(line.startswith(("::error ", "::warning ", "::notice ", "k8slint ")) for line in result.out.splitlines())
    ET.fromstring(texts["junit"])
    for name in ("markdown", "summary"):
        md = outside_code_spans(texts[name])
        assert "HOSTILE" not in md
        assert "![p](" not in md and "](https://t" not in md and "@octocat" not in md and "<img" not in md
        assert "`" not in md.replace("\\`", "")  # every backtick of the folder name escaped or inside a span
    assert json.loads(texts["json"])["findings"][0]["location"]["file"].startswith(os.path.normpath(HOSTILE))  # JSON keeps it


def test_a_custom_rules_own_text_is_escaped_by_rules_and_explain(tmp_path):
    """`k8slint rules` and `explain` print a custom rule's summary, description and examples: text
    of the repository, shown with its control characters escaped and no workflow command."""
    rule = (ROOT / "fixtures/custom-rules/.k8slint/rules/production-min-replicas.yaml").read_text()
    shown = r"Replicas \x1b]8;;https://evil.example\x07here\x1b[2J"  # YAML's escapes, and how k8slint shows them
    rule = rule.replace("summary: Production Deployments run at least 2 replicas.", f'summary: "{shown}"')
    rule = rule.replace("description: |\n", "description: |\n  ::error file=README.md::INJECTED\n", 1)
    (tmp_path / ".k8slint" / "rules").mkdir(parents=True)
    (tmp_path / ".k8slint" / "rules" / "production-min-replicas.yaml").write_text(rule)
    (tmp_path / ".k8slint.yaml").write_text("{}\n")
    for args in (("rules",), ("rules", "--format", "markdown"), ("explain", "production-min-replicas")):
        result = k8slint(*args, cwd=tmp_path)
        assert result.code == 0, result.err
        assert "\x1b" not in result.out and "\x07" not in result.out, args
        assert shown in result.out, args
        assert not any(line.lstrip().startswith("::") for line in result.out.splitlines()), args
    assert "INJECTED" in k8slint("explain", "production-min-replicas", cwd=tmp_path).out  # shown, defused


def outside_code_spans(markdown: str) -> str:
    """The Markdown text with its code spans (rendered literally) removed, as a renderer reads them."""
    import re

    span = re.compile(r"(?<![`\\])(`+)(?!`)(.*?)(?<!`)\1(?!`)")
    return "\n".join(span.sub("", line) for line in markdown.splitlines())


# -- 6. no data loss ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("args, output, what", [
    (["m/cm.yaml"], "m/cm.yaml", "an input file"),
    (["app"], "app/deploy.yaml", "an input file"),
    (["app"], ".k8slint.yaml", "the configuration"),
    (["app", "--baseline", "b.json"], "b.json", "the baseline"),
])
def test_an_output_never_replaces_what_the_run_reads(tmp_path, args, output, what):
    repo = overlay_repo(tmp_path, "fail-on: error\n", {"m/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
                                                        "b.json": '{"format": "k8slint-baseline/v1", "findings": []}\n'})
    before = (repo / output).read_bytes()
    result = k8slint("check", *args, "--env", "development", "-o", "text", "-o", "json", "--output", output, cwd=repo)
    assert result.code == 2 and result.out == ""
    assert result.err == f"k8slint: error: --output {output}: is {what} this run reads; k8slint does not write over its input (write the report elsewhere)\n"
    assert (repo / output).read_bytes() == before


@pytest.mark.parametrize("target", [".k8slint.yaml", "notes.txt"])
def test_write_baseline_replaces_only_a_baseline(tmp_path, target):
    repo = overlay_repo(tmp_path, "fail-on: error\n", {"notes.txt": "keep me\n"})
    before = (repo / target).read_bytes()
    result = k8slint("check", "app", "--write-baseline", target, cwd=repo)
    assert result.code == 2 and result.out == ""
    assert ("is a configuration file" if target == ".k8slint.yaml" else "exists and is not a k8slint baseline") in result.err
    assert (repo / target).read_bytes() == before


@pytest.mark.parametrize("output", ["missing/report.json", "app"])
def test_an_unwritable_output_is_exit_2_before_anything_is_written(tmp_path, output):
    repo = overlay_repo(tmp_path)
    result = k8slint("check", "app", "--env", "production", "-o", "text", "-o", "json", "--output", output, cwd=repo)
    assert result.code == 2 and result.out == ""
    assert result.err.startswith(f"k8slint: error: --output {output}: ")


def test_outputs_are_written_atomically(tmp_path):
    from k8slint.outputs import atomic

    target = tmp_path / "report.json"
    target.write_text("old")
    target.chmod(0o640)
    with pytest.raises(RuntimeError):
        with atomic(target) as stream:
            stream.write("half")
            raise RuntimeError
    assert target.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]
    with atomic(target) as stream:
        stream.write("new")
    assert target.read_text() == "new" and (target.stat().st_mode & 0o777) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_a_folder_name_cannot_add_to_the_kustomize_wrapper(tmp_path, recorder):
    name = f"app\n- {recorder.url}/evil.yaml\n#"
    repo = overlay_repo(tmp_path, extra={f"{name}/kustomization.yaml": "resources:\n- deploy.yaml\n", f"{name}/deploy.yaml": DEPLOY})
    result = k8slint("check", name, "--env", "development", "--fail-on", "never", "-o", "json", cwd=repo)
    assert result.code == 0, result.err
    assert [t["objects"] for t in result.json["targets"]] == [1]
    assert recorder.connections == []


# -- 7. secret values in renderer errors (their wording is issue 12's; these hold it to no leak) -----------
LEAK_SECRET = "hunter2" + MARKER
LEAKS = {
    "secret-generator-literal-typo": {
        "app/kustomization.yaml": f"resources:\n- deploy.yaml\nsecretGenerator:\n- name: db\n  literals:\n  - password:{LEAK_SECRET}\n"},
    "env-file-bad-utf8": {
        "app/kustomization.yaml": "resources:\n- deploy.yaml\nsecretGenerator:\n- name: db\n  envs:\n  - db.env\n",
        "app/db.env": f"PASSWORD={LEAK_SECRET}\udcff\n"},
    "replacement-index-out-of-bounds": {
        "app/kustomization.yaml": textwrap.dedent("""\
            resources:
            - deploy.yaml
            configMapGenerator:
            - name: db
              literals:
              - url=postgres://app:%s@db
            replacements:
            - source: {kind: ConfigMap, name: db, fieldPath: data.url}
              targets:
              - select: {kind: Deployment}
                fieldPaths: [spec.template.spec.containers.5.env.0.value]
            """) % LEAK_SECRET},
    "schema-pattern-on-a-password": {
        "chart/Chart.yaml": "apiVersion: v2\nname: chart\nversion: 0.1.0\n",
        "chart/values.yaml": f"db:\n  password: {LEAK_SECRET}\n",
        "chart/values.schema.json": json.dumps({"type": "object", "properties": {"db": {"type": "object", "properties": {
            "password": {"type": "string", "pattern": "^[a-z]{4}$"}}}}}),
        "chart/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"},
    "tpl-of-a-password-with-braces": {
        "chart/Chart.yaml": "apiVersion: v2\nname: chart\nversion: 0.1.0\n",
        "chart/values.yaml": f"password: '{LEAK_SECRET}{{{{'\n",
        "chart/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  p: {{ tpl .Values.password . | quote }}\n"},
}
# kustomize's and Helm's error text never reaches an output: render errors are in k8slint's words (issue 12)
LEAK_FORMS = (MARKER, " ".join(str(b) for b in MARKER.encode()))  # as text, and as kustomize prints bytes


@pytest.mark.parametrize("case", list(LEAKS))
def test_renderer_errors_never_show_a_secret_value(tmp_path, case):
    files = LEAKS[case]
    repo = overlay_repo(tmp_path / "repo", "", {k: v for k, v in files.items() if not k.endswith(".env")})
    for rel, text in files.items():
        if rel.endswith(".env"):
            (repo / rel).write_bytes(text.encode("utf-8", "surrogateescape"))
    target = "chart" if "chart/Chart.yaml" in files else "app"
    summary = tmp_path / "summary.md"
    outs = {name: tmp_path / f"out.{name}" for name in ("json", "sarif", "junit", "markdown", "concise", "text")}
    args = [arg for name, path in outs.items() for arg in ("-o", name, "--output", str(path))]
    result = k8slint("check", target, "ok", "--env", "production", *args, "-o", "github", cwd=write(repo, {
        "ok/kustomization.yaml": "resources:\n- deploy.yaml\n", "ok/deploy.yaml": DEPLOY}),
        env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert result.code == 1, result.err  # the broken target is a finding, the other one renders
    shown = {name: path.read_text(errors="replace") for name, path in outs.items()}
    shown.update(github=result.out, stderr=result.err, summary=summary.read_text())
    assert any("render-error" in text for text in shown.values())
    assert [name for name, text in shown.items() if any(form in text for form in LEAK_FORMS)] == []


# -- 5b. a property: no repository string injects into any format ----------------------------------------
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

INJECTIONS = st.sampled_from([
    "\n::error file=README.md::INJECTED", "\n::add-mask::x", "\r::warning::x", "\x1b]8;;https://evil\x07link\x1b]8;;\x07",
    "\x1b[2K\x1b[1A", "`", "``", "](https://evil)", "![p](https://t/p.png)", "<img src=x>", "@octocat", "%0A::error::x",
    "\x85", "\u2028", "\u202e", "\x00", "\x7f", "\x0c", "\ud800", "www.evil.com", "::", "|", "\\",
])
REPO_TEXT = st.lists(st.one_of(INJECTIONS, st.text(max_size=8)), max_size=6).map("".join)
FORMATS = ("text", "concise", "json", "sarif", "junit", "github", "markdown")


def _controls(text: str) -> list[str]:
    return [ch for ch in text if (ord(ch) < 32 and ch not in "\n\t") or 0x7f <= ord(ch) <= 0x9f]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(REPO_TEXT, REPO_TEXT, REPO_TEXT, REPO_TEXT)
def test_no_format_lets_a_repository_string_through_raw(monkeypatch, message, file, target, name):
    import io
    import xml.etree.ElementTree as ET

    from k8slint import formatters
    from k8slint.formatters import TargetInfo
    from k8slint.model import Finding, Location
    from k8slint.report import Report

    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    finding = Finding("resources", "error", "msg " + message, Location(file or "f.yaml", 3), target, "production",
                      {"apiVersion": "v1", "kind": "ConfigMap", "namespace": name, "name": name},
                      related=[Location(file, 2)])
    report = Report("0", [TargetInfo(target, "kustomize", "production", "path", 1, False, target)], notes=[f"note {name}"],
                    findings=[finding], repo_root="/repo")
    report.summary = formatters.summarize([finding], report, False)
    for fmt in FORMATS:
        out = io.StringIO()
        formatter = formatters.get(fmt)(out, color=False)
        formatter.start(report)
        formatter.finding(finding)
        formatter.finish(report.summary)
        text = out.getvalue()
        assert _controls(text) == [], (fmt, _controls(text))
        assert not any("\ud800" <= ch <= "\udfff" for ch in text), fmt
        lines = text.splitlines()
        if fmt == "github":
            assert all(line.startswith(("::error ", "::warning ", "::notice ", "k8slint ")) for line in lines), lines
            assert len(lines) == 3  # the note, the finding, the verdict: nothing split off
        else:
            assert not any(line.lstrip().startswith("::") for line in lines), (fmt, lines)
        if fmt == "junit":
            ET.fromstring(text)
        if fmt in ("json", "sarif"):
            json.loads(text)
        if fmt == "markdown":
            plain = outside_code_spans(text)
            assert "](https://evil" not in plain and "<img" not in plain and "@octocat" not in plain, plain
