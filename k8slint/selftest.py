"""`k8slint test`: run each rule's own `examples:` (pass/fail snippets) through the checker."""

from __future__ import annotations

from pathlib import Path

from .plan.rules import Rule


def example_env(rule: Rule) -> str:
    env = rule.data.get("examples", {}).get("env")
    if env:
        return env
    return "production" if not rule.envs or "production" in rule.envs else sorted(rule.envs)[0]


def findings_for_snippet(rule: Rule, rules: dict[str, Rule], snippet: str, root: Path | None = None) -> list:
    """Check one YAML snippet with only ``rule`` active; returns that rule's findings."""
    from .check import Checker, Policy
    from .model import Target
    from .plan.config import Config
    from .plan.settings import Settings
    from .render import Render
    from .render.plain import load_bytes

    if rule.scope == "source":  # a kustomization snippet, written into a scratch repository
        import tempfile

        with tempfile.TemporaryDirectory(prefix="k8slint-example-") as tmp:
            scratch = Path(tmp).resolve()
            rel = rule.data.get("examples", {}).get("file", "kustomization.yaml")
            (scratch / rel).parent.mkdir(parents=True, exist_ok=True)
            (scratch / rel).write_text(snippet, encoding="utf-8")
            settings = Settings(repo_root=scratch, config=Config())
            directory = (scratch / rel).parent
            target = Target("kustomize", directory, directory.relative_to(scratch).as_posix() or ".", example_env(rule), "example")
            checker = Checker(Policy(rules, settings, {rule.id}), settings)
            return [f for f in checker.check_render(Render(target)) if f.rule == rule.id]
    root = root or Path.cwd()
    settings = Settings(repo_root=root, config=Config())
    target = Target("stdin", root, "<example>", example_env(rule), "example")
    result = Render(target)
    load_bytes(snippet.encode("utf-8"), "<example>", result)
    checker = Checker(Policy(rules, settings, {rule.id}), settings)
    return [f for f in checker.check_render(result) if f.rule == rule.id]


def run_examples(chosen: list[Rule], rules: dict[str, Rule]) -> tuple[list[str], int]:
    failures: list[str] = []
    total = 0
    for rule in sorted(chosen, key=lambda r: r.id):
        examples = rule.data.get("examples", {})
        for expect in ("fail", "pass"):
            for position, snippet in enumerate(examples.get(expect, [])):
                total += 1
                found = findings_for_snippet(rule, rules, snippet)
                if expect == "fail" and not found:
                    failures.append(f"FAIL {rule.file}: examples.fail[{position}] of {rule.id} produced no finding")
                elif expect == "pass" and found:
                    failures.append(
                        f"FAIL {rule.file}: examples.pass[{position}] of {rule.id} produced {len(found)} finding(s): {found[0].message}"
                    )
    return failures, total
