"""Formatters: how findings are written. Each is one module; the built-ins are found by name
in ``BUILTIN``, another package's through the ``k8slint.formatters`` entry-point group (read
only when a name is not built in).

Lifecycle, always in this order: ``start(run)`` once, ``finding(f)`` per finding (sorted),
``finish(summary)`` once. ``run`` is a :class:`Run`; the base class keeps the findings so
that formatters writing one document at the end (JSON, SARIF) only implement ``finish``.
"""

from __future__ import annotations

import functools
from dataclasses import field
from typing import IO, Any

from ..model import Finding
from ..records import FACTORY, record


@record
class TargetInfo:
    """A target as a report shows it: its label, kind and environment."""

    label: str
    kind: str
    env: str
    env_source: str
    objects: int
    failed: bool
    path: str = ""  # the overlay/chart/file as given (label without the [values] suffix)
    rules: tuple = ()  # ids of the rules in force for this target's environment

    def __init__(
            self, label: str, kind: str, env: str, env_source: str, objects: int, failed: bool, path: str = "",
            rules: tuple = ()
    ) -> None:
        self.label = label
        self.kind = kind
        self.env = env
        self.env_source = env_source
        self.objects = objects
        self.failed = failed
        self.path = path
        self.rules = rules


@record
class Run:
    """What every format says about a run besides its findings."""

    version: str
    targets: list[TargetInfo] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rules: dict = field(default_factory=dict)  # id -> Rule, for formatters that describe rules
    repo_root: str = "."
    fail_on: str = "error"
    repository: bool = False  # the repository-tree rules ran (their findings have target ".")
    rendered: bool = True  # targets were rendered and checked (not with --repository-rules only)
    diff_base: str | None = None  # --diff-base REF: findings are those REF does not have
    unchanged: list = field(default_factory=list)  # with diff_base: findings REF has too (state "unchanged"), not shown
    changed_files: frozenset | None = None  # with diff_base: repo-relative files that differ from REF
    unchecked_files: list = field(default_factory=list)  # YAML files neither checked nor recognised (repo-relative)
    baseline_written: str | None = None  # --write-baseline FILE: the findings were recorded there

    def __init__(
            self, version: str, targets: list[TargetInfo] = FACTORY, notes: list[str] = FACTORY,
            rules: dict = FACTORY, repo_root: str = ".", fail_on: str = "error", repository: bool = False,
            rendered: bool = True, diff_base: str | None = None, unchanged: list = FACTORY,
            changed_files: frozenset | None = None, unchecked_files: list = FACTORY,
            baseline_written: str | None = None
    ) -> None:
        self.version = version
        self.targets = [] if targets is FACTORY else targets
        self.notes = [] if notes is FACTORY else notes
        self.rules = {} if rules is FACTORY else rules
        self.repo_root = repo_root
        self.fail_on = fail_on
        self.repository = repository
        self.rendered = rendered
        self.diff_base = diff_base
        self.unchanged = [] if unchanged is FACTORY else unchanged
        self.changed_files = changed_files
        self.unchecked_files = [] if unchecked_files is FACTORY else unchecked_files
        self.baseline_written = baseline_written


class Formatter:
    """Base class: collects findings; subclasses write in start/finding/finish."""

    quiet = False  # --quiet: a formatter for people writes only the findings (report.write sets it)

    def __init__(self, out: IO[str], color: bool = False) -> None:
        self.out = out
        self.color = color
        self.run: Run | None = None
        self.findings: list[Finding] = []

    def start(self, run: Run) -> None:
        self.run = run

    def finding(self, finding: Finding) -> None:
        self.findings.append(finding)

    def finish(self, summary: dict[str, Any]) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


def summarize(findings: list[Finding], run: Run, passed: bool) -> dict[str, Any]:
    counts = {"error": 0, "warning": 0, "info": 0}
    for finding in findings:
        counts[finding.severity] += 1
    return {
        "findings": len(findings),
        "errors": counts["error"],
        "warnings": counts["warning"],
        "infos": counts["info"],
        "targets": len(run.targets),
        "objects": sum(t.objects for t in run.targets),
        "failed_targets": sum(1 for t in run.targets if t.failed),
        **({"unchanged": len(run.unchanged)} if run.diff_base else {}),
        "passed": passed,
        "fail_on": run.fail_on,
        "unchecked_files": list(run.unchecked_files),
    }


BATCH = 512  # list items encoded per call: bounds the memory of one chunk, not of the document


def write_json(out: IO[str], document: Any) -> None:
    """``json.dump(document, out, indent=2, ensure_ascii=False)`` plus a newline, written by a C
    encoder (orjson) in bounded chunks; the text is byte for byte what ``json`` writes, with the
    control characters ``json`` leaves raw escaped (``escape.json_text``).

    Large lists (the findings, SARIF's results) are encoded ``BATCH`` items per call and
    re-indented to their depth (orjson indents from column 0, and its output holds no raw
    newline but the indentation's), so memory stays bounded by a batch, not the document.
    Whatever orjson refuses (a lone surrogate from an undecodable name, an integer past 64
    bits, a non-string key) is encoded by ``json`` instead, the same text. Reports hold no
    floats (where the two encoders differ: ``1e-07`` and ``1e-7``)."""
    for chunk in _chunks(document, 0):
        out.write(chunk)
    out.write("\n")


def _encode(value: Any, level: int) -> str:
    """``value`` as indented JSON whose lines after the first start at ``level``, escaped."""
    from ..escape import json_text

    try:
        import orjson
    except ImportError:  # pragma: no cover - orjson is a dependency; json writes the same text
        orjson = None
    if orjson is not None:
        try:
            data = orjson.dumps(value, option=orjson.OPT_INDENT_2)
        except TypeError:  # orjson.JSONEncodeError: lone surrogates, huge integers, odd keys
            data = None
        if data is not None:
            if level:
                data = data.replace(b"\n", b"\n" + b"  " * level)
            if data.isascii() and b"\x7f" not in data:  # nothing json_text would escape: skip its scan
                return data.decode("ascii")
            return json_text(data.decode("utf-8"))
    import json

    return json_text(json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n" + "  " * level))


def _large(value: Any, depth: int = 0) -> bool:
    """Is there a list longer than a batch in ``value`` (looked for down to depth 4)?"""
    if depth > 4:
        return False
    if isinstance(value, list):
        return len(value) > BATCH or any(isinstance(v, (list, dict)) and _large(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return any(isinstance(v, (list, dict)) and _large(v, depth + 1) for v in value.values())
    return False


def _chunks(value: Any, level: int):
    """The JSON text of ``value`` at indentation ``level``, in pieces of at most a batch."""
    if not _large(value):
        yield _encode(value, level)
        return
    inner = "\n" + "  " * (level + 1)
    if isinstance(value, dict):
        yield "{"
        for i, (key, item) in enumerate(value.items()):
            yield ("," if i else "") + inner + _encode(key, 0) + ": "  # json's keys are strings here
            yield from _chunks(item, level + 1)
        yield "\n" + "  " * level + "}"
        return
    yield "["
    if len(value) <= BATCH:  # a short list with a long one inside
        for i, item in enumerate(value):
            yield ("," if i else "") + inner
            yield from _chunks(item, level + 1)
    else:  # a long list's items are findings, results: each batch in one call
        for start in range(0, len(value), BATCH):
            # "[\n  a,\n  b\n]" at level + 1 is "[" + inner + "a," + inner + "b" + "\n" + indent + "]"
            text = _encode(value[start:start + BATCH], level)
            yield ("," if start else "") + text[1:-(2 * level + 2)]
    yield "\n" + "  " * level + "]"


# The built-in formatters, by name: found without scanning installed packages' metadata (reading
# every distribution's entry points costs ~20 ms of every run). pyproject.toml registers the same
# in the entry-point group, for tools that list them; a test keeps the two equal.
BUILTIN = {
    "text": "k8slint.formatters.text:TextFormatter",
    "concise": "k8slint.formatters.concise:ConciseFormatter",
    "json": "k8slint.formatters.json:JsonFormatter",
    "sarif": "k8slint.formatters.sarif:SarifFormatter",
    "junit": "k8slint.formatters.junit:JunitFormatter",
    "github": "k8slint.formatters.github:GithubFormatter",
    "markdown": "k8slint.formatters.markdown:MarkdownFormatter",
}


@functools.lru_cache(maxsize=1)
def registry() -> dict[str, Any]:
    """name -> entry point of every other installed formatter (a built-in name wins)."""
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group="k8slint.formatters") if ep.name not in BUILTIN}


def get(name: str):
    """The formatter class called ``name``: a built-in from the table, else an entry point
    (installed packages' metadata is read only for a name that is not built in)."""
    if name in BUILTIN:
        import importlib

        module, _, attr = BUILTIN[name].partition(":")
        return getattr(importlib.import_module(module), attr)
    entry = registry().get(name)
    if entry is None:
        known = ", ".join(sorted({*BUILTIN, *registry()}))
        raise KeyError(f"unknown format {name!r} (installed: {known})")
    return entry.load()
