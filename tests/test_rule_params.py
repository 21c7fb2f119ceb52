"""Rule params set in .k8slint.yaml change what the A-E rules accept (real kustomize renders)."""

from __future__ import annotations

import shutil

from conftest import FIXTURES, cli, lint


def _copy(tmp_path, rule: str, side: str, config: str):
    target = tmp_path / rule
    shutil.copytree(FIXTURES / "rules" / rule / side, target)
    (target / ".k8slint.yaml").write_text(config)
    return target


def _found(folder, rule: str, env: str = "production") -> list[dict]:
    result = cli("check", ".", "--env", env, "--format", "json", cwd=folder)
    assert result.code in (0, 1), result.err
    return [f for f in result.json["findings"] if f["rule"] == rule]


def test_storage_class_allow_list_from_config(tmp_path):
    config = "rules:\n  pvc-storage-class:\n    params:\n      allowed: [longhorn]\n"
    folder = _copy(tmp_path, "pvc-storage-class", "pass", config)
    found = _found(folder, "pvc-storage-class")
    # local-path is explicit but not allowed any more; storageClassName "" (static binding) still is
    assert [(f["object"]["name"], f["location"]["file"], f["location"]["line"]) for f in found] == [
        ("observer-db-pvc", "pvc.yaml", 10)]
    assert "uses storageClassName 'local-path', which is not an allowed class (longhorn)" in found[0]["message"]


def test_registry_allow_list_and_public_ghcr_packages(tmp_path):
    config = ("rules:\n  image-registry:\n    params:\n      allowed: ['ghcr.io/*', 'docker.io/library/*']\n"
              "  image-pull-secret:\n    params:\n      public: ['ghcr.io/acme/api-report']\n")
    registry = _copy(tmp_path, "image-registry", "fail", config)
    assert _found(registry, "image-registry") == []
    pull = _copy(tmp_path, "image-pull-secret", "fail", config)
    assert [f["object"]["name"] for f in _found(pull, "image-pull-secret")] == ["api"]


def test_resources_requirements_from_config(tmp_path):
    config = "rules:\n  resources:\n    params:\n      require: [requests.cpu, requests.memory, limits.memory]\n"
    folder = _copy(tmp_path, "resources", "fail", config)
    found = _found(folder, "resources")
    assert [f["message"].split(": apps share")[0] for f in found] == [
        "init container 'wait-for-db' of Deployment prj-01/observer sets no requests.cpu, requests.memory, limits.memory",
        "container 'observer' of Deployment prj-01/observer sets no limits.memory",
    ]


def test_overlay_rule_is_off_in_development(tmp_path):
    """`envs: [staging, production]`: the same overlay that fails in production is not checked by the rule
    in development (it renders, and the rule is not in force there)."""
    folder = FIXTURES / "rules" / "overlay-sets-image-tag" / "fail"

    def check(env: str):
        report = lint("overlays/production", cwd=folder, env=env).report
        (target,) = report.targets
        assert target.objects and not target.failed
        return target, [f.location.file for f in report.findings if f.rule == "overlay-sets-image-tag"]

    production, found = check("production")
    assert "overlay-sets-image-tag" in production.rules and found
    development, found = check("development")
    assert "overlay-sets-image-tag" not in development.rules and found == []


def test_source_finding_is_suppressed_by_the_objects_annotation(tmp_path):
    folder = tmp_path / "overlay"
    shutil.copytree(FIXTURES / "rules" / "overlay-sets-image-tag" / "fail", folder)
    worker = folder / "base" / "worker.yaml"
    worker.write_text(worker.read_text().replace(
        "  labels:\n    app: worker\n",
        "  labels:\n    app: worker\n  annotations:\n    k8slint.io/ignore: overlay-sets-image-tag\n"
        "    k8slint.io/ignore-reason: worker follows the api release train\n", 1))
    result = cli("check", "overlays/production", "--env", "production", "--format", "json", cwd=folder)
    assert [f for f in result.json["findings"] if f["rule"] in ("overlay-sets-image-tag", "ignore-without-reason")] == []


def test_invalid_pattern_in_params_is_one_sentence_exit_2(tmp_path):
    config = "rules:\n  no-app-source:\n    params:\n      patterns:\n        - {pattern: Makefile, contains: 'docker (build'}\n"
    folder = _copy(tmp_path, "no-app-source", "fail", config)
    result = cli("check", ".", "--env", "production", cwd=folder)
    assert result.code == 2 and "Traceback" not in result.err and result.err.count("\n") == 1
    assert result.err.startswith("k8slint: error: invalid configuration: ")
    assert (f"{folder / '.k8slint.yaml'}:5: rules.no-app-source.params.patterns[0].contains: "
            "'docker (build' is not a valid regular expression") in result.err


MALFORMED = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: weird, namespace: prj-01}
spec:
  template:
    spec:
      serviceAccountName: 7
      imagePullSecrets: "nope"
      volumes: [{name: v, persistentVolumeClaim: "x"}, "junk", {name: w, persistentVolumeClaim: {claimName: [1]}}]
      containers:
        - name: c
          image: [not, a, string]
          ports: [{name: [a]}, "x", {name: 5}]
          command: {a: b}
          env: [{name: PASSWORD, value: {x: 1}}, "junk", {name: TOKEN}]
          resources: [1, 2]
          readinessProbe: {httpGet: "x", tcpSocket: {port: [1]}}
        - "junk"
        - name: d
          image: ghcr.io/a/b:v1.0.0
          livenessProbe: {httpGet: {port: web}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cm}
data: {1: 2, PASSWORD: null, TOKEN: [a]}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv, labels: {app: [x]}}
spec: {hostPath: {path: 5}, local: {path: "/"}, claimRef: "x"}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: s}
spec: {volumeClaimTemplates: ["x", {metadata: "y"}, {spec: {storageClassName: 3}}]}
"""


def test_malformed_objects_are_findings_not_tracebacks():
    result = cli("check", "-", "--env", "production", "--format", "json", stdin=MALFORMED)
    assert result.code == 1 and "Traceback" not in result.err, result.err
    got = {(f["rule"], f["location"]["line"]) for f in result.json["findings"]}
    assert {("image-pull-secret", 7), ("no-command-override", 14), ("resources", 16), ("probe-port", 21),
            ("hostpath-data-root", 31)} <= got
    assert not {rule for rule, _ in got} & {"env-literal-secret", "secret-in-configmap", "claim-exists"}


def test_a_pattern_that_fails_while_a_rule_runs_names_the_rule():
    """The check catches a bad pattern once around all rule calls (not per call): the sentence
    still names the rule that was running, and an error from no template rule is not reworded."""
    import re

    import pytest

    from k8slint.check import Checker
    from k8slint.errors import K8slintError
    from k8slint.plan.rules import Rule
    from k8slint.regex import PatternError

    def template(subject, params, ctx):
        yield from ()

    checker = object.__new__(Checker)
    checker._current = Rule("image-tag-policy", "error", "container", {}, "rules/image-tag-policy.yaml", check=template)
    with pytest.raises(K8slintError, match=r"^rule image-tag-policy \(rules/image-tag-policy.yaml\): a pattern in its "
                                           r"params cannot be used: uses backreferences; fix it .* rules.image-tag-policy.params"):
        with checker._patterns():
            raise PatternError("uses backreferences")
    with pytest.raises(K8slintError, match=r"^rule image-tag-policy .*: a pattern in its params is not a valid regular expression"):
        with checker._patterns():
            re.compile("(")
    checker._current = Rule("meta", "error", "repo", {}, "rules/meta.yaml")
    with pytest.raises(re.error):
        with checker._patterns():
            re.compile("(")
