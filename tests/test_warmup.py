"""The check stage's warm-up (k8slint.check.warm): first-use work done while renderer children run.
It fills caches only, so a report is the same whether it ran in full, in part or not at all; it
moves the work out of the check stage (validators compiled, source files read); an error it meets
is the check stage's to report; it stops as soon as no render thread is at work."""

from __future__ import annotations

import contextlib
import threading
import time
from concurrent.futures import Future
from pathlib import Path

import pytest

from conftest import CORPUS, FIXTURES, lint, needs_corpus, write
from k8slint import api, k8s_schema
from k8slint.check.warm import Warmup
from k8slint.plan import Options, make_plan
from k8slint.sources import Sources

REPOS = [FIXTURES / "locations", FIXTURES / "shared-base", *(CORPUS / name for name in (
    "stefanprodan__podinfo", "bitnami__charts", "argoproj__argo-cd", "fluxcd__flux2-kustomize-helm-example",
    "GoogleCloudPlatform__microservices-demo"))]


def _checked(repo: Path, monkeypatch) -> list[tuple[list, list, int, int]]:
    """The whole repository rendered once and checked twice, from the same renders with the check
    stage's caches emptied: without a warm-up, then after one that ran in full. For each: (findings,
    notes, validators the check stage compiled, source files it read)."""
    options = Options(paths=[str(repo)], cache=False)
    checked = []
    with contextlib.chdir(repo.parent):
        plan = make_plan(options)
        plan.settings.cache["deadline-at"] = time.monotonic() + plan.settings.deadline
        renders = api._render_all(plan)  # once: Helm's random test-pod names differ between two renders
        for warm in (False, True):
            _forget(plan)
            checker = api._checker(plan)
            if warm:
                warmup = Warmup(checker, plan)
                warmup.start()
                for render in renders:
                    warmup.rendered(render)
            built, reads = k8s_schema.STATS["validators_built"], [0]
            text = Sources.text

            def counted(self, rel, text=text, reads=reads):
                reads[0] += 1
                return text(self, rel)

            with monkeypatch.context() as patch:
                patch.setattr(Sources, "text", counted)
                report, _ = api._check(plan, renders, options, checker=checker)
            checked.append((report.findings, report.notes, k8s_schema.STATS["validators_built"] - built, reads[0]))
    return checked


def _forget(plan) -> None:
    """Empty what the check stage keeps: validators, the schema rules' state, source files read."""
    k8s_schema._validators.clear()
    plan.settings.cache.pop("schema", None)
    plan.settings.cache.pop("sources", None)


@needs_corpus()
@pytest.mark.parametrize("repo", REPOS, ids=lambda p: p.name)
def test_a_warm_up_leaves_the_report_as_it_was_and_the_check_stage_with_less_to_do(repo, monkeypatch):
    (cold, cold_notes, cold_built, cold_reads), (warm, warm_notes, warm_built, warm_reads) = _checked(repo, monkeypatch)
    assert [repr(f) for f in warm] == [repr(f) for f in cold]  # rule, message, location, related, fingerprints
    assert warm == cold and warm_notes == cold_notes
    assert cold, "a repository with findings: locations are traced"
    assert cold_built > 0 and warm_built == 0  # every validator compiled in the warm-up
    assert cold_reads > 0 and warm_reads < cold_reads  # source files findings are traced through: read in the warm-up


def test_a_warm_up_told_that_no_render_is_at_work_does_nothing():
    with contextlib.chdir(FIXTURES):
        plan = make_plan(Options(paths=["locations"], cache=False))
        plan.settings.cache["deadline-at"] = time.monotonic() + plan.settings.deadline
        renders = api._render_all(plan)
        _forget(plan)
        warmup = Warmup(api._checker(plan), plan)
        warmup.busy = lambda: False
        built = k8s_schema.STATS["validators_built"]
        for render in renders:
            warmup.rendered(render)
    assert k8s_schema.STATS["validators_built"] == built and not plan.settings.sources.memo and warmup._files == set()


def test_an_error_met_in_the_warm_up_is_the_check_stages_to_report(tmp_path):
    """A repository rule whose pattern RE2 cannot use (found only when the rule runs): the warm-up
    runs the repository rules first and says nothing; the check stage stops with the sentence
    naming the rule, as it does without a warm-up."""
    write(tmp_path, {
        ".k8slint.yaml": "rules:\n  no-dockerfile:\n    params:\n      patterns: [{pattern: Dockerfile, contains: 'a(?=x)'}]\n",
        "Dockerfile": "FROM scratch\n",
        "base/kustomization.yaml": "resources: [cm.yaml]\n",
        "base/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app, namespace: app}\ndata: {a: b}\n",
        "overlays/staging/kustomization.yaml": "resources: [../../base]\n",
        "overlays/production/kustomization.yaml": "resources: [../../base]\n",
    })
    plan = make_plan(Options(paths=[str(tmp_path)], repo_root=str(tmp_path)))
    warmup = Warmup(api._checker(plan), plan)
    warmup.start()  # met here, and not kept
    assert warmup.checker._repo_findings == {}
    warmed = lint(str(tmp_path), cwd=tmp_path, repo_root=str(tmp_path), cache=False)
    assert warmed.code == 2
    assert warmed.err.startswith("k8slint: error: rule no-dockerfile (rules/no-dockerfile.yaml): a pattern in its params "
                                 "cannot be used: regular expression 'a(?=x)' uses a lookahead")


def test_while_waiting_the_warm_up_gets_the_renders_done_and_stops_when_no_thread_is_at_work():
    class Seen:
        def __init__(self) -> None:
            self.got: list = []
            self.started = 0

        def start(self) -> None:
            self.started += 1

        def rendered(self, render) -> None:
            self.got.append(render)
            if render == "b1":
                slow.set_result(["c1"])  # the last group ends while the warm-up works on b1

    quick, slow = Future(), Future()
    quick.set_result(["b1", "b2"])
    seen = Seen()
    api._warm_while_waiting(seen, ["a1"], {quick, slow})
    # the cache's answer, then the first group to end; once no render is left running, nothing more
    assert seen.started == 1 and seen.got == ["a1", "b1"]


def test_a_single_overlay_is_rendered_beside_the_warm_up_and_checks_the_same(tmp_path, monkeypatch):
    threads, render = [], api._render

    def recorded(*args):
        threads.append(threading.current_thread() is threading.main_thread())
        return render(*args)

    monkeypatch.setattr(api, "_render", recorded)
    write(tmp_path, {
        "base/kustomization.yaml": "resources: [deploy.yaml]\n",
        "base/deploy.yaml": (FIXTURES / "deploy-repo" / "infra" / "k8s" / "base" / "deployments" / "api.yaml").read_text(),
        "overlays/production/kustomization.yaml": "resources: [../../base]\nnamespace: shop\nimages:\n"
                                                  "  - {name: ghcr.io/acme/api, newTag: latest}\n",
    })
    one = lint("overlays/production", cwd=tmp_path, cache=False)
    assert one.code == 1
    assert [(f["rule"], f["location"]["file"], f["location"]["line"]) for f in one.json["findings"]] == [
        ("image-pull-secret", "base/deploy.yaml", 17), ("image-tag-latest", "overlays/production/kustomization.yaml", 4)]
    assert "tag 'latest' is mutable and not allowed in production" in one.json["findings"][1]["message"]
    assert threads == [False]  # kustomize ran in a render thread; this one was free for the warm-up
