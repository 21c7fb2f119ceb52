"""Limits a user can set -- --max-file-size, --max-objects, --render-timeout, or `limits:` in
.k8slint.yaml -- with safe defaults, each reported clearly when hit."""

from __future__ import annotations

from pathlib import Path

from conftest import assert_clear, bounded_k8slint
from k8slint.plan.settings import (DEFAULT_DEADLINE, DEFAULT_MAX_FILE_SIZE, DEFAULT_MAX_OBJECTS, DEFAULT_RENDER_MEMORY,
                                   DEFAULT_RENDER_TIMEOUT)

CM = "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\n  namespace: prj-01\ndata:\n  PADDING: \"{pad}\"\n"


def _repo(tmp_path: Path, config: str = "{}\n") -> Path:
    (tmp_path / ".k8slint.yaml").write_text(config)
    return tmp_path


def _configmaps(path: Path, count: int, pad: int = 10) -> None:
    path.write_text("".join(CM.format(i=i, pad="x" * pad) for i in range(count)))


def test_safe_defaults_apply_and_are_the_documented_ones(tmp_path: Path):
    """Without flags or limits: a run's settings carry the defaults, README's limits table states the
    same values, and a file one byte over the default size is refused, unread."""
    import re

    from conftest import ROOT, lint
    from k8slint.plan import Options, make_plan

    repo = _repo(tmp_path)
    big = repo / "big.yaml"
    big.write_bytes(b"# " + b"x" * (DEFAULT_MAX_FILE_SIZE - 2) + b"\n")  # one byte over
    settings = make_plan(Options(paths=[str(big)], env="dev")).settings
    assert (settings.max_file_size, settings.max_objects, settings.render_timeout, settings.deadline,
            settings.render_memory) == (DEFAULT_MAX_FILE_SIZE, DEFAULT_MAX_OBJECTS, DEFAULT_RENDER_TIMEOUT,
                                        DEFAULT_DEADLINE, DEFAULT_RENDER_MEMORY)
    readme = (ROOT / "README.md").read_text()
    documented = re.findall(r"^\| .* \| `--[a-z-]+ [^`]*` \| `limits\.([a-z-]+)` \| (\d+)", readme, re.M)
    sizes = re.search(r"`limits\.max-file-size` \| (\d+) MiB", readme)
    assert dict(documented) == {"max-file-size": str(DEFAULT_MAX_FILE_SIZE >> 20), "max-objects": str(DEFAULT_MAX_OBJECTS),
                                "render-timeout": f"{DEFAULT_RENDER_TIMEOUT:g}", "deadline": f"{DEFAULT_DEADLINE:g}",
                                "render-memory": str(DEFAULT_RENDER_MEMORY >> 30)}
    assert re.search(r"`limits\.render-memory` \| (\d+) GiB", readme).group(1) == str(DEFAULT_RENDER_MEMORY >> 30)
    assert sizes and int(sizes.group(1)) << 20 == DEFAULT_MAX_FILE_SIZE
    (finding,) = lint(str(big), cwd=repo, env="dev").report.findings
    assert finding.rule == "parse-error" and finding.location.file == "big.yaml"
    assert f"is over limits.max-file-size ({DEFAULT_MAX_FILE_SIZE:,} bytes)" in finding.message


def test_max_file_size_flag_and_config(tmp_path: Path):
    repo = _repo(tmp_path)
    _configmaps(repo / "cms.yaml", 1500, pad=1000)  # ~1.6 MB
    size = (repo / "cms.yaml").stat().st_size
    refused = bounded_k8slint("check", "cms.yaml", "--env", "dev", "--format", "json", "--max-file-size", "1M", cwd=repo)
    assert_clear(refused)
    assert refused.code == 1
    (finding,) = refused.json["findings"]
    assert finding["rule"] == "parse-error" and finding["location"] == {"file": "cms.yaml", "line": 1}
    assert finding["message"] == (f"cms.yaml ({size:,} bytes) is over limits.max-file-size (1,048,576 bytes): not checked; "
                                  "raise it with --max-file-size or limits.max-file-size")
    checked = bounded_k8slint("check", "cms.yaml", "--env", "dev", "--format", "json", "--max-file-size", "4M", cwd=repo)
    assert checked.code == 0 and checked.json["summary"]["objects"] == 1500
    (repo / ".k8slint.yaml").write_text("limits: {max-file-size: 1048576}\n")
    by_config = bounded_k8slint("check", "cms.yaml", "--env", "dev", "--format", "json", cwd=repo)
    assert by_config.code == 1 and "over limits.max-file-size (1,048,576 bytes)" in by_config.json["findings"][0]["message"]
    flag_wins = bounded_k8slint("check", "cms.yaml", "--env", "dev", "--format", "json", "--max-file-size", "2M", cwd=repo)
    assert flag_wins.code == 0


def test_max_file_size_applies_to_helm_values_files(tmp_path: Path):
    """k8slint reads a chart's values files itself (values.yaml, values-<env>.yaml, -f): over the
    limit, one is a render-error at its first line, unread."""
    from conftest import lint

    repo = _repo(tmp_path)
    chart = repo / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: chart\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("a: 1\n")
    (chart / "templates" / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm, namespace: ns}\n")
    (chart / "values-prod.yaml").write_text("padding: '" + "x" * 4000 + "'\n")
    size = (chart / "values-prod.yaml").stat().st_size
    report = lint("chart", cwd=repo, max_file_size=2048).report
    errors = [(f.rule, f.location.file, f.location.line, f.message) for f in report.findings if f.rule == "render-error"]
    assert errors == [("render-error", "chart/values-prod.yaml", 1,
                       f"chart/values-prod.yaml ({size:,} bytes) is over limits.max-file-size (2,048 bytes): not read; "
                       "raise it with --max-file-size or limits.max-file-size")]
    assert lint("chart", cwd=repo).code == 0  # under the default limit it renders


def test_max_file_size_caps_a_rendered_stream(tmp_path: Path):
    repo = _repo(tmp_path)
    (repo / "app").mkdir()
    _configmaps(repo / "app" / "cms.yaml", 20, pad=200)
    (repo / "app" / "kustomization.yaml").write_text("resources: [cms.yaml]\n")
    result = bounded_k8slint("check", "app", "--env", "dev", "--max-file-size", "2K", "--format", "concise", cwd=repo, timeout=60)
    assert_clear(result)
    assert result.code == 1  # a render-error finding, not a stop
    assert ("app/kustomization.yaml:1:1: error render-error kustomize build of app produced more than 2,048 bytes of "
            "output and was stopped (limits.max-file-size; raise it with --max-file-size)") in result.out


def test_max_objects_flag_and_config(tmp_path: Path):
    repo = _repo(tmp_path)
    _configmaps(repo / "cms.yaml", 5)
    result = bounded_k8slint("check", "cms.yaml", "--env", "dev", "--format", "json", "--max-objects", "3", cwd=repo)
    assert_clear(result)
    assert result.code == 1
    (finding,) = result.json["findings"]
    assert finding["rule"] == "render-error" and finding["location"] == {"file": "cms.yaml", "line": 1}
    assert "cms.yaml renders 5 objects, over limits.max-objects (3)" in finding["message"] and "--max-objects" in finding["message"]
    (repo / ".k8slint.yaml").write_text("limits: {max-objects: 4}\n")
    result = bounded_k8slint("check", "cms.yaml", "--env", "dev", "--format", "json", cwd=repo)
    assert result.code == 1 and "over limits.max-objects (4)" in result.json["findings"][0]["message"]
    assert bounded_k8slint("check", "cms.yaml", "--env", "dev", "--max-objects", "5", cwd=repo).code == 0


def test_render_timeout_stops_a_hanging_kustomize(tmp_path: Path):
    repo = _repo(tmp_path)
    sleeper = tmp_path / "bin" / "kustomize-that-hangs"
    sleeper.parent.mkdir()
    sleeper.write_text("#!/bin/sh\nsleep 300\n")
    sleeper.chmod(0o755)
    (repo / "app").mkdir()
    (repo / "app" / "kustomization.yaml").write_text("resources: []\n")
    result = bounded_k8slint("check", "app", "--render-timeout", "1", "--format", "json", cwd=repo,
                             env={"K8SLINT_KUSTOMIZE": str(sleeper)}, timeout=30)
    assert_clear(result)
    assert result.code == 1 and result.err == ""  # a render-error finding: the run goes on and writes its report
    assert [(f["rule"], f["location"]["file"], f["location"]["line"], f["message"]) for f in result.json["findings"]] == [
        ("render-error", "app/kustomization.yaml", 1, "kustomize build of app took longer than 1s and was stopped "
         "(limits.render-timeout; raise it with --render-timeout)")]
    (repo / ".k8slint.yaml").write_text("limits: {render-timeout: 1.5}\n")
    result = bounded_k8slint("check", "app", cwd=repo, env={"K8SLINT_KUSTOMIZE": str(sleeper)}, timeout=30)
    assert result.code == 1 and "took longer than 1.5s" in result.out


def test_render_timeout_stops_a_slow_helm_template(tmp_path: Path):
    """Helm's engine runs in a child process, so a template that would loop for minutes is stopped."""
    repo = _repo(tmp_path)
    chart = repo / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: slow\nversion: 0.1.0\n")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: slow}\n"
        "data: {n: \"{{ range until 30000 }}{{ range until 30000 }}{{ end }}{{ end }}\"}\n"
    )
    result = bounded_k8slint("check", "chart", "--render-timeout", "1", cwd=repo, timeout=30)
    assert_clear(result)
    assert result.code == 1
    assert "helm render of chart failed: the Helm render took longer than 1s and was stopped (limits.render-timeout" in result.out
    sleeper = tmp_path / "helm-that-hangs"
    sleeper.write_text("#!/bin/sh\nsleep 300\n")
    sleeper.chmod(0o755)
    result = bounded_k8slint("check", "chart", "--render-timeout", "1", cwd=repo, env={"K8SLINT_HELM": str(sleeper)}, timeout=30)
    assert result.code == 1 and "helm template took longer than 1s and was stopped" in result.out


def test_bad_limits_are_usage_errors(tmp_path: Path):
    repo = _repo(tmp_path, "limits: {max-objects: 0}\n")
    _configmaps(repo / "cms.yaml", 1)
    result = bounded_k8slint("check", "cms.yaml", cwd=repo)
    assert_clear(result)
    assert result.code == 2 and "invalid configuration" in result.err and "max-objects" in result.err
    result = bounded_k8slint("check", "cms.yaml", "--max-file-size", "lots", cwd=_repo(tmp_path))
    assert result.code == 2 and "'lots' is not a size" in result.err and "Traceback" not in result.err
