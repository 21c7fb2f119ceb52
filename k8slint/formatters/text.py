"""Text: for people at a terminal. Grouped by target and file; colour only on a TTY. Paths are
relative to the current directory (absolute when outside it), so a terminal can open them."""

from __future__ import annotations

from itertools import groupby

from ..escape import terminal
from . import Formatter
from .common import shown_path, targets_phrase

_COLORS = {"error": "31", "warning": "33", "info": "36", "dim": "2", "bold": "1", "green": "32"}


class TextFormatter(Formatter):
    def _c(self, text: str, what: str) -> str:
        return f"\033[{_COLORS[what]}m{text}\033[0m" if self.color else text

    def finish(self, summary: dict) -> None:
        run = self.run
        write = self.out.write
        wrote = False
        for note in [] if self.quiet else run.notes:
            write(self._c(f"note: {terminal(note)}", "dim") + "\n")
            wrote = True
        info = {t.label: t for t in run.targets}
        # grouped by the targets a finding is in: one target, several (a shared base), the repository
        for targets, group in groupby(self.findings, key=lambda f: tuple(sorted(t for t, _ in f.targets))):
            group = list(group)
            if len(targets) > 1:
                heading = terminal(targets_phrase(group[0]))
            else:
                t = info.get(targets[0])
                env = terminal(f" ({t.env}{', ' + t.env_source if t and t.env_source not in ('path',) else ''})") if t else ""
                heading = "the repository tree (.)" if targets[0] == "." else f"{terminal(targets[0])}{env}"
            write(("\n" if wrote else "") + self._c(heading, "bold") + "\n")
            wrote = True
            for file, items in groupby(group, key=lambda f: f.location.file):
                write(f"  {terminal(shown_path(run, file))}\n")
                for f in items:
                    sev = self._c(f"{f.severity:<7}", f.severity)
                    write(f"    {f.location.line:>5}  {sev} {terminal(f.rule):<26} {terminal(f.message)}\n")
                    if f.related:
                        places = terminal(", ".join(f"{shown_path(run, r.file)}:{r.line}" for r in f.related))
                        write(self._c(f"           via {places}", "dim") + "\n")
                    if f.rendered is not None:
                        write(self._c(f"           rendered at {terminal(shown_path(run, f.rendered.file))}:{f.rendered.line}", "dim") + "\n")
        if self.quiet:
            return
        checked = ", ".join(f"{t.label} [{t.env}]" for t in run.targets)
        if run.repository:
            checked = f"{checked}, the repository tree" if checked else "the repository tree"
        checked = terminal(checked or "nothing")
        write("\n")
        verdict = self._c("passed", "green") if summary["passed"] else self._c("failed", "error")
        base = f", new since {run.diff_base} ({summary['unchanged']} it has too not shown)" if run.diff_base else ""
        write(
            f"{verdict}: {summary['errors']} error(s), {summary['warnings']} warning(s), {summary['infos']} info{base} "
            f"in {summary['targets']} target(s), {summary['objects']} object(s) checked (fail-on: {summary['fail_on']})\n"
        )
        write(self._c(f"checked: {checked or 'nothing'}", "dim") + "\n")
