"""GitHub Actions workflow commands: an annotation per finding on the source line
(``::error file=…,line=…,title=…::message``), and a Markdown summary appended to the file named by
``$GITHUB_STEP_SUMMARY`` when it is set.

Escaping follows the runner's rules: in the message ``%``, CR and LF are percent-encoded; in
property values also ``:`` and ``,``.
"""

from __future__ import annotations

import os

from ..escape import workflow_data, workflow_property
from . import Formatter
from .common import is_pseudo, rendered_by, target_paths, via, workspace_file

COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    return workflow_data(text)


def escape_property(text: str) -> str:
    return workflow_property(text)


def annotation(level: str, message: str, **props) -> str:
    fields = ",".join(f"{k}={escape_property(v)}" for k, v in props.items() if v not in (None, ""))
    return f"::{level}{' ' + fields if fields else ''}::{escape_data(message)}"


class GithubFormatter(Formatter):
    def finish(self, summary: dict) -> None:
        run = self.run
        paths = target_paths(run)
        write = self.out.write
        for note in run.notes:
            write(annotation("notice", note, title="k8slint") + "\n")
        for f in self.findings:
            by = rendered_by(f, paths)
            message = f.message
            if f.related:
                message += f"\n{via(f)}"
            if by is not None:
                message += f"\nrendered by {by} ({f.env})"
            if f.rendered is not None:
                message += f"\nrendered at {f.rendered.file}:{f.rendered.line}"
            props = {"title": f"k8slint {f.rule}" + (f" [{f.env}]" if f.env not in ("-", "") else "")}
            if not is_pseudo(f.location.file):
                props = {"file": workspace_file(run, f.location.file), "line": str(f.location.line), **props}
            write(annotation(COMMANDS.get(f.severity, "warning"), message, **props) + "\n")
        verdict = "passed" if summary["passed"] else "failed"
        write(f"k8slint {verdict}: {summary['errors']} error(s), {summary['warnings']} warning(s), {summary['infos']} info "
              f"in {summary['targets']} target(s), {summary['objects']} object(s) (fail-on: {summary['fail_on']})\n")
        step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
        if step_summary:
            from .markdown import render

            try:
                with open(step_summary, "a", encoding="utf-8") as handle:
                    handle.write(render(run, self.findings, summary) + "\n")
            except OSError as exc:
                write(annotation("warning", f"could not append the job summary to $GITHUB_STEP_SUMMARY ({exc.strerror})",
                                 title="k8slint") + "\n")
