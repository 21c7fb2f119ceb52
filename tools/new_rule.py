#!/usr/bin/env python3
"""Scaffold a rule: rules/<id>.yaml (with example snippets to fill in) and, for a new check, a
template stub in k8slint/templates/<area>.py. Then write the examples, run the snapshot update
and the docs generator (CONTRIBUTING.md, "Adding a rule"):

    python tools/new_rule.py pvc-access-mode --scope object --area storage
    python tools/new_rule.py ingress-tls --scope object --template-name ingress-tls --area wiring
    python tools/new_rule.py staging-probe --scope container --template probe-required   # an existing template

Every TODO left in the rule file fails tests/test_rules_catalog.py, and a template stub that
finds nothing fails the rule's fail example in tests/test_rule_fixtures.py.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCOPES = ("object", "podspec", "container", "render", "repo", "source")
SUBJECT = {  # scope -> (parameter with its annotation, imports, what the stub looks at)
    "object": ("obj: K8sObject", "from ..model import K8sObject, Violation", "every rendered object"),
    "podspec": ("workload: Workload", "from ..model import Violation\nfrom ..workloads import Workload", "every pod spec"),
    "container": ("container: Container", "from ..model import Violation\nfrom ..workloads import Container", "every container"),
    "render": ("index", "from ..model import Violation", "once per render: index.objects, index.by_kind, index.get(kind, name, ns)"),
    "repo": ("repo", "from ..model import Location, Violation", "once per repository: repo.files, ctx.sources.text(rel)"),
    "source": ("target", "from ..model import Location, Violation", "once per target: ctx.kustomizations(target)"),
}
DEPLOYMENT = """\
      apiVersion: apps/v1
      kind: Deployment
      metadata: {{name: api, namespace: prj-01}}
      spec:
        selector: {{matchLabels: {{app: api}}}}
        template:
          metadata: {{labels: {{app: api}}}}
          spec:
            containers:
              - name: api
                image: ghcr.io/acme/api:v1.4.2  # {what}
"""
KUSTOMIZATION = """\
      apiVersion: kustomize.config.k8s.io/v1beta1
      kind: Kustomization
      resources: [deployment.yaml]  # {what}
"""


def rule_yaml(rule_id: str, scope: str, template: str, severity: str, category: str) -> str:
    examples = ""
    if scope != "repo":
        body = KUSTOMIZATION if scope == "source" else DEPLOYMENT
        examples = ("examples:\n  fail:\n    - |\n" + body.format(what="TODO: make this break the rule")
                    + "  pass:\n    - |\n" + body.format(what="TODO: and this follow it"))
    return f"""\
id: {rule_id}
severity: {severity}
category: {category}
summary: "TODO: one line: what the rule demands."
description: |
  TODO: what it checks, precisely (and what it leaves alone).
rationale: |
  TODO: why, in the words of the source documents.
sources:
  - {{doc: DEPLOY, section: "TODO", title: "TODO"}}
remediation: |
  TODO: how to fix it.
scope: {scope}
template: {template}
{examples}"""


def template_stub(fn_name: str, template: str, scope: str) -> str:
    param, _, what = SUBJECT[scope]
    where = {"object": '("metadata", "name")', "podspec": "workload.path", "container": 'container.path + ("image",)',
             "render": '("metadata", "name"), obj=obj', "repo": "location=Location(rel, 1)",
             "source": "location=Location(rel, line)"}[scope]
    return f'''

@template(scope="{scope}", name="{template}", params={{
    # "name": {{"type": "string", "default": "...", "description": "What it sets."}},
}})
def {fn_name}({param}, params: dict, ctx) -> Iterator[Violation]:
    """TODO: what it finds ({what})."""
    # yield Violation("<what is wrong, where, and how to fix it>", {where}, key="<stable extra identity>")
    return
    yield
'''


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rule_id")
    parser.add_argument("--scope", required=True, choices=SCOPES)
    parser.add_argument("--template", help="an existing template to use (k8slint templates lists them)")
    parser.add_argument("--template-name", help="name of the new template (default: the rule id)")
    parser.add_argument("--area", help="module of k8slint/templates/ for a new template (default: the category)")
    parser.add_argument("--severity", default="warning", choices=("error", "warning", "info"))
    parser.add_argument("--category", default="other")
    parser.add_argument("--root", default=str(ROOT), help=argparse.SUPPRESS)  # the checkout to write into (tests)
    args = parser.parse_args(argv)
    root = Path(args.root)
    if not re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", args.rule_id):
        parser.error(f"{args.rule_id!r}: a rule id is lowercase words joined by '-'")
    rule_file = root / "rules" / f"{args.rule_id}.yaml"
    if rule_file.exists():
        parser.error(f"{rule_file.relative_to(root)} exists")
    written = []
    template = args.template
    if template is None:
        template = args.template_name or args.rule_id
        area = re.sub(r"\W", "_", args.area or args.category)
        module = root / "k8slint" / "templates" / f"{area}.py"
        fn_name = template.replace("-", "_")
        if module.is_file():
            text = module.read_text(encoding="utf-8")
            if re.search(rf"^def {fn_name}\(", text, re.M):
                parser.error(f"{module.relative_to(root)} already defines {fn_name}")
            imports = SUBJECT[args.scope][1]
            missing = [line for line in imports.splitlines() if line not in text]
            if missing:
                print(f"add to the imports of {module.relative_to(root)}: {'; '.join(missing)}", file=sys.stderr)
            module.write_text(text.rstrip("\n") + "\n" + template_stub(fn_name, template, args.scope), encoding="utf-8")
        else:
            header = (f'"""{area.replace("_", " ").capitalize()} templates."""\n\nfrom __future__ import annotations\n\n'
                      f"from typing import Iterator\n\n{SUBJECT[args.scope][1]}\nfrom . import template\n")
            module.write_text(header + template_stub(fn_name, template, args.scope), encoding="utf-8")
        written.append(module)
    rule_file.write_text(rule_yaml(args.rule_id, args.scope, template, args.severity, args.category), encoding="utf-8")
    written.insert(0, rule_file)
    for path in written:
        print(f"wrote {path.relative_to(root)}")
    repo_note = ("\n  a repository-tree rule has no snippets: add fixtures/rules/{0}/fail/ (files that break it) and pass/"
                 .format(args.rule_id) if args.scope == "repo" else "")
    print(f"""next:
  fill in the TODOs (the examples: a fail snippet that breaks the rule, a pass snippet that follows it){repo_note}
  python -m pytest tests/test_rule_fixtures.py -k {args.rule_id} --snapshot-update   # writes tests/snapshots/{args.rule_id}.yaml
  python -m k8slint.docs_gen                                                  # docs/rules/{args.rule_id}.md, README's table
  python -m pytest tests/test_rule_fixtures.py tests/test_rules_catalog.py""")
    return 0


if __name__ == "__main__":
    sys.exit(main())
