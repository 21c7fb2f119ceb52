"""The check stage's first-use work, done in the main thread while renderer children run.

The render threads mostly wait for kustomize or Helm, and the main thread waits for them. The
check stage starts with work that needs no render (its modules, the repository-tree rules) or
needs a render only to know what to fill (each kind's schema validator, each Helm template's
skeleton, each kustomize source file parsed with its lines). :class:`Warmup` does that work in
the wait, so the check stage that follows is left with the per-object work.

Everything here fills a cache the check stage reads anyway: a report is the same whether the
warm-up ran, ran halfway or did not run, and an error met here is left for the check stage to
meet and report (the warm-up never reports anything).
"""

from __future__ import annotations

from typing import Any

from .. import envs
from ..locate import Locator, plain_source
from ..render import renderer


class Warmup:
    """What :func:`k8slint.api._in_parallel` calls while renders run: :meth:`start` once the
    render threads are busy, :meth:`rendered` for each render that is done while others are not."""

    def __init__(self, checker: Any, plan: Any) -> None:
        self.checker = checker
        self.plan = plan
        self.settings = plan.settings
        self.busy = lambda: True  # whether a render thread is still at work: the warm-up stops when none is
        self._files: set = set()  # (source file, kustomizations, Helm release) already located once

    def start(self) -> None:
        """Work that needs no render: the check stage's modules and the repository-tree rules."""
        plan, settings = self.plan, self.settings
        kinds = {t.kind for t in plan.targets}
        try:
            if kinds & {"kustomize", "gitops"}:
                from ..locate import kustomize  # noqa: F401 - imported, as a kustomize finding would
            if kinds & {"helm", "gitops"}:
                from ..locate import helm  # noqa: F401
            if plan.repo_rules:
                self.checker.check_repo(settings.repo_root, settings.unknown_env)  # kept for the check stage
        except Exception:  # noqa: BLE001 - the check stage meets it again and reports it
            pass

    def rendered(self, render: Any) -> None:
        """Fill what the check stage will read for ``render``'s objects."""
        if len(render.objects) > self.settings.max_objects:
            return  # not checked (a render-error finding says so)
        try:
            self._rules(render)
            self._sources(render)
        except Exception:  # noqa: BLE001 - the check stage meets it again and reports it
            pass

    def _rules(self, render: Any) -> None:
        """Each active object rule's ``warm`` (a template's cache filler, see
        k8slint.templates.template) with the render's objects it checks."""
        env = render.target.env
        policy_env = env if env in envs.ENVIRONMENTS else self.settings.unknown_env
        objects = render.objects
        for item in self.checker.policy.active(policy_env):
            warm = getattr(item.rule.check, "k8slint_warm", None)
            if warm is not None and item.rule.scope == "object" and self.busy():
                kinds = item.rule.kinds
                warm([o for o in objects if o.kind in kinds] if kinds else objects, item.params, self.settings)

    def _sources(self, render: Any) -> None:
        """The source files a finding on these objects is traced through, read and parsed: one
        object per source file (and per set of kustomizations that changed it, or per Helm
        release, whose values files differ) is located as a finding on it would be."""
        seen = self._files
        locator = None
        for obj in render.objects:
            origin = obj.origin
            if origin is None or plain_source(obj):  # a plain file was parsed as it loaded
                continue
            key = (origin, obj.transformers, render.target.label() if obj.helm_template is not None else None)
            if key in seen:
                continue
            if not self.busy():
                return
            seen.add(key)
            if locator is None:
                target = render.target
                locator = Locator(self.settings.sources, renderer(target.kind).source_file(target))
            locator.locate(obj, ("metadata", "name"))
