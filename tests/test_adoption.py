"""Adopting k8slint: config suppressions with reasons, unused suppressions, baselines that survive
edits, and per-environment policy (severity, on/off and tag patterns per environment)."""

import json
import shutil
from pathlib import Path

from conftest import FIXTURES, cli

LEGACY = FIXTURES / "violations" / "readiness-probe"  # one Deployment without a readinessProbe

WORKER = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
  labels:
    app: worker
spec:
  replicas: 1
  selector:
    matchLabels:
      app: worker
  template:
    metadata:
      labels:
        app: worker
    spec:
      serviceAccountName: observer-sa
      containers:
        - name: worker
          image: ghcr.io/acme/observer:placeholder
          livenessProbe:
            httpGet:
              path: /health
              port: 8080
"""


def legacy_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(LEGACY, repo)
    (repo / "expected.yaml").unlink()
    return repo


def rules_of(result) -> list[tuple[str, str, int, str]]:
    return sorted((f["rule"], f["location"]["file"], f["location"]["line"], (f["object"] or {}).get("name", ""))
                  for f in result.json["findings"])


# -- baseline -----------------------------------------------------------------------------------

def test_baseline_survives_moved_lines_and_unrelated_edits_and_shows_only_new_findings(tmp_path):
    repo = legacy_repo(tmp_path)
    baseline = tmp_path / "k8slint-baseline.json"
    written = cli("check", "--write-baseline", str(baseline), "--format", "json", cwd=repo)
    assert written.code == 0, written.err
    recorded = json.loads(baseline.read_text())
    assert recorded["format"] == "k8slint-baseline/v2"
    assert [(e["rule"], e["object"], e["targets"]) for e in recorded["findings"]] == [
        ("readiness-probe", "Deployment prj-01/observer", ["infra/k8s/overlays/production"])]
    assert cli("check", "--baseline", str(baseline), cwd=repo).code == 0

    # Legacy edits: lines move (a header comment, keys reordered), an unrelated object is added...
    deployment = repo / "infra/k8s/base/deployments/observer.yaml"
    text = deployment.read_text()
    text = "# Observer: collects metrics from every app.\n# Owner: platform team.\n\n" + text
    text = text.replace("  replicas: 1\n  selector:", "  selector:", 1).replace("spec:\n", "spec:\n  replicas: 1\n", 1)
    deployment.write_text(text)
    base = repo / "infra/k8s/base"
    (base / "configmaps").mkdir()
    (base / "configmaps/observer-config.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: observer-config\ndata:\n  LOG_LEVEL: info\n")
    # ...and one new problem: a worker without a readinessProbe.
    (base / "deployments/worker.yaml").write_text(WORKER)
    kustomization = base / "kustomization.yaml"
    kustomization.write_text(kustomization.read_text().replace(
        "  - deployments/observer.yaml\n", "  - configmaps/observer-config.yaml\n  - deployments/worker.yaml\n  - deployments/observer.yaml\n"))

    everything = cli("check", "--format", "json", cwd=repo)
    observer = [f for f in rules_of(everything) if f[0] == "readiness-probe" and f[3] == "observer"]
    assert observer and observer[0][2] != 19  # the old finding really moved

    result = cli("check", "--baseline", str(baseline), "--format", "json", cwd=repo)
    assert result.code == 1
    assert [f for f in rules_of(result) if f[0] == "readiness-probe"] == [
        ("readiness-probe", "infra/k8s/base/deployments/worker.yaml", 19, "worker")]
    assert all(f[3] != "observer" for f in rules_of(result))
    assert any("1 finding(s) recorded in the baseline" in note for note in result.json["notes"])

    # the same through the config file (its paths stay inside the repository: SECURITY.md)
    (repo / ".k8slint-baseline.json").write_text(baseline.read_text())
    (repo / ".k8slint.yaml").write_text("fail-on: error\nbaseline: .k8slint-baseline.json\n")
    via_config = cli("check", "--format", "json", cwd=repo)
    assert rules_of(via_config) == rules_of(result)


def test_baseline_counts_each_recorded_finding_once(tmp_path):
    from collections import Counter

    from k8slint.model import Finding, Location
    from k8slint.suppress import FORMAT_V1, Recorded, apply_baseline

    make = lambda: Finding("r", "error", "m", Location("f", 1), "t", "production", fingerprint="abc")  # noqa: E731
    kept, hidden = apply_baseline([make(), make()], Recorded(Counter({("abc", "t"): 1})))
    assert hidden == 1 and len(kept) == 1
    kept, hidden = apply_baseline([make(), make()], Recorded(prints=Counter({"abc": 1}), version=FORMAT_V1))
    assert hidden == 1 and len(kept) == 1


def test_missing_or_bad_baseline_is_exit_2_with_one_sentence(tmp_path):
    repo = legacy_repo(tmp_path)
    missing = cli("check", "--baseline", "nope.json", cwd=repo)
    assert missing.code == 2 and "baseline nope.json not found" in missing.err and "--write-baseline" in missing.err
    (repo / "bad.json").write_text("{\"findings\": 3}")
    bad = cli("check", "--baseline", "bad.json", cwd=repo)
    assert bad.code == 2 and "is not a k8slint baseline" in bad.err and "Traceback" not in bad.err


# -- config suppressions ----------------------------------------------------------------------------

CONFIG = """\
fail-on: error
ignore:
  - rules: [readiness-probe]
    kind: Deployment
    namespace: prj-01
    name: obs*
    reason: the observer answers only after its first scrape; tracked in OPS-12
  - rules: [pvc-naming]
    paths: ["legacy/**"]
    reason: old volumes, renamed in Q3
  - rules: [readiness-probe]
    paths: ["infra/k8s/base/deployments/*.yaml"]
"""


def test_config_ignores_by_selector_and_path_and_meta_findings(tmp_path):
    repo = legacy_repo(tmp_path)
    (repo / ".k8slint.yaml").write_text(CONFIG)
    result = cli("check", "--format", "json", cwd=repo)
    assert result.code == 0, result.out
    meta = {(f["rule"], f["severity"], f["location"]["file"], f["location"]["line"]): f["message"] for f in result.json["findings"]}
    # entry 1 hid the readiness-probe finding; entry 2 matched nothing; entry 3 has no reason
    assert set(meta) == {
        ("unused-suppression", "info", ".k8slint.yaml", 8),
        ("ignore-without-reason", "info", ".k8slint.yaml", 11),
        ("unused-suppression", "info", ".k8slint.yaml", 11),
    }
    assert "ignore entry 2 (pvc-naming; paths=legacy/**) matched no finding" in meta[("unused-suppression", "info", ".k8slint.yaml", 8)]
    assert "ignore entry 3 (readiness-probe; paths=infra/k8s/base/deployments/*.yaml) has no reason" in meta[
        ("ignore-without-reason", "info", ".k8slint.yaml", 11)]

    # a run over one path does not call entries unused: they may be meant for other targets
    one = cli("check", "infra/k8s/overlays/production", "--format", "json", cwd=repo)
    assert {f["rule"] for f in one.json["findings"]} == {"ignore-without-reason"}

    # without entry 1, entry 3 (path glob) hides the finding instead and is no longer unused
    (repo / ".k8slint.yaml").write_text(CONFIG.split("  - rules: [pvc-naming]")[0].replace("name: obs*", "name: nothing-*")
                                        + "  - rules: [readiness-probe]\n    paths: [\"infra/k8s/base/deployments/*.yaml\"]\n"
                                        + "    reason: legacy\n")
    swapped = cli("check", "--format", "json", cwd=repo)
    assert [(f["rule"], f["location"]["line"]) for f in swapped.json["findings"]] == [("unused-suppression", 3)]


def test_unused_annotation_counts_over_all_targets_of_the_run(tmp_path):
    """A base object seen by staging and production: its suppression of image-tag-policy is needed in
    production only (staging allows rc-*). A run over both does not call it unused; a staging-only run does."""
    repo = tmp_path / "repo"
    base = repo / "k8s/base"
    base.mkdir(parents=True)
    (repo / ".k8slint.yaml").write_text("fail-on: error\n")
    (base / "kustomization.yaml").write_text("resources: [deployment.yaml]\nnamespace: prj-01\n")
    (base / "deployment.yaml").write_text(WORKER.replace(
        "  labels:\n    app: worker\nspec:",
        "  labels:\n    app: worker\n  annotations:\n    k8slint.io/ignore: image-tag-policy,readiness-probe\n"
        "    k8slint.io/ignore-reason: release candidates are promoted as-is\nspec:", 1).replace(":placeholder", ":rc-3"))
    for env in ("staging", "production"):
        (repo / f"k8s/overlays/{env}").mkdir(parents=True)
        (repo / f"k8s/overlays/{env}/kustomization.yaml").write_text("resources: [../../base]\n")
    both = cli("check", "--format", "json", cwd=repo)
    assert [f for f in both.json["findings"] if f["rule"] == "unused-suppression"] == []
    staging = cli("check", "k8s/overlays/staging", "--format", "json", cwd=repo)
    unused = [f for f in staging.json["findings"] if f["rule"] == "unused-suppression"]
    assert [(f["location"]["file"], f["location"]["line"], f["severity"]) for f in unused] == [("k8s/base/deployment.yaml", 8, "info")]
    assert "suppresses image-tag-policy, which found nothing on it" in unused[0]["message"]
    # a development-only run: image-tag-policy allows anything there, but readiness-probe is used; nothing reported
    # for a rule that is switched off in that environment
    (repo / ".k8slint.yaml").write_text("rules:\n  image-tag-policy:\n    env:\n      staging: {enabled: false}\n")
    off = cli("check", "k8s/overlays/staging", "--format", "json", cwd=repo)
    assert [f for f in off.json["findings"] if f["rule"] == "unused-suppression"] == []


# -- per-environment policy -------------------------------------------------------------------------

POLICY = r"""
rules:
  readiness-probe:
    env:
      production: {severity: error}
      staging: {severity: warning}
      development: {enabled: false}
  image-tag-policy:
    params:
      allowed:
        production: ['v\d+\.\d+\.\d+']
        staging: ['v\d+\.\d+\.\d+', 'rc-\d+', 'pr-\d+']
"""

NO_PROBE = WORKER.replace("  name: worker\n", "  name: worker\n  namespace: prj-01\n", 1)


def _policy_run(tmp_path: Path, env: str, tag: str):
    (tmp_path / ".k8slint.yaml").write_text(POLICY)
    stream = NO_PROBE.replace("observer:placeholder", f"worker:{tag}")
    result = cli("check", "-", "--env", env, "--format", "json", cwd=tmp_path, stdin=stream)
    assert result.code in (0, 1), result.err
    return result, {(f["rule"], f["severity"]) for f in result.json["findings"] if f["rule"] in ("readiness-probe", "image-tag-policy")}


def test_rule_is_error_in_production_warning_in_staging_off_in_development(tmp_path):
    result, found = _policy_run(tmp_path, "production", "v1.2.3")
    assert found == {("readiness-probe", "error")} and result.code == 1
    result, found = _policy_run(tmp_path, "staging", "v1.2.3")
    assert found == {("readiness-probe", "warning")} and result.code == 0
    result, found = _policy_run(tmp_path, "development", "v1.2.3")
    assert found == set() and result.code == 0


def test_tag_patterns_per_environment(tmp_path):
    # pr-42 is allowed in staging by this repo's policy, not in production
    assert ("image-tag-policy", "error") not in _policy_run(tmp_path, "staging", "pr-42")[1]
    result, found = _policy_run(tmp_path, "production", "pr-42")
    assert ("image-tag-policy", "error") in found
    # the production list replaces the default one: sha-... tags are no longer allowed there
    assert ("image-tag-policy", "error") in _policy_run(tmp_path, "production", "sha-abc1234")[1]
    # staging keeps its own list; a timestamp tag is now outside it
    assert ("image-tag-policy", "error") in _policy_run(tmp_path, "staging", "20260202-143512")[1]
    # development has no list: anything goes
    assert _policy_run(tmp_path, "development", "whatever")[1] == set()
