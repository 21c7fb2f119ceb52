"""Text: for people at a terminal, as ruff and yamllint print. Grouped by target and file; colour
only on a terminal. Paths are relative to the current directory (absolute when outside it), so a
terminal can open them. A finding at a source line is that line only (where it sits in the rendered
stream is in JSON and SARIF); the columns are as wide as this run's line numbers and rule ids need;
the ``checked:`` line names the first few targets and counts the rest."""

from __future__ import annotations

from itertools import groupby

from ..escape import terminal
from . import Formatter
from .common import is_pseudo, shown_path, targets_phrase

_COLORS = {"error": "31", "warning": "33", "info": "36", "dim": "2", "bold": "1", "green": "32"}
CHECKED_SHOWN = 5  # targets the checked: line names before "and N more"
RULE_COLUMN_MAX = 40  # a longer rule id pushes its own message right, not every other line's


class TextFormatter(Formatter):
    def _c(self, text: str, what: str) -> str:
        return f"\033[{_COLORS[what]}m{text}\033[0m" if self.color else text

    def finish(self, summary: dict) -> None:
        run = self.run
        write = self.out.write
        written = getattr(run, "baseline_written", None)
        wrote = False
        for note in [] if self.quiet else run.notes:
            if written and note.startswith("baseline of "):
                continue  # said by the one line below
            write(self._c(f"note: {terminal(note)}", "dim") + "\n")
            wrote = True
        if written:  # --write-baseline: what was written, in one line
            counts = _counts(summary)
            write(f"wrote {terminal(written)}: {summary['findings']} finding(s) recorded ({counts}) from "
                  f"{summary['targets']} target(s); `--baseline {terminal(written)}` hides them\n")
            return
        info = {t.label: t for t in run.targets}
        rule_width = min(RULE_COLUMN_MAX, max((len(f.rule) for f in self.findings), default=0))
        line_width = max(5, max((len(str(f.location.line)) for f in self.findings), default=0))
        indent = " " * (4 + line_width + 2)
        # grouped by the targets a finding is in: one target, several (a shared base), the repository
        for targets, group in groupby(self.findings, key=lambda f: tuple(sorted(t for t, _ in f.targets))):
            group = list(group)
            if len(targets) > 1:
                heading = terminal(targets_phrase(group[0]))
            else:
                t = info.get(targets[0])
                env = terminal(f" ({t.env}{', ' + t.env_source if t and t.env_source not in ('path',) else ''})") if t else ""
                heading = "repository" if targets[0] == "." else f"{terminal(targets[0])}{env}"
            write(("\n" if wrote else "") + self._c(heading, "bold") + "\n")
            wrote = True
            for file, items in groupby(group, key=lambda f: f.location.file):
                write(f"  {terminal(shown_path(run, file))}\n")
                for f in items:
                    sev = self._c(f"{f.severity:<7}", f.severity)
                    rule = terminal(f.rule)
                    write(f"    {f.location.line:>{line_width}}  {sev} {rule:<{rule_width}}  {terminal(f.message)}\n")
                    if f.related:
                        places = terminal(", ".join(f"{shown_path(run, r.file)}:{r.line}" for r in f.related))
                        write(self._c(f"{indent}via {places}", "dim") + "\n")
                    if f.rendered is not None and is_pseudo(f.location.file):
                        write(self._c(f"{indent}rendered at {terminal(shown_path(run, f.rendered.file))}:{f.rendered.line}", "dim") + "\n")
        if self.quiet:
            return
        write("\n" if wrote else "")
        verdict = self._c("passed", "green") if summary["passed"] else self._c("failed", "error")
        base = f", new since {run.diff_base} ({summary['unchanged']} it has too not shown)" if run.diff_base else ""
        write(
            f"{verdict}: {_counts(summary)}{base} "
            f"in {summary['targets']} target(s), {summary['objects']} object(s) checked (fail-on: {summary['fail_on']})\n"
        )
        write(self._c(f"checked: {terminal(checked_line(run))}", "dim") + "\n")


def _counts(summary: dict) -> str:
    return f"{summary['errors']} error(s), {summary['warnings']} warning(s), {summary['infos']} info"


def checked_line(run, shown: int = CHECKED_SHOWN) -> str:
    """'infra/k8s/overlays/dev [development], ... and 111 more targets, the repository': bounded
    however many targets a run has (the JSON report lists them all)."""
    names = [f"{t.label} [{t.env}]" for t in run.targets]
    if len(names) > shown + 1:  # "and 1 more" would be as long as the name
        names = names[:shown] + [f"and {len(names) - shown} more targets"]
    if run.repository:
        names.append("the repository")
    return ", ".join(names) or "nothing"
