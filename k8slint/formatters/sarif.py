"""SARIF 2.1.0: what GitHub code scanning and other SAST dashboards ingest.

Every rule of the run is described in ``tool.driver.rules`` (id, name, descriptions, help,
help URI, default level); each finding is a result on the source file and line a person edits
(repo-relative, ``uriBaseId`` %SRCROOT%), with ``partialFingerprints`` from the finding's
fingerprint (it never contains a line number, so results survive line moves, and at a source line
several targets render it is the same for all of them: one result, one code scanning alert). The
targets that rendered the object, their environments and the rendered position go into
``properties`` and, when they differ from the source location, ``relatedLocations`` entries; when
a values file is the primary location, the template line that reads the value is a related
physical location. With ``--diff-base`` every result has a ``baselineState``: the new findings,
and those the base revision has too (``unchanged``, which the other formats leave out), so that a
pull request's SARIF does not look as if it fixed them.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from . import Formatter, write_json
from .common import LEVELS, object_name, rendered_by, rule_help_uri, target_paths, workspace_file

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "k8slint/v1"


def _camel(rule_id: str) -> str:
    return "".join(part.capitalize() for part in rule_id.split("-"))


def _text(value) -> str:
    return " ".join(str(value or "").split())


def _descriptor(rule) -> dict:
    data = rule.data
    summary = _text(data.get("summary")) or rule.id
    full = _text(data.get("description")) or summary
    parts = [summary]
    for heading, key in (("Why", "rationale"), ("How to fix", "remediation")):
        if data.get(key):
            parts.append(f"{heading}: {str(data[key]).strip()}")
    help_text = "\n\n".join(parts)
    markdown = [f"**{summary}**"]
    for heading, key in (("What it does", "description"), ("Why", "rationale"), ("How to fix", "remediation")):
        if data.get(key):
            markdown.append(f"### {heading}\n\n{str(data[key]).strip()}")
    descriptor = {
        "id": rule.id,
        "name": _camel(rule.id),
        "shortDescription": {"text": summary},
        "fullDescription": {"text": full},
        "help": {"text": help_text, "markdown": "\n\n".join(markdown)},
        "defaultConfiguration": {"level": LEVELS.get(rule.severity, "warning")},
        "properties": {
            "tags": sorted({t for t in ("kubernetes", data.get("category")) if t}),
            "scope": rule.scope,
            "environments": sorted(rule.envs) or ["all"],
        },
    }
    uri = rule_help_uri(rule)
    if uri:
        descriptor["helpUri"] = uri
    return descriptor


def _uri(file: str) -> str:
    return quote(file, safe="/-._~", errors="backslashreplace")  # a lone surrogate (an undecodable name): escaped


class SarifFormatter(Formatter):
    def finish(self, summary: dict) -> None:
        run = self.run
        rules = sorted(run.rules.values(), key=lambda r: r.id)
        index = {r.id: i for i, r in enumerate(rules)}
        paths = target_paths(run)
        self._uris: dict[str, str] = {}
        self._artifacts: dict[str, dict] = {}
        results = [self._result(f, index, paths) for f in self.findings]
        if run.diff_base:
            results += [self._result(f, index, paths) for f in run.unchanged]
        root = Path(run.repo_root).resolve().as_uri().rstrip("/") + "/"
        document = {
            "$schema": SCHEMA_URI,
            "version": "2.1.0",
            "runs": [
                {
                    "tool": {
                        "driver": {
                            "name": "k8slint",
                            "version": run.version,
                            "semanticVersion": run.version,
                            "informationUri": "https://github.com/k8slint/k8slint",
                            "rules": [_descriptor(r) for r in rules],
                        }
                    },
                    "originalUriBaseIds": {"%SRCROOT%": {"uri": root}},
                    "columnKind": "unicodeCodePoints",
                    "results": results,
                    "invocations": [
                        {
                            "executionSuccessful": summary["failed_targets"] == 0,
                            "toolExecutionNotifications": [
                                {"level": "note", "message": {"text": note}} for note in run.notes
                            ],
                        }
                    ],
                    "properties": {
                        "targets": [
                            {"target": t.label, "kind": t.kind, "env": t.env, "envSource": t.env_source,
                             "objects": t.objects, "failed": t.failed}
                            for t in run.targets
                        ],
                        "summary": summary,
                    },
                }
            ],
        }
        write_json(self.out, document)

    def _uri_of(self, file: str) -> str:
        """The artifact URI of a repo-relative file, worked out once per file (not per finding)."""
        uri = self._uris.get(file)
        if uri is None:
            uri = self._uris[file] = _uri(workspace_file(self.run, file))
        return uri

    def _artifact(self, file: str) -> dict:
        """The artifactLocation of a repo-relative file, made once per file and shared by its results."""
        found = self._artifacts.get(file)
        if found is None:
            found = self._artifacts[file] = {"uri": self._uri_of(file), "uriBaseId": "%SRCROOT%"}
        return found

    def _result(self, f, index: dict, paths: dict) -> dict:
        location = f.location
        artifact = self._artifacts.get(location.file) or self._artifact(location.file)
        physical = {"physicalLocation": {"artifactLocation": artifact, "region": {"startLine": location.line}}}
        if f.occurrences:
            targets = [{"target": t, "env": e} for t, e in f.targets]
        else:
            targets = [{"target": f.target, "env": f.env}]
        properties = {"target": f.target, "env": f.env, "targets": targets, "source": f"{location.file}:{location.line}"}
        result = {
            "ruleId": f.rule,
            "level": LEVELS.get(f.severity, "warning"),
            "message": {"text": f.message},
            "locations": [physical],
            "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint or f"{f.rule}:{f.target}:{location.file}"},
            "properties": properties,
        }
        if self.run.diff_base:
            result["baselineState"] = f.state or "new"
        if f.rule in index:
            result["ruleIndex"] = index[f.rule]
        if f.object:
            physical["logicalLocations"] = [{"fullyQualifiedName": object_name(f), "kind": "object"}]
            properties["object"] = f.object
        related = []
        for place in f.related:  # the template line that reads the value a values file sets
            related.append({
                "id": len(related) + 1,
                "message": {"text": f"the value is read at {place.file}:{place.line}"},
                "physicalLocation": {
                    "artifactLocation": self._artifact(place.file),
                    "region": {"startLine": place.line},
                },
            })
        if f.rendered is not None:
            properties["rendered"] = f"{f.rendered.file}:{f.rendered.line}"
        for occurrence in f.occurrences or [f]:  # each target that rendered it, the shown one first
            by = rendered_by(occurrence, paths)
            if by is None and occurrence.rendered is None:
                continue
            where = f" at {occurrence.rendered.file}:{occurrence.rendered.line}" if occurrence.rendered is not None else ""
            related.append({
                "id": len(related) + 1,
                "message": {"text": f"rendered by {occurrence.target} ({occurrence.env}){where}"},
                "logicalLocations": [{"fullyQualifiedName": occurrence.target, "kind": "module"}],
            })
        if related:
            result["relatedLocations"] = related
        return result
