"""Report stage: the result of a run, and writing it in the formats asked for.

:class:`Report` is what ``k8slint.lint()`` returns: a :class:`~k8slint.formatters.Run` (what
formatters describe: targets, notes, rules) plus the findings, the summary and the verdict.
:func:`write` pairs ``--format`` with ``--output`` in the order given, opens each output and
drives each formatter through its fixed lifecycle (``start``, ``finding`` per finding,
``finish``).
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from dataclasses import field
from typing import Any

from .errors import K8slintError
from .formatters import Run, TargetInfo, summarize
from .model import SEVERITY_RANK, Finding, Target
from .records import FACTORY, record

__all__ = ["Report", "TargetInfo", "pair_outputs", "passes", "summarize", "write", "write_targets"]


@record
class Report(Run):
    """The outcome of one run (``Run`` fields: version, targets, notes, rules, repo_root, fail_on)."""

    findings: list[Finding] = field(default_factory=list)  # sorted; what the formats show
    summary: dict[str, Any] = field(default_factory=dict)  # counts, as formatters.summarize makes them
    passed: bool = True  # nothing at or above fail_on (or a baseline was written)

    def __init__(
            self, version: str, targets: list[TargetInfo] = FACTORY, notes: list[str] = FACTORY,
            rules: dict = FACTORY, repo_root: str = ".", fail_on: str = "error", repository: bool = False,
            rendered: bool = True, diff_base: str | None = None, unchanged: list = FACTORY,
            changed_files: frozenset | None = None, unchecked_files: list = FACTORY,
            baseline_written: str | None = None, findings: list[Finding] = FACTORY, summary: dict[str, Any] = FACTORY,
            passed: bool = True
    ) -> None:
        Run.__init__(self, version, targets, notes, rules, repo_root, fail_on, repository, rendered, diff_base,
                     unchanged, changed_files, unchecked_files, baseline_written)
        self.findings = [] if findings is FACTORY else findings
        self.summary = {} if summary is FACTORY else summary
        self.passed = passed

    @property
    def exit_code(self) -> int:
        """0 clean, 1 findings at or above fail_on (2, could not check, is a K8slintError instead)."""
        return 0 if self.passed else 1


def passes(findings: list[Finding], fail_on: str) -> bool:
    if fail_on == "never":
        return True
    threshold = SEVERITY_RANK[fail_on]
    return not any(SEVERITY_RANK[f.severity] >= threshold for f in findings)


def pair_outputs(formats: list[str], outputs: list[str]) -> list[tuple[str, str | None]]:
    """(format, output) pairs in the order given; ``auto`` picks github inside GitHub Actions.
    Unknown formats and two formats on stdout are K8slintErrors."""
    from . import formatters

    if len(outputs) > len(formats):
        raise K8slintError("more --output than --format options: give one --format per --output")
    pairs = []
    for position, name in enumerate(formats):
        if name == "auto":
            name = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
        pairs.append((name, outputs[position] if position < len(outputs) else None))
    to_stdout = [name for name, out in pairs if out in (None, "-")]
    if len(to_stdout) > 1:
        raise K8slintError(f"formats {', '.join(to_stdout)} would all write to stdout: give each but one an --output FILE")
    for name, _ in pairs:
        try:
            formatters.get(name)
        except KeyError:
            known = ", ".join(sorted({*formatters.BUILTIN, *formatters.registry(), "auto"}))
            raise K8slintError(f"unknown format {name!r} (known: {known})") from None
    return pairs


def write(report: Report, pairs: list[tuple[str, str | None]], color: bool | None = None, quiet: bool = False) -> None:
    """Write the report once per (format, output) pair; a file is written atomically (a temporary
    file renamed over it when complete). Each format shows at most MAX_OUTPUT bytes of findings
    (estimated up front, so every document stays well-formed); a note says when findings are left out.
    ``color`` None: see :func:`use_color`; ``quiet``: formatters for people leave out notes and summary."""
    from . import formatters

    shown = _fitting(report.findings)
    if shown < len(report.findings):
        report.notes.append(f"{len(report.findings) - shown:,} of {len(report.findings):,} findings not shown: the output "
                            f"is capped at about {MAX_OUTPUT >> 20} MiB per format (the summary counts them all)")
    for name, output in pairs:
        with open_output(output) as stream:
            formatter = formatters.get(name)(stream, color=use_color(color, stream, to_stdout=output in (None, "-")))
            formatter.quiet = quiet
            formatter.start(report)
            for finding in report.findings[:shown]:
                formatter.finding(finding)
            formatter.finish(report.summary)


def use_color(color: bool | None, stream, to_stdout: bool = True, environ=None) -> bool:
    """--color/--no-color decide; else, on stdout, a non-empty NO_COLOR turns colour off
    (no-color.org), then a non-empty FORCE_COLOR turns it on, then TERM=dumb off, then a terminal
    on (the order of Python's own REPL); a file gets colour only from --color."""
    if color is not None:
        return color
    if not to_stdout:
        return False
    environ = os.environ if environ is None else environ
    if environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR"):
        return True
    if environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream
        return False


MAX_OUTPUT = 32 << 20  # bytes of findings one format writes


def _fitting(findings: list[Finding]) -> int:
    """How many findings fit in MAX_OUTPUT (by a generous estimate of each one's size in any format)."""
    sizes = [len(f.message) + len(f.location.file) + (len(str(f.object)) if f.object else 0) for f in findings]
    if 600 * len(sizes) + 3 * sum(sizes) <= MAX_OUTPUT:
        return len(findings)  # all of them (the common case: one sum, not a running total)
    total = 0
    for count, size in enumerate(sizes):
        total += 600 + 3 * size
        if total > MAX_OUTPUT:
            return count
    return len(findings)


def write_targets(targets: list[Target], pairs: list[tuple[str, str | None]], root) -> None:
    """--list-targets: one line per target, or with --format json a JSON list (a CI matrix)."""
    import json

    from .sources import relative

    name, output = pairs[0]
    with open_output(output) as stream:
        if name == "json":
            rows = []
            for t in targets:
                row = {"target": t.label(), "path": t.display, "kind": t.kind, "env": t.env, "envSource": t.env_source,
                       "values": [relative(v, root) for v in t.values]}
                if t.deployed_by:  # an Application's target: `k8slint check <its manifest>` checks it
                    manifest, _, unit = t.deployed_by.partition("#")
                    row.update(path=manifest, source=t.display, deployedBy=unit)
                rows.append(row)
            stream.write(json.dumps(rows, separators=(",", ":")) + "\n")
        else:
            from .escape import terminal

            stream.write("".join(f"{terminal(t.label())}\t{t.env}\n" for t in targets))


@contextmanager
def open_output(path: str | None):
    """stdout, or the file ``path`` written atomically."""
    from .outputs import atomic

    if path in (None, "-"):
        try:
            yield sys.stdout
        finally:
            sys.stdout.flush()
        return
    try:
        with atomic(path) as stream:
            yield stream
    except OSError as exc:
        raise K8slintError(f"--output {path}: cannot write ({exc.strerror})") from None
