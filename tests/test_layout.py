"""The package layout holds: no import circle, stages import only what comes before them,
templates see only the check context and read no file themselves.

Every ``import`` / ``from ... import`` of k8slint/ is read from the source (AST), function-level
ones included; nothing is imported or executed, so this runs in well under a second.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "k8slint"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(module: str, is_package: bool, level: int, name: str | None) -> str:
    """The absolute module a relative import names."""
    if level == 0:
        return name or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([name] if name else []))


def imports_of(module: str, path: Path, known: set[str]) -> set[str]:
    """k8slint modules ``module`` imports anywhere in its source."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, is_package, node.level, node.module)
            # `from . import x` names a module x or an attribute of the package
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for name in names:
            while name and name not in known:  # `import k8slint.plan.rules` -> the module; attributes -> their module
                name = name.rpartition(".")[0]
            if name and name != module:
                found.add(name)
    return found


@functools.lru_cache(maxsize=1)
def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: imports_of(name, path, known) for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle as [a, b, ..., a], or None."""
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if state.get(nxt) is None:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if state.get(node) is None:
            found = visit(node)
            if found:
                return found
    return None


def test_the_cycle_finder_finds_a_cycle_and_only_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_imports_are_read_from_function_bodies_too():
    graph = import_graph()
    assert "k8slint.render.kustomization" in graph["k8slint.plan.settings"]  # imported inside a property
    assert "k8slint.api" in graph["k8slint.cli"]  # imported inside the check command


def test_no_import_circle():
    graph = import_graph()
    assert len(graph) > 50
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


# Which modules each layer must not import (directly, anywhere in its source). The pipeline is
# plan -> render -> check -> suppress -> report; api orchestrates it, cli calls api and report.
STAGES = ("k8slint.plan", "k8slint.render", "k8slint.check", "k8slint.suppress", "k8slint.report", "k8slint.api",
          "k8slint.cli", "k8slint.templates", "k8slint.formatters", "k8slint.selftest", "k8slint.docs", "k8slint.docs_gen")
FORBIDDEN = {
    # shared modules (value types, loader, sources, locations, schema helpers) import no stage
    "shared": STAGES,
    "k8slint.plan": ("k8slint.check", "k8slint.suppress", "k8slint.report", "k8slint.api", "k8slint.cli",
                     "k8slint.templates", "k8slint.formatters"),
    "k8slint.render": ("k8slint.plan", "k8slint.check", "k8slint.suppress", "k8slint.report", "k8slint.api", "k8slint.cli",
                       "k8slint.templates", "k8slint.formatters"),
    "k8slint.check": ("k8slint.report", "k8slint.api", "k8slint.cli", "k8slint.templates", "k8slint.formatters"),
    "k8slint.suppress": ("k8slint.plan", "k8slint.render", "k8slint.check", "k8slint.report", "k8slint.api", "k8slint.cli",
                         "k8slint.templates", "k8slint.formatters"),
    "k8slint.report": ("k8slint.plan", "k8slint.render", "k8slint.check", "k8slint.suppress", "k8slint.api", "k8slint.cli",
                       "k8slint.templates"),
    "k8slint.formatters": tuple(s for s in STAGES if s != "k8slint.formatters"),
    "k8slint.api": ("k8slint.cli", "k8slint.templates"),
}
SHARED = {"k8slint", "k8slint.errors", "k8slint.globs", "k8slint.digests", "k8slint.model", "k8slint.load", "k8slint.load.depth", "k8slint.load.kept", "k8slint.load.nodes", "k8slint.load.scalars", "k8slint.envs", "k8slint.sources",
          "k8slint.locate", "k8slint.locate.kustomize", "k8slint.locate.helm",
          "k8slint.locate.helm_template", "k8slint.locate.helm_expr", "k8slint.documents", "k8slint.workloads", "k8slint.sensitive", "k8slint.resources", "k8slint.validate", "k8slint.crds",
          "k8slint.k8s_schema", "k8slint.deprecations", "k8slint.schema_errors", "k8slint.regex", "k8slint.escape", "k8slint.outputs",
          "k8slint.progress", "k8slint.lazyre", "k8slint.records"}
TEMPLATES_MAY_IMPORT = {"k8slint.model", "k8slint.regex", "k8slint.lazyre", "k8slint.records", "k8slint.globs", "k8slint.workloads", "k8slint.sensitive", "k8slint.load", "k8slint.check.context",
                        "k8slint.crds", "k8slint.k8s_schema", "k8slint.deprecations", "k8slint.schema_errors"}


def _layer(module: str) -> str | None:
    if module in SHARED:
        return "shared"
    for layer in FORBIDDEN:
        if module == layer or module.startswith(layer + "."):
            return layer
    return None


def _inside(module: str, prefixes) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def test_every_module_has_a_place_in_the_layout():
    allowed_elsewhere = {"k8slint.__main__", "k8slint.entry", "k8slint.api", "k8slint.cli", "k8slint.selftest", "k8slint.docs", "k8slint.docs_gen"}
    homeless = [m for m in import_graph() if _layer(m) is None and m not in allowed_elsewhere
                and not _inside(m, ("k8slint.templates",))]
    assert homeless == [], f"add these modules to a layer in tests/test_layout.py: {homeless}"


def test_stages_import_only_what_comes_before_them():
    graph = import_graph()
    wrong = []
    for module, imported in sorted(graph.items()):
        if module == "k8slint":
            continue  # the package's lazy attributes (lint, Report) are imported by name at use
        layer = _layer(module)
        if layer is None:
            continue
        for target in sorted(imported):
            if _inside(target, FORBIDDEN[layer]) and not _inside(target, (layer,)):
                wrong.append(f"{module} imports {target}")
    assert wrong == []


def test_the_layering_check_catches_a_backward_import():
    graph = {"k8slint.render.helm": {"k8slint.plan.settings"}}
    layer = _layer("k8slint.render.helm")
    assert [t for t in graph["k8slint.render.helm"] if _inside(t, FORBIDDEN[layer])] == ["k8slint.plan.settings"]


def test_templates_import_only_the_narrow_context_and_value_types():
    graph = import_graph()
    wrong = {m: sorted(t for t in imported if not _inside(t, ("k8slint.templates",)) and t not in TEMPLATES_MAY_IMPORT)
             for m, imported in graph.items() if _inside(m, ("k8slint.templates",))}
    assert {m: w for m, w in wrong.items() if w} == {}


FILE_CALLS = {"read_text", "read_bytes", "open", "iterdir", "glob", "rglob", "walk", "listdir", "scandir", "stat",
              "lstat", "is_file", "is_dir", "exists", "is_symlink", "readlink", "resolve", "samefile"}


def file_access(source: str) -> list[str]:
    """Calls in ``source`` that touch the file system other than through ``ctx``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id == "open":
            found.append(f"line {node.lineno}: open()")
        elif isinstance(func, ast.Attribute) and func.attr in FILE_CALLS:
            receiver, chain = func.value, []
            while isinstance(receiver, ast.Attribute):
                chain.append(receiver.attr)
                receiver = receiver.value
            through_context = isinstance(receiver, ast.Name) and receiver.id == "ctx" and "settings" not in chain
            if not through_context:
                found.append(f"line {node.lineno}: .{func.attr}()")
    return found


def test_the_file_access_check_sees_reads_and_spares_the_context():
    assert file_access("def f(p, ctx):\n    ctx.is_dir('x')\n    ctx.sources.text('y')\n") == []
    assert file_access("def f(p, ctx):\n    return (ctx.settings.repo_root / 'x').read_text()\n") == ["line 2: .read_text()"]
    assert file_access("def f(p, ctx):\n    return ctx.settings.repo_root.glob('*')\n") == ["line 2: .glob()"]
    assert file_access("import os\ndef f(root):\n    os.walk(root)\n    open('x')\n") == ["line 3: .walk()", "line 4: open()"]


@pytest.mark.parametrize("path", sorted((PACKAGE / "templates").glob("*.py")), ids=lambda p: p.name)
def test_templates_read_no_file_except_through_the_context(path):
    source = path.read_text(encoding="utf-8")
    assert file_access(source) == []
    assert "repo_root" not in source, "templates reach files through ctx (ctx.files(), ctx.sources, ctx.is_dir())"


@pytest.mark.parametrize("document, section", [("README.md", "## Layout"), ("CONTRIBUTING.md", "## Layout and stages")])
def test_the_documented_layout_names_every_module(document, section):
    text = (PACKAGE.parent / document).read_text(encoding="utf-8")
    layout = text[text.index(section):]
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).as_posix()
        if path.name == "__main__.py" or path.parent.name in ("formatters", "templates", "gitops"):
            continue  # the packages are listed as a whole
        if rel not in layout and f" {path.name}" not in layout and f", {path.name}" not in layout:
            missing.append(rel)
    assert missing == [], f"{document} ({section}) says what each module is for"
