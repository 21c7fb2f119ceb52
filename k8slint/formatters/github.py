"""GitHub Actions workflow commands: annotations on the source lines
(``::error file=…,line=…,title=…::message``), and a Markdown summary appended to the file named by
``$GITHUB_STEP_SUMMARY`` when it is set.

GitHub shows at most 10 error, 10 warning and 10 notice annotations per step and drops the rest
silently, so at most :data:`MAX_PER_LEVEL` of each are printed: the most severe first, within a
severity the files the change touched first (known with ``--diff-base``), then by file and line;
run notes are notices too. When something is left out, the last notice says how much and where it
all is: the job summary lists every finding (within GitHub's 1 MiB summary cap, cut with a note),
and so does the SARIF report.

Escaping follows the runner's rules: in the message ``%``, CR and LF are percent-encoded; in
property values also ``:`` and ``,``.
"""

from __future__ import annotations

import os

from ..escape import workflow_data, workflow_property
from . import Formatter
from ..model import SEVERITY_RANK
from .common import environments, is_pseudo, rendered_by, target_paths, targets_phrase, via, workspace_file

COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}
MAX_PER_LEVEL = 10  # annotations GitHub shows per severity per step
SUMMARY_LIMIT = 1024 * 1024  # bytes one step's job summary may hold


def escape_data(text: str) -> str:
    return workflow_data(text)


def escape_property(text: str) -> str:
    return workflow_property(text)


def annotation(level: str, message: str, **props) -> str:
    fields = ",".join(f"{k}={escape_property(v)}" for k, v in props.items() if v not in (None, ""))
    return f"::{level}{' ' + fields if fields else ''}::{escape_data(message)}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


class GithubFormatter(Formatter):
    def finish(self, summary: dict) -> None:
        run = self.run
        paths = target_paths(run)
        write = self.out.write
        changed = run.changed_files or frozenset()
        ordered = sorted(self.findings, key=lambda f: (-SEVERITY_RANK[f.severity], f.location.file not in changed,
                                                       f.location.file, f.location.line, f.rule))
        levels: dict[str, list] = {"error": [], "warning": [], "notice": []}
        for f in ordered:
            levels[COMMANDS.get(f.severity, "warning")].append(f)
        notices = [("note", note) for note in run.notes] + [("finding", f) for f in levels["notice"]]
        overflowing = (len(levels["error"]) > MAX_PER_LEVEL or len(levels["warning"]) > MAX_PER_LEVEL
                       or len(notices) > MAX_PER_LEVEL)
        room = MAX_PER_LEVEL - 1 if overflowing else MAX_PER_LEVEL  # one notice says what was left out
        for f in levels["error"][:MAX_PER_LEVEL] + levels["warning"][:MAX_PER_LEVEL]:
            write(self._annotation(f, paths) + "\n")
        for kind, item in notices[:room]:
            write((annotation("notice", item, title="k8slint") if kind == "note" else self._annotation(item, paths)) + "\n")
        step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
        if overflowing:
            left = {"error": len(levels["error"][MAX_PER_LEVEL:]), "warning": len(levels["warning"][MAX_PER_LEVEL:]),
                    "info": sum(1 for kind, _ in notices[room:] if kind == "finding")}
            notes_left = sum(1 for kind, _ in notices[room:] if kind == "note")
            parts = [_plural(n, s) for s, n in left.items() if n]
            what = f"{sum(left.values())} more finding(s) ({', '.join(parts)})" if parts else ""
            if notes_left:
                what = f"{what} and {_plural(notes_left, 'note')}" if what else _plural(notes_left, "note")
            where = "this job's summary lists them all" if step_summary else "`k8slint check` shows them all"
            write(annotation("notice", f"{what} not annotated: GitHub shows at most {MAX_PER_LEVEL} annotations of each "
                                       f"severity per step. {where[0].upper() + where[1:]}, and so does the SARIF report "
                                       "(code scanning, when it is uploaded).", title="k8slint") + "\n")
        verdict = "passed" if summary["passed"] else "failed"
        base = f", new since {run.diff_base}" if run.diff_base else ""
        write(f"k8slint {verdict}: {summary['errors']} error(s), {summary['warnings']} warning(s), {summary['infos']} info{base} "
              f"in {summary['targets']} target(s), {summary['objects']} object(s) (fail-on: {summary['fail_on']})\n")
        if step_summary:
            self._summary(step_summary, summary)

    def _annotation(self, f, paths: dict) -> str:
        run = self.run
        message = f.message
        if f.related:
            message += f"\n{via(f)}"
        if len(f.targets) > 1:
            message += f"\n{targets_phrase(f)}"
        else:
            by = rendered_by(f, paths)
            if by is not None:
                message += f"\nrendered by {by} ({f.env})"
        if f.rendered is not None:
            message += f"\nrendered at {f.rendered.file}:{f.rendered.line}"
        envs = environments(f)
        props = {"title": f"k8slint {f.rule}" + (f" [{', '.join(envs)}]" if envs else "")}
        if not is_pseudo(f.location.file):
            props = {"file": workspace_file(run, f.location.file), "line": str(f.location.line), **props}
        return annotation(COMMANDS.get(f.severity, "warning"), message, **props)

    def _summary(self, path: str, summary: dict) -> None:
        """Append every finding to the job summary, cut to what fits in GitHub's 1 MiB per step."""
        from .markdown import render

        try:
            used = os.path.getsize(path) if os.path.exists(path) else 0
        except OSError:
            used = 0
        room = SUMMARY_LIMIT - used - 1024
        try:
            with open(path, "a", encoding="utf-8") as handle:
                if room < 4096:
                    handle.write("k8slint: the job summary is full; see the SARIF report or run `k8slint check`.\n")
                else:
                    handle.write(render(self.run, self.findings, summary, max_findings=None, max_bytes=room) + "\n")
        except OSError as exc:
            self.out.write(annotation("warning", f"could not append the job summary to $GITHUB_STEP_SUMMARY ({exc.strerror})",
                                      title="k8slint") + "\n")
