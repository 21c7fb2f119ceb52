"""The Helm SDK worker answers many renders of one run (its interpreter and Go runtime start once
per render thread, not once per chart), with each render still bounded on its own: a chart that
passes the time limit is stopped, the next chart gets a fresh worker, and no worker, process or
temporary folder outlives the run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import lint
from k8slint.render import process

pytest.importorskip("helm_python")

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  text: {{{{ .Values.text | quote }}}}\n"
SLOW = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: slow}\n"
        "data: {n: \"{{ range until 30000 }}{{ range until 30000 }}{{ end }}{{ end }}\"}\n")


def _chart(repo: Path, name: str, template: str | None = None) -> None:
    chart = repo / name
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text(f"text: {name}-value\n")
    (chart / "templates" / "cm.yaml").write_text(template or CM.format(name=name))


@pytest.fixture
def counted(monkeypatch):
    """How many Helm workers the run started."""
    started: list[process.Served] = []
    original = process.Served.__init__

    def init(self, *args, **kwargs):
        started.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(process.Served, "__init__", init)
    monkeypatch.delenv("K8SLINT_HELM", raising=False)
    monkeypatch.setattr("k8slint.render.helm._helm_binary", lambda: None)  # the SDK, even where a helm binary is
    return started


def _gone(workers: list[process.Served]) -> bool:
    """No worker process, and no private folder of one, is left."""
    return (all(w.proc.poll() is not None and w.proc.pid not in process._CHILDREN for w in workers)
            and not any(os.path.exists(w._private) for w in workers))


def test_one_worker_renders_every_chart_of_a_render_thread(tmp_path: Path, counted):
    (tmp_path / ".k8slint.yaml").write_text("{}\n")
    for name in ("alpha", "beta", "gamma"):
        _chart(tmp_path, name)
    import contextlib

    from k8slint import api
    from k8slint.plan import Options

    with contextlib.chdir(tmp_path):
        report, (renders, _) = api.run(Options(paths=[], env="development", jobs=1, fail_on="never"))
    # each chart rendered with its own values, its objects traced to its own template
    assert {r.target.label(): [(o.name, o.data["data"]["text"], o.origin) for o in r.objects] for r in renders} == {
        name: [(name, f"{name}-value", f"{name}/templates/cm.yaml")] for name in ("alpha", "beta", "gamma")}
    assert report.exit_code == 0
    assert len(counted) == 1  # three charts, one worker
    assert _gone(counted)  # gone when the run is


def test_a_chart_over_the_time_limit_stops_its_worker_and_the_next_chart_gets_a_new_one(tmp_path: Path, counted):
    (tmp_path / ".k8slint.yaml").write_text("{}\n")
    _chart(tmp_path, "alpha")
    _chart(tmp_path, "beta", SLOW)
    _chart(tmp_path, "gamma")
    result = lint(cwd=tmp_path, env="development", jobs=1, render_timeout=1, fail_on="never")
    assert {t.label: (t.objects, t.failed) for t in result.report.targets} == {
        "alpha": (1, False), "beta": (0, True), "gamma": (1, False)}
    [stopped] = [f for f in result.report.findings if f.rule == "render-error"]
    assert (stopped.location.file, stopped.location.line) == ("beta/Chart.yaml", 1)
    assert ("helm render of beta failed: the Helm render took longer than 1s and was stopped "
            "(limits.render-timeout; raise it with --render-timeout)") in stopped.message
    assert len(counted) == 2  # alpha and beta in the first worker, gamma in a new one
    assert _gone(counted)


def test_workers_are_per_run(tmp_path: Path, counted):
    """Two runs in one process never share a worker (nothing of one run reaches another)."""
    (tmp_path / ".k8slint.yaml").write_text("{}\n")
    _chart(tmp_path, "alpha")
    first = lint(cwd=tmp_path, env="development", jobs=1, fail_on="never")
    (tmp_path / "alpha" / "values.yaml").write_text("text: changed\n")
    second = lint(cwd=tmp_path, env="development", jobs=1, fail_on="never")
    assert first.code == second.code == 0
    assert len(counted) == 2 and _gone(counted)


def test_a_worker_that_dies_is_a_render_error_and_the_next_request_gets_a_new_one(tmp_path: Path):
    """A worker that stops without answering (a Go runtime crash) fails that render in k8slint's
    words; the thread's next request starts a new worker."""
    from k8slint.plan import Options, make_plan

    (tmp_path / ".k8slint.yaml").write_text("{}\n")
    _chart(tmp_path, "alpha")
    settings = make_plan(Options(paths=[str(tmp_path / "alpha")], env="development")).settings
    try:
        died = process.ask(settings, ["k8slint.render.helm_worker", "--serve"], b"not json", timeout=30, max_output=1000)
        assert (died.status, died.stdout) == ("ok", b"") and died.returncode not in (0, None)
        request = ('{"chart": "%s", "values": {"text": "alpha-value"}, "name": "r", "namespace": "default"}' % (tmp_path / "alpha")).encode()
        answered = process.ask(settings, ["k8slint.render.helm_worker", "--serve"], request, timeout=60, max_output=1 << 20)
        assert answered.status == "ok" and b'"alpha/templates/cm.yaml"' in answered.stdout
        assert b"alpha-value" in answered.stdout
        too_big = process.ask(settings, ["k8slint.render.helm_worker", "--serve"], request, timeout=60, max_output=10)
        assert too_big.status == "too-big"
    finally:
        workers = list(settings.cache["served"].values())
        process.release(settings)
    assert workers and _gone(workers)


def test_a_plan_dropped_before_its_render_stage_ends_its_workers(tmp_path: Path, counted):
    """Finding an app-of-apps chart's Applications renders it while planning; a plan made and
    dropped (no render stage to release its workers) still ends them."""
    import gc

    from k8slint.plan import Options, make_plan

    (tmp_path / ".k8slint.yaml").write_text("{}\n")
    _chart(tmp_path, "alpha")
    settings = make_plan(Options(paths=[str(tmp_path / "alpha")], env="development")).settings
    request = ('{"chart": "%s", "values": {}, "name": "r", "namespace": "default"}' % (tmp_path / "alpha")).encode()
    assert process.ask(settings, ["k8slint.render.helm_worker", "--serve"], request, timeout=60, max_output=1 << 20).status == "ok"
    assert len(counted) == 1 and counted[0].alive()
    del settings
    gc.collect()
    assert _gone(counted)
