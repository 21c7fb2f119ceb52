"""Text: for people at a terminal. Grouped by target and file; colour only on a TTY. Paths are
relative to the current directory (absolute when outside it), so a terminal can open them."""

from __future__ import annotations

from itertools import groupby

from ..escape import terminal
from . import Formatter
from .common import shown_path

_COLORS = {"error": "31", "warning": "33", "info": "36", "dim": "2", "bold": "1", "green": "32"}


class TextFormatter(Formatter):
    def _c(self, text: str, what: str) -> str:
        return f"\033[{_COLORS[what]}m{text}\033[0m" if self.color else text

    def finish(self, summary: dict) -> None:
        run = self.run
        write = self.out.write
        for note in run.notes:
            write(self._c(f"note: {terminal(note)}", "dim") + "\n")
        info = {t.label: t for t in run.targets}
        for target, group in groupby(self.findings, key=lambda f: f.target):
            group = list(group)
            t = info.get(target)
            env = terminal(f" ({t.env}{', ' + t.env_source if t and t.env_source not in ('path',) else ''})") if t else ""
            write("\n" + self._c(f"{terminal(target)}{env}", "bold") + "\n")
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
        checked = terminal(", ".join(f"{t.label} [{t.env}]" for t in run.targets) or "nothing")
        write("\n")
        verdict = self._c("passed", "green") if summary["passed"] else self._c("failed", "error")
        write(
            f"{verdict}: {summary['errors']} error(s), {summary['warnings']} warning(s), {summary['infos']} info "
            f"in {summary['targets']} target(s), {summary['objects']} object(s) checked (fail-on: {summary['fail_on']})\n"
        )
        write(self._c(f"checked: {checked}", "dim") + "\n")
