"""Concise: one line per finding, ``path:line:col: severity rule message``, the form editors,
terminals and CI problem matchers turn into links. Paths are relative to the current directory
(absolute when outside it); the column is where the line's text starts; a finding several targets
share ends in "(in N targets)". Nothing else is written:
the exit code says whether the run passed.
"""

from __future__ import annotations

from pathlib import Path

from ..escape import terminal
from . import Formatter
from .common import is_pseudo, shown_path

MAX_READ = 20_000_000


class ConciseFormatter(Formatter):
    def __init__(self, out, color: bool = False) -> None:
        super().__init__(out, color)
        self._lines: dict[str, list[str]] = {}

    def finish(self, summary: dict) -> None:
        run = self.run
        write = self.out.write
        for f in self.findings:
            place = f"{shown_path(run, f.location.file)}:{f.location.line}:{self._column(f.location.file, f.location.line)}"
            related = ", ".join(f"{shown_path(run, r.file)}:{r.line}" for r in f.related)
            message = " ".join(f.message.split()) + (f" (via {related})" if related else "")
            if len(f.targets) > 1:
                message += f" (in {len(f.targets)} targets)"
            write(f"{terminal(place)}: {f.severity} {terminal(f.rule)} {terminal(message)}\n")

    def _column(self, file: str, line: int) -> int:
        """1 + the indentation of the source line (1 when the file cannot be read)."""
        if is_pseudo(file):
            return 1
        if file not in self._lines:
            path = Path(self.run.repo_root) / file
            try:
                text = path.read_text(encoding="utf-8", errors="replace") if path.stat().st_size <= MAX_READ else ""
            except (OSError, ValueError):  # ValueError: a path no file system can encode
                text = ""
            self._lines[file] = text.splitlines()
        lines = self._lines[file]
        if not 0 < line <= len(lines):
            return 1
        text = lines[line - 1]
        return len(text) - len(text.lstrip(" ")) + 1
