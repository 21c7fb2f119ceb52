"""Markdown: a report sized for a pull-request comment or a job summary.

A verdict line, a table per target (env, objects, counts of the findings it is in), then the
findings grouped by the targets they are in (one target, several sharing a base, the repository)
and source file, with links to each rule's documentation. Long reports are cut at a number of
findings and of UTF-8 bytes (GitHub comments stop at 65,536 characters, job summaries at 1 MiB),
and say how many were left out.
"""

from __future__ import annotations


from ..escape import code, markdown
from . import Formatter
from .common import object_name, rule_help_uri, targets_phrase, via

MAX_FINDINGS = 100
MAX_BYTES = 60_000
ICONS = {"error": "🔴", "warning": "🟡", "info": "🔵"}


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell: no pipes, no newlines, no raw HTML, links, images or
    @mentions (escape.markdown)."""
    return markdown(" ".join(str(text).split()))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _size(text: str) -> int:
    return len(text.encode("utf-8")) + 1


def render(run, findings: list, summary: dict, max_findings: int | None = MAX_FINDINGS, max_bytes: int = MAX_BYTES) -> str:
    """The report; ``max_findings`` None: as many as fit in ``max_bytes``."""
    verdict = "✅ passed" if summary["passed"] else "❌ failed"
    base = f", new since `{cell(run.diff_base)}` ({summary.get('unchanged', 0)} it has too not shown)" if run.diff_base else ""
    head = [
        f"### k8slint {verdict}",
        "",
        f"{_plural(summary['errors'], 'error')}, {_plural(summary['warnings'], 'warning')}, {summary['infos']} info{base} "
        f"in {_plural(summary['targets'], 'target')} ({summary['objects']} objects checked, fail-on: {summary['fail_on']}).",
        "",
    ]
    counts: dict[str, dict[str, int]] = {}
    for f in findings:
        for target, _ in f.targets:
            per = counts.setdefault(target, {"error": 0, "warning": 0, "info": 0})
            per[f.severity] += 1
    head += ["| target | env | objects | errors | warnings | info |", "|---|---|---:|---:|---:|---:|"]
    for t in run.targets:
        c = counts.get(t.label, {"error": 0, "warning": 0, "info": 0})
        objects = "render failed" if t.failed else str(t.objects)
        head.append(f"| {code(t.label)} | {cell(t.env)} | {objects} | {c['error']} | {c['warning']} | {c['info']} |")
    if "." in counts:
        c = counts["."]
        head.append(f"| repository | - | - | {c['error']} | {c['warning']} | {c['info']} |")
    for note in run.notes:
        head.append("")
        head.append(f"> note: {cell(note)}")
    lines = head + [""]
    size = sum(_size(x) for x in lines)
    shown = 0
    current: tuple = (None, None)
    for f in findings:
        add = []
        group = tuple(sorted(t for t, _ in f.targets))
        if group != current[0]:
            if len(group) > 1:
                title = cell(targets_phrase(f))
            else:
                title = "repository files" if f.target == "." else f"{code(f.target)} ({cell(f.env)})"
            add += [f"#### {title}", ""]
        if (group, f.location.file) != current:
            add += [code(f.location.file), "", "| line | severity | rule | object | message |", "|---:|---|---|---|---|"]
        rule = run.rules.get(f.rule)
        uri = rule_help_uri(rule) if rule is not None and rule.builtin else ""
        name = f"[{code(f.rule)}]({uri})" if uri else code(f.rule)
        rendered = f" ({via(f)})" if f.related else ""
        rendered += f" (rendered at {f.rendered.file}:{f.rendered.line})" if f.rendered is not None else ""
        add.append(f"| {f.location.line} | {ICONS.get(f.severity, '')} {f.severity} | {name} | "
                   f"{cell(object_name(f))} | {cell(f.message + rendered)} |")
        cost = sum(_size(x) for x in add) + (2 if add[0].startswith(("#", "`")) else 0)
        if (max_findings is not None and shown >= max_findings) or size + cost + 250 > max_bytes:
            break
        if add[0].startswith(("#", "`")) and shown:
            lines.append("")  # close the previous table
        lines += add
        size += cost
        shown += 1
        current = (group, f.location.file)
    lines.append("")
    left = len(findings) - shown
    if left > 0:
        rest = findings[shown:]
        by_sev = ", ".join(f"{n} {s}" for s in ("error", "warning", "info") if (n := sum(1 for f in rest if f.severity == s)))
        lines += [f"_… and {_plural(left, 'more finding')} not shown ({by_sev}); "
                  "run `k8slint check` locally or see the SARIF/JSON report for all of them._", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


class MarkdownFormatter(Formatter):
    def finish(self, summary: dict) -> None:
        self.out.write(render(self.run, self.findings, summary))
