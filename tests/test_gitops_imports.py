"""The gitops package reads; it never renders, runs or reports: its imports (function-level ones
included) stay inside the package and the loaders, and form no circle."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "k8slint" / "render" / "gitops"
ALLOWED_OUTSIDE = {"k8slint.load", "k8slint.envs", "k8slint.render.kustomization"}


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = {1: "k8slint.render.gitops", 2: "k8slint.render"}.get(node.level, "k8slint")
            module = f"{base}.{node.module}" if node.module else base
            names = [f"{module}.{a.name}" for a in node.names] if node.module is None else [module]
            out.update(names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("k8slint"):
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("k8slint"))
    return out


def test_gitops_imports_only_the_loaders_and_itself():
    for path in PACKAGE.glob("*.py"):
        outside = {m for m in imports(path) if not m.startswith("k8slint.render.gitops")}
        assert outside <= ALLOWED_OUTSIDE, (path.name, outside - ALLOWED_OUTSIDE)


def test_gitops_imports_form_no_circle():
    graph = {f"k8slint.render.gitops.{p.stem}": {m for m in imports(p) if m.startswith("k8slint.render.gitops.")}
             for p in PACKAGE.glob("*.py") if p.stem != "__init__"}

    def visit(node: str, trail: tuple[str, ...]) -> None:
        assert node not in trail, " -> ".join(trail + (node,))
        for nxt in graph.get(node, ()):
            visit(nxt, trail + (node,))

    for module in graph:
        visit(module, ())
