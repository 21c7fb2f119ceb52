"""The command line as users meet it: exit codes, stdin, JSON contract, config errors, help (in a child
process, as a user runs it; behaviour behind the flags runs in process through `cli`)."""

import json

import jsonschema
import pytest

from conftest import FIXTURES, ROOT, cli, k8slint

DEMO = FIXTURES / "deploy-repo"
OUTPUT_SCHEMA = json.loads((ROOT / "schemas" / "output.schema.json").read_text())

BAD_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: prj-01
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:latest
          readinessProbe: {httpGet: {path: /, port: 80}}
          livenessProbe: {httpGet: {path: /, port: 80}}
          resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {cpu: 500m, memory: 256Mi}}
      imagePullSecrets: [{name: ghcr-secret}]
"""


def test_version_and_help():
    assert k8slint("--version").out.strip().startswith("k8slint ")
    help_text = k8slint("check", "--help").out
    for word in ("--env", "--values", "--format", "--fail-on", "stdin"):
        assert word in help_text


def test_stdin_with_env_reports_stream_lines():
    result = k8slint("check", "-", "--env", "production", "--format", "json", stdin=BAD_DEPLOYMENT)
    assert result.code == 1
    got = result.findings()
    assert ("image-tag-latest", "<stdin>", 13) in got
    assert not [f for f in got if f[0] == "image-tag-policy"]  # one mistake, one finding: `latest` is image-tag-latest's
    jsonschema.validate(result.json, OUTPUT_SCHEMA)


def test_stdin_unknown_env_uses_strictest_policy_and_says_so_once():
    result = k8slint("check", "-", stdin=BAD_DEPLOYMENT)
    assert result.code == 1
    assert result.out.count("environment unknown for <stdin>: applying the production policy") == 1


def test_stdin_development_allows_latest():
    result = k8slint("check", "-", "--env", "dev", stdin=BAD_DEPLOYMENT)
    assert result.code == 0, result.out


def test_empty_input_is_exit_2_unless_allowed():
    result = k8slint("check", "-", "--env", "production", stdin="# nothing\n---\n")
    assert result.code == 2 and "no Kubernetes objects" in result.err and "--allow-empty" in result.err
    assert k8slint("check", "-", "--env", "production", "--allow-empty", stdin="").code == 0


def test_parse_errors_are_findings_with_lines():
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  x: 1\n  x: 2\n---\n- just\n- a list\n---\nkind: Thing\n"
    result = k8slint("check", "-", "--env", "production", "--format", "json", stdin=text)
    assert result.code == 1
    errors = [(f["location"]["line"], f["message"]) for f in result.json["findings"] if f["rule"] == "parse-error"]
    assert errors[0][0] == 7 and "duplicate key 'x'" in errors[0][1]
    assert errors[1][0] == 9 and "not a Kubernetes object" in errors[1][1]
    assert errors[2][0] == 12 and "lacks apiVersion, metadata.name" in errors[2][1]


def test_missing_path_is_exit_2_with_one_sentence():
    result = k8slint("check", "does/not/exist")
    assert result.code == 2 and result.err.startswith("k8slint: error:") and "Traceback" not in result.err


def test_unknown_config_key_names_its_path(tmp_path):
    (tmp_path / ".k8slint.yaml").write_text("rules:\n  image-tag-policy:\n    sevrity: warning\n")
    (tmp_path / "a.yaml").write_text(BAD_DEPLOYMENT)
    result = k8slint("check", "a.yaml", cwd=tmp_path)
    assert result.code == 2
    assert "rules.image-tag-policy: unknown key 'sevrity'" in result.err


def test_config_severity_env_override_and_fail_on(tmp_path):
    (tmp_path / ".k8slint.yaml").write_text(
        "rules:\n  image-tag-policy:\n    env:\n      production: {severity: warning}\n  image-tag-latest: {enabled: false}\n"
    )
    (tmp_path / "prod").mkdir()
    (tmp_path / "prod" / "a.yaml").write_text(BAD_DEPLOYMENT)
    result = cli("check", "prod/a.yaml", "--format", "json", cwd=tmp_path)
    assert result.code == 0
    assert [(f["rule"], f["severity"], f["env"]) for f in result.json["findings"]] == [("image-tag-policy", "warning", "production")]
    assert cli("check", "prod/a.yaml", "--fail-on", "warning", cwd=tmp_path).code == 1


def test_environment_globs_in_config(tmp_path):
    (tmp_path / ".k8slint.yaml").write_text("environments:\n  'clusters/eu-*': staging\n")
    (tmp_path / "clusters" / "eu-1").mkdir(parents=True)
    (tmp_path / "clusters" / "eu-1" / "a.yaml").write_text(BAD_DEPLOYMENT.replace(":latest", ":rc-7"))
    result = cli("check", "clusters/eu-1", "--format", "json", cwd=tmp_path)
    assert result.json["targets"][0]["env"] == "staging" and result.code == 0


def test_suppression_annotation_with_and_without_reason():
    suppressed = BAD_DEPLOYMENT.replace(
        "  namespace: prj-01\n", "  namespace: prj-01\n  annotations:\n    k8slint.io/ignore: image-tag-latest\n", 1
    )  # accepting `latest` here also quiets image-tag-policy, which leaves `latest` to image-tag-latest
    result = cli("check", "-", "--env", "production", "--format", "json", stdin=suppressed)
    assert [(f["rule"], f["severity"], f["location"]["line"]) for f in result.json["findings"]] == [("ignore-without-reason", "info", 7)]
    assert result.code == 0
    reasoned = suppressed.replace("image-tag-latest\n", "image-tag-latest\n    k8slint.io/ignore-reason: legacy\n")
    assert cli("check", "-", "--env", "production", "--format", "json", stdin=reasoned).json["findings"] == []


def test_output_is_deterministic_whatever_the_order_of_targets():
    variant = FIXTURES / "violations"
    a = cli("check", "image-tag-latest/infra/k8s/overlays/production", "readiness-probe/infra/k8s/overlays/production",
                "--format", "json", "--repo-root", ".", cwd=variant)
    b = cli("check", "readiness-probe/infra/k8s/overlays/production", "image-tag-latest/infra/k8s/overlays/production",
                "--format", "json", "--repo-root", ".", cwd=variant)
    assert a.json["findings"] == b.json["findings"] and a.json["findings"]


def test_json_and_text_to_separate_outputs(tmp_path):
    out = tmp_path / "report.json"
    result = k8slint("check", "infra/k8s/overlays/production", "--format", "text", "--format", "json", "--output", "-",
                     "--output", str(out), cwd=FIXTURES / "violations" / "readiness-probe")
    assert result.code == 1 and "readiness-probe" in result.out
    jsonschema.validate(json.loads(out.read_text()), OUTPUT_SCHEMA)


def test_no_color_unless_tty_or_forced():
    variant = FIXTURES / "violations" / "readiness-probe"
    assert "\033[" not in k8slint("check", "infra/k8s/overlays/production", cwd=variant).out
    assert "\033[" in k8slint("check", "infra/k8s/overlays/production", "--color", cwd=variant).out


@pytest.mark.parametrize("command", ["rules", "explain image-tag-policy"])
def test_rule_docs_commands(command):
    result = cli(*command.split())
    assert result.code == 0
    assert "image-tag-policy" in result.out


def test_explain_unknown_rule_suggests():
    result = cli("explain", "image-tag-polcy")
    assert result.code == 2 and "did you mean image-tag-policy" in result.err


class _Exited(Exception):
    pass


def test_the_console_script_ends_without_a_collection_and_the_in_process_command_restores_it(tmp_path, monkeypatch, capsys):
    """The console script exits without freeing what the check built (os._exit): re-enabling the
    cyclic collector first would walk every container of the run for nothing. Called in-process
    (click's runner, a library's host) the command leaves the collector as it found it."""
    import gc
    import signal

    from k8slint import cli as command

    (tmp_path / "bad.yaml").write_text(BAD_DEPLOYMENT, encoding="utf-8")
    args = ["check", str(tmp_path / "bad.yaml"), "--repo-root", str(tmp_path), "--env", "production", "--format", "json"]
    seen = []

    def exit_now(code):
        seen.append((code, gc.isenabled()))
        raise _Exited

    handlers = {name: signal.getsignal(getattr(signal, name)) for name in ("SIGTERM", "SIGINT", "SIGHUP")}
    monkeypatch.setattr(command, "_ending", False)
    monkeypatch.setattr(command.os, "_exit", exit_now)
    monkeypatch.setattr("sys.argv", ["k8slint", *args])
    assert gc.isenabled()
    try:
        with pytest.raises(_Exited):
            command.run()
    finally:
        gc.enable()
        for name, handler in handlers.items():
            signal.signal(getattr(signal, name), handler)
    assert seen == [(1, False)]  # findings: exit 1, the collector still off
    report = json.loads(capsys.readouterr().out)
    assert ("image-tag-latest", "bad.yaml", 13) in [(f["rule"], f["location"]["file"], f["location"]["line"]) for f in report["findings"]]

    monkeypatch.setattr(command, "_ending", False)
    result = cli(*args)
    assert result.code == 1 and ("image-tag-latest", "bad.yaml", 13) in result.findings()
    assert gc.isenabled()  # the in-process command gave it back
