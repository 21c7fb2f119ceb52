"""Rule documentation from the rule files: `k8slint rules`, `k8slint explain`, docs/rules/*.md."""

from __future__ import annotations

import json
import textwrap

from .plan.rules import Rule

DOCS_URL = "https://github.com/k8slint/k8slint/blob/main/docs/"
# Where a built-in rule's invariant stands in docs/invariants.md: its own row (anchor = rule id),
# unless listed here (rules the catalog covers in a section rather than a row).
INVARIANT_ANCHORS = {
    "ignore-without-reason": "suppression",
    "unused-suppression": "suppression",
    "parse-error": "g-schema",
}


def invariant_anchor(rule: Rule) -> str:
    return INVARIANT_ANCHORS.get(rule.id, rule.id)


def envs_text(rule: Rule) -> str:
    """The environments column of `k8slint rules`, README's table and the rule pages: repository
    rules run once on the repository tree, whatever the targets' environments."""
    if rule.scope == "repo":
        return "repo tree"
    return ", ".join(sorted(rule.envs)) if rule.envs else "all"


_envs = envs_text


def list_rules(rules: dict[str, Rule], fmt: str) -> str:
    ordered = sorted(rules.values(), key=lambda r: r.id)
    if fmt == "json":
        return json.dumps(
            [{"id": r.id, "severity": r.severity, "envs": sorted(r.envs) or ["all"], "scope": r.scope,
              "summary": r.summary, "builtin": r.builtin, "file": r.file} for r in ordered],
            indent=2,
        ) + "\n"
    if fmt == "markdown":
        lines = ["| id | severity | environments | summary |", "|---|---|---|---|"]
        lines += [f"| [`{r.id}`](rules/{r.id}.md) | {r.severity} | {_envs(r)} | {r.summary} |" for r in ordered]
        return "\n".join(lines) + "\n"
    width = max(len(r.id) for r in ordered) if ordered else 10
    lines = [f"{'RULE':<{width}}  {'SEVERITY':<8}  {'ENVIRONMENTS':<20}  SUMMARY"]
    for r in ordered:
        custom = "  (custom)" if not r.builtin else ""
        lines.append(f"{r.id:<{width}}  {r.severity:<8}  {_envs(r):<20}  {r.summary}{custom}")
    return "\n".join(lines) + "\n"


def _cited(rule: Rule) -> str:
    """The rule file's sources: sections of the documents the catalog was distilled from, by
    their short names (docs/invariants.md lists them), e.g. ``ARCH 1.3 "Data lifecycle"``."""
    cited = []
    for source in rule.data.get("sources", []):
        title = ' "%s"' % source["title"] if source.get("title") else ""
        cited.append(f"{source['doc']} {source['section']}{title}")
    return ", ".join(cited)


def _sources(rule: Rule, links: str) -> list[str]:
    """Sources a reader can open. ``links``: "relative" for the pages under docs/rules/,
    "url" for `k8slint explain` in a terminal (the same pages on the project's site). Built-in
    rules point at their page and their invariant in docs/invariants.md; a custom rule's sources
    are its own documents, cited as its rule file writes them."""
    cited = _cited(rule)
    if not rule.builtin:
        return [cited] if cited else []
    anchor = invariant_anchor(rule)
    where = f" (distilled from {cited})" if cited else ""
    if links == "relative":
        return [f"The invariant in k8slint's rule catalog: [docs/invariants.md#{anchor}](../invariants.md#{anchor}){where}"]
    return [f"This rule's page: {DOCS_URL}rules/{rule.id}.md",
            f"The invariant in k8slint's rule catalog: {DOCS_URL}invariants.md#{anchor}{where}"]


def render_markdown(rule: Rule, links: str = "relative") -> str:
    """docs/rules/<id>.md, generated; tests keep the committed files equal to this. ``links``:
    "relative" for the page in docs/rules/, "url" for `k8slint explain`."""
    data = rule.data
    parts = [
        f"# `{rule.id}`\n",
        f"**Severity:** {rule.severity} · **Environments:** {_envs(rule)} · **Scope:** {rule.scope}"
        + (f" · **Kinds:** {', '.join(sorted(rule.kinds))}" if rule.kinds else "") + "\n",
        f"{data['summary']}\n",
        "## What it does\n",
        data["description"].strip() + "\n",
        "## Why\n",
        data["rationale"].strip() + "\n",
    ]
    sources = _sources(rule, links)
    if sources:
        parts.append("Sources:\n\n" + "\n".join(f"- {s}" for s in sources) + "\n")
    examples = data.get("examples", {})
    if examples.get("fail"):
        parts.append("## Example: fails\n\n```yaml\n" + examples["fail"][0].rstrip() + "\n```\n")
    if examples.get("pass"):
        parts.append("## Example: passes\n\n```yaml\n" + examples["pass"][0].rstrip() + "\n```\n")
    parts.append("## How to fix\n")
    parts.append(data["remediation"].strip() + "\n")
    options = _options(rule)
    if options:
        parts.append(options)
    parts.append(_suppress_text(rule))
    return "\n".join(parts)


def _options(rule: Rule) -> str:
    """The params the rule's template takes: name, type, description, and this rule's values."""
    from .plan.params import declared, type_text

    params = declared(rule.check)
    if not params and not rule.params:
        return ""
    lines = [f"## Options\n\nParams of template `{rule.data.get('template')}`, set under `rules.{rule.id}.params` "
             f"(or `rules.{rule.id}.env.<env>.params`) in `.k8slint.yaml`:\n",
             "| param | type | description |", "|---|---|---|"]
    for name, spec in params.items():
        required = "" if "default" in spec else " Required."
        lines.append(f"| `{name}` | {_cell(type_text(spec))} | {_cell(spec.get('description', ''))}{required} |")
    text = "\n".join(lines) + "\n" if params else ""
    if rule.params:
        text += ("\n" if text else "## Options\n\n") + "This rule's values (the template's defaults, and what the rule file sets):\n\n```yaml\n" \
            + _yaml(rule.params) + "```\n"
    return text


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _short(value, width: int = 70) -> str:
    text = json.dumps(json.loads(json.dumps(value)), separators=(", ", ": "))
    return text if len(text) <= width else text[: width - 3] + "..."


def template_info(name: str, fn, rules: dict[str, Rule], full: bool = False) -> str:
    """One template: its scope, the rules that use it, what it checks and its params."""
    from .plan.params import declared, type_text

    users = sorted(r.id for r in rules.values() if r.data.get("template") == name)
    doc = (fn.__doc__ or "").strip()
    summary = doc if full else doc.split("\n\n")[0]
    lines = [f"{name} (scope: {fn.k8slint_scope}; rules: {', '.join(users) or 'none'})"]
    lines += ["  " + line.strip() for line in summary.splitlines()] if summary else []
    params = declared(fn)
    if getattr(fn, "k8slint_params", None) is None:
        lines.append("  params: not declared (not checked)")
    elif not params:
        lines.append("  params: none")
    for param, spec in params.items():
        if "default" not in spec:
            default = "required"
        elif full and len(_short(spec["default"], 10_000)) > 70:
            default = "default:\n" + textwrap.indent(_yaml(spec["default"]), "        ").rstrip("\n")
        else:
            default = f"default: {_short(spec['default'])}"
        lines.append(f"  - {param}: {type_text(spec)}")
        lines.append(f"      {spec.get('description', '')}")
        lines.append(f"      {default}")
    return "\n".join(lines) + "\n"


def list_templates(templates: dict, rules: dict[str, Rule], fmt: str) -> str:
    """`k8slint templates`: every installed template with its params."""
    from .plan.params import declared, type_text

    if fmt == "json":
        return json.dumps([
            {"name": name, "scope": fn.k8slint_scope, "rules": sorted(r.id for r in rules.values() if r.data.get("template") == name),
             "params": None if getattr(fn, "k8slint_params", None) is None else [
                 {"name": p, "type": type_text(s), "required": "default" not in s, "default": s.get("default"),
                  "description": s.get("description", "")} for p, s in declared(fn).items()],
             "schema": getattr(fn, "k8slint_params", None)}
            for name, fn in sorted(templates.items())], indent=2) + "\n"
    return "\n".join(template_info(name, fn, rules) for name, fn in sorted(templates.items()))


def _yaml(data) -> str:
    import yaml

    data = json.loads(json.dumps(data))  # line-aware YMap/YList -> plain dict/list
    return yaml.safe_dump(data, sort_keys=True, default_flow_style=False, width=1000)


POD_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod", "ReplicationController"})


def _suppress_text(rule: Rule) -> str:
    if rule.scope in ("repo", "meta"):
        how = (
            "In `.k8slint.yaml`:\n\n```yaml\nignore:\n  - rules: [" + rule.id + "]\n    paths: [\"legacy/**\"]\n"
            "    reason: why this is acceptable\n```\n"
        )
    else:
        kinds = sorted(rule.kinds)
        kind = "Deployment" if not kinds or "Deployment" in kinds else kinds[0]  # an example on the rule's own kinds
        pods = not kinds or set(kinds) <= POD_KINDS  # a workload rule: the annotation may sit on the pod template
        how = (
            f"On the {kind}{' (or its pod template)' if pods else ''}:\n\n```yaml\nkind: {kind}\nmetadata:\n  annotations:\n"
            f"    k8slint.io/ignore: \"{rule.id}\"\n    k8slint.io/ignore-reason: why this is acceptable\n```\n\n"
            "or in `.k8slint.yaml`:\n\n```yaml\nignore:\n  - rules: [" + rule.id + f"]\n    kind: {kind}\n    name: legacy-*\n"
            "    reason: why this is acceptable\n```\n"
        )
    return "## How to suppress\n\n" + how + f"\nTo turn it off: `rules: {{{rule.id}: {{enabled: false}}}}`.\n"


def explain_rule(rule: Rule) -> str:
    text = render_markdown(rule, links="url")
    return text if text.endswith("\n") else text + "\n"


def wrap(text: str) -> str:
    return "\n".join(textwrap.fill(p, 88) for p in text.split("\n\n"))
