"""JUnit XML (the Ant schema CI systems read): one test suite per target, one test case per
rule x object.

A finding is a ``<failure>`` (``render-error``/``parse-error`` are ``<error>``: the target could
not be checked) whose text gives ``file:line`` of the source, the rendered position and the
target; a rule in force for a target that found nothing is one passing test case. A finding
several targets share (a base line) is one failure, in a suite of its own named after those
targets ("in 7 targets under infra/k8s/overlays/: ...", each listed in its properties); their
own suites do not count that rule as passed. Repository-wide rules (Dockerfiles, compose files)
form the suite ``.``.
"""

from __future__ import annotations

import os
import socket
import time
from itertools import groupby
from xml.etree import ElementTree as ET

from ..escape import terminal, xml
from . import Formatter
from .common import object_name, targets_phrase, via

ERROR_RULES = {"render-error", "parse-error"}


def _timestamp() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    seconds = int(epoch) if epoch and epoch.isdigit() else int(time.time())
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))


def _case_key(f) -> tuple:
    return f.rule, object_name(f) or f.location.file


class JunitFormatter(Formatter):
    def finish(self, summary: dict) -> None:
        run = self.run
        stamp = _timestamp()
        host = socket.gethostname() or "localhost"
        by_group = {g: list(items) for g, items in groupby(self.findings, key=lambda f: tuple(sorted(t for t, _ in f.targets)))}
        shared_rules: dict[str, set] = {}  # target -> rules that failed for it in a shared suite
        for group, found in by_group.items():
            if len(group) > 1:
                for label in group:
                    shared_rules.setdefault(label, set()).update(f.rule for f in found)
        suites = [(t.label, t, by_group.pop((t.label,), []), None) for t in run.targets]
        repo_rules = sorted(r.id for r in run.rules.values() if r.scope == "repo")
        if (".",) in by_group or (repo_rules and run.repository):
            suites.append((".", None, by_group.pop((".",), []), None))
        names: set[str] = set()
        for group, found in sorted(by_group.items()):
            if len(group) > 1:  # findings of a shared source, once
                name = targets_phrase(found[0])
                while name in names:
                    name += " "
                names.add(name)
                suites.append((name, None, found, found[0].targets))
            else:
                suites.append((group[0], None, found, None))  # anything else, never dropped

        root = ET.Element("testsuites")
        for number, (label, info, found, shared) in enumerate(suites):
            in_force = list(info.rules) if info is not None else (repo_rules if label == "." else [])
            cases: dict[tuple, list] = {}
            for f in found:
                cases.setdefault(_case_key(f), []).append(f)
            flagged = {rule for rule, _ in cases} | shared_rules.get(label, set())
            for rule in in_force:
                if rule not in flagged and (info is None or rule not in repo_rules):
                    cases.setdefault((rule, ""), [])
            failures = sum(1 for k, v in cases.items() if v and k[0] not in ERROR_RULES)
            errors = sum(1 for k, v in cases.items() if v and k[0] in ERROR_RULES)
            suite = ET.SubElement(root, "testsuite", {
                "name": terminal(label), "package": "k8slint", "id": str(number), "timestamp": stamp, "hostname": host,
                "tests": str(len(cases)), "failures": str(failures), "errors": str(errors), "skipped": "0", "time": "0",
            })
            props = ET.SubElement(suite, "properties")
            if info is not None:
                for name, value in (("env", info.env), ("env-source", info.env_source), ("kind", info.kind),
                                    ("objects", str(info.objects)), ("rendered", "no" if info.failed else "yes")):
                    ET.SubElement(props, "property", {"name": name, "value": value})
            for target, env in shared or ():
                ET.SubElement(props, "property", {"name": "target", "value": f"{target} ({env})"})
            for (rule, subject), items in sorted(cases.items()):
                case = ET.SubElement(suite, "testcase", {
                    "name": terminal(f"{rule}: {subject}" if subject else rule), "classname": terminal(label), "time": "0",
                })
                if not items:
                    continue
                worst = items[0]
                tag = "error" if rule in ERROR_RULES else "failure"
                text = "\n".join(self._line(f) for f in items)
                node = ET.SubElement(case, tag, {
                    "message": terminal(worst.message if len(items) == 1 else f"{worst.message} (+{len(items) - 1} more)"),
                    "type": f"{rule} ({worst.severity})",
                })
                node.text = text + "\n"
            out = ET.SubElement(suite, "system-out")
            if info is not None:
                out.text = f"{terminal(label)}: {info.kind}, env {info.env} ({info.env_source}), {info.objects} object(s) checked\n"
            elif shared:
                out.text = "".join(f"{terminal(target)} ({env})\n" for target, env in shared)
            ET.SubElement(suite, "system-err").text = "".join(f"note: {terminal(n)}\n" for n in run.notes if label in n)
        ET.indent(root)
        self.out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        self.out.write(xml(ET.tostring(root, encoding="unicode")))
        self.out.write("\n")

    def _line(self, f) -> str:
        line = f"{terminal(f.location.file)}:{f.location.line}: {f.severity}: {terminal(f.message)}"
        if f.related:
            line += f"\n    {terminal(via(f))}"
        if f.rendered is not None:
            line += f"\n    rendered at {terminal(f.rendered.file)}:{f.rendered.line}"
        if len(f.targets) > 1:
            line += f"\n    {terminal(targets_phrase(f, limit=None))}"
        elif f.target and f.target != ".":
            line += f"\n    target {terminal(f.target)} ({f.env})"
        return line
