"""Typed template params: every template declares a JSON Schema for its params (defaults in one
place); rule files, `.k8slint.yaml` (`rules:`, `ignore:`), `--select` and `--skip` are checked
against the templates and the rule ids when they load: a mistake is exit 2 with one sentence
naming the file, the line and the closest valid name. `k8slint templates` lists them."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

import k8slint
from conftest import FIXTURES, k8slint as cli
from k8slint.plan.params import declared, problems, with_defaults
from k8slint.plan.rules import all_templates, load_rules

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: prj-01}\n"
STABLE = FIXTURES / "violations" / "image-tag-policy"  # the production overlay pins the tag `stable`


def _repo(tmp_path: Path, config: str) -> Path:
    (tmp_path / ".k8slint.yaml").write_text(config)
    (tmp_path / "cm.yaml").write_text(CM)
    return tmp_path


def _refused(tmp_path: Path, config: str, **options) -> str:
    repo = _repo(tmp_path, config)
    with pytest.raises(k8slint.K8slintError) as caught:
        k8slint.lint([str(repo / "cm.yaml")], env="production", **options)
    message = str(caught.value)
    assert "\n" not in message
    return message


# -- the three typos of the issue, and wrong types that used to be tracebacks ---------------------
def test_a_typo_in_a_param_name_names_file_line_and_the_param(tmp_path):
    message = _refused(tmp_path, "rules:\n  image-tag-latest:\n    params:\n      forbiden: [latest, edge]\n")
    assert message == (f"invalid configuration: {tmp_path / '.k8slint.yaml'}:4: rules.image-tag-latest.params.forbiden: "
                       "unknown param (did you mean forbidden?)")


def test_a_typo_in_a_rule_id_under_rules(tmp_path):
    message = _refused(tmp_path, "fail-on: warning\nrules:\n  pvc-namin:\n    severity: warning\n")
    assert message == (f"invalid configuration: {tmp_path / '.k8slint.yaml'}:3: rules.pvc-namin: unknown rule id "
                       "(did you mean pvc-naming?)")


def test_a_typo_in_a_rule_id_of_an_ignore_entry(tmp_path):
    config = "ignore:\n  - rules: ['*']\n    paths: [x/**]\n    reason: a\n  - rules: [namespace, servce-selector]\n    reason: b\n"
    message = _refused(tmp_path, config)
    assert message == (f"invalid configuration: {tmp_path / '.k8slint.yaml'}:5: ignore[1].rules[1]: unknown rule id "
                       "'servce-selector' (did you mean service-selector?)")


@pytest.mark.parametrize("config, where, says", [
    # a number where a pattern belongs (YAML reads 20260202 as an integer)
    ("rules:\n  image-tag-policy:\n    params:\n      allowed: {production: [20260202]}\n",
     ":4: rules.image-tag-policy.params.allowed.production[0]", "20260202 is a number, not a regular expression: quote it"),
    # one pattern where a mapping of environments belongs
    ("rules:\n  image-tag-policy:\n    params:\n      allowed: 'v.*'\n",
     ":4: rules.image-tag-policy.params.allowed", "'v.*' is not a mapping: production|staging|development -> list of regular expressions"),
    # an environment alias inside the per-environment mapping, in a per-environment override
    ("rules:\n  image-tag-policy:\n    env:\n      staging:\n        params:\n          allowed:\n            prod: ['v.*']\n",
     ":7: rules.image-tag-policy.env.staging.params.allowed.prod", "unknown key (did you mean production?)"),
    ("rules:\n  image-tag-policy:\n    params:\n      allowed: {staging: ['v(']}\n",
     ":4: rules.image-tag-policy.params.allowed.staging[0]", "'v(' is not a valid regular expression"),
    ("rules:\n  pvc-naming:\n    params:\n      require-app-prefix: 'no'\n",
     ":4: rules.pvc-naming.params.require-app-prefix", "'no' is not a boolean"),
    ("rules:\n  resources:\n    params:\n      require: [cpu]\n",
     ":4: rules.resources.params.require[0]", "'cpu' does not match"),
    ("rules:\n  parse-error:\n    params: {strict: true}\n",
     ":3: rules.parse-error.params", "rule parse-error takes no params"),
    ("rules:\n  no-dockerfile:\n    params:\n      patterns:\n        - {pattern: Makefile, contain: 'docker build'}\n",
     ":5: rules.no-dockerfile.params.patterns[0].contain", "unknown key (did you mean contains?)"),
])
def test_wrongly_typed_params_are_one_sentence_at_their_line(tmp_path, config, where, says):
    message = _refused(tmp_path, config)
    assert message.startswith(f"invalid configuration: {tmp_path / '.k8slint.yaml'}{where}: {says}"), message


def test_every_problem_of_the_configuration_is_in_the_one_sentence(tmp_path):
    config = "rules:\n  pvc-namin: {enabled: false}\n  namespace:\n    params: {forbiden: [x]}\nignore:\n  - rules: [zzz-unknown]\n"
    message = _refused(tmp_path, config)
    assert ":2: rules.pvc-namin: unknown rule id (did you mean pvc-naming?); " in message
    assert ":4: rules.namespace.params.forbiden: unknown param (did you mean forbidden?); " in message
    assert message.endswith(":6: ignore[0].rules[0]: unknown rule id 'zzz-unknown' (see `k8slint rules`)")


def test_select_and_skip_name_rules(tmp_path):
    message = _refused(tmp_path, "{}\n", select=["servce-selector"], skip=["pvc-naming", "zzz"])
    assert message == ("--select servce-selector: unknown rule id (did you mean service-selector?); "
                       "--skip zzz: unknown rule id (see `k8slint rules`)")


def test_pyproject_configuration_has_no_lines_but_names_the_place(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.k8slint.rules.image-tag-latest.params]\nforbiden = ['latest']\n")
    (tmp_path / "cm.yaml").write_text(CM)
    with pytest.raises(k8slint.K8slintError, match=re.escape(
            f"invalid configuration: {tmp_path / 'pyproject.toml'}: rules.image-tag-latest.params.forbiden: unknown param")):
        k8slint.lint([str(tmp_path / "cm.yaml")], env="production")


def test_valid_params_still_change_what_a_rule_accepts(tmp_path):
    """Config params are merged over the template's defaults; per-environment params over both."""
    repo = tmp_path / "repo"
    shutil.copytree(STABLE, repo)
    overlay = str(repo / "infra/k8s/overlays/production")

    def found(env: str) -> list:
        return [(f.rule, f.location.file, f.location.line) for f in k8slint.lint([overlay], env=env, select=["image-tag-policy"]).findings]

    refused = [("image-tag-policy", "infra/k8s/overlays/production/kustomization.yaml", 11)]
    assert found("production") == refused
    (repo / ".k8slint.yaml").write_text("rules:\n  image-tag-policy:\n    env:\n      production:\n"
                                        "        params:\n          allowed: {production: ['stable|v.*']}\n")
    assert found("production") == []
    # staging keeps the template's default list (a deep merge): the same tag is still refused there
    assert found("staging") == refused


# -- the schemas themselves -------------------------------------------------------------------------
def test_every_template_declares_its_params_with_descriptions_and_valid_defaults():
    templates = all_templates()
    assert len(templates) >= 30
    for name, fn in templates.items():
        schema = fn.k8slint_params
        assert schema is not None, f"{name} declares no params schema"
        import jsonschema

        jsonschema.Draft202012Validator.check_schema(schema)
        for param, spec in schema["properties"].items():
            assert spec.get("description"), f"{name}.{param} has no description"
            if "default" in spec:
                assert problems(fn, {param: spec["default"]}, partial=True) == [], f"{name}.{param}: default fails its own schema"


def test_rules_get_every_param_with_defaults_filled_and_files_do_not_repeat_them():
    rules = load_rules(validate_builtin=True)
    for rule in rules.values():
        if rule.check is None:
            continue
        params = declared(rule.check)
        assert set(rule.params) == set(params), rule.id  # every declared param, nothing else
        for name, value in dict(rule.data.get("params", {})).items():
            spec = params[name]
            assert "default" not in spec or json.dumps(spec["default"]) != json.dumps(value), \
                f"rules/{rule.id}.yaml repeats the default of {name}: leave it to the template"
    assert rules["image-tag-latest"].params == {"forbidden": ["latest"]}
    assert with_defaults(rules["pvc-naming"].check, {"suffix": "-claim"}) == {"suffix": "-claim", "require-app-prefix": True}


def test_filled_defaults_are_copies(tmp_path):
    rules = load_rules()
    first = with_defaults(rules["namespace"].check, {})
    first["forbidden"].append("kube-system")
    assert with_defaults(rules["namespace"].check, {})["forbidden"] == ["default"]


def test_a_rule_file_with_a_bad_param_names_its_file_and_line(tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "custom-rules", repo)
    (repo / ".k8slint" / "rules" / "claims.yaml").write_text(
        "id: claims\nseverity: warning\nsummary: s\ndescription: d\nrationale: r\nremediation: m\nscope: object\n"
        "template: pvc-naming\nparams:\n  suffix: -claim\n  require-app-prefx: false\n")
    with pytest.raises(k8slint.K8slintError) as caught:
        k8slint.lint([str(repo / "k8s/overlays/staging")])
    assert str(caught.value) == ("invalid rule file .k8slint/rules/claims.yaml:11: params.require-app-prefx "
                                 "(template pvc-naming): unknown param (did you mean require-app-prefix?)")
    (repo / ".k8slint" / "rules" / "claims.yaml").write_text(
        "id: claims\nseverity: warning\nsummary: s\ndescription: d\nrationale: r\nremediation: m\nscope: container\n"
        "template: probe-required\nparams:\n  why: it matters\n")
    with pytest.raises(k8slint.K8slintError, match=re.escape(
            "invalid rule file .k8slint/rules/claims.yaml:9: params (template probe-required): missing param 'probe'")):
        k8slint.lint([str(repo / "k8s/overlays/staging")])


# -- a third-party template declares params the same way ------------------------------------------
THIRD_PARTY = '''\
from k8slint.model import Violation
from k8slint.templates import template


@template(scope="object", params={
    "label": {"type": "string", "default": "team", "description": "The label naming the owner."},
})
def owner_label(obj, params, ctx):
    if params["label"] not in obj.labels():
        yield Violation(f"{obj.kind} {obj.name} has no '{params['label']}' label", ("metadata", "labels"))
'''

RULE = """\
id: owner-label
severity: warning
summary: Deployments name their owning team.
description: d
rationale: r
remediation: m
scope: object
kinds: [Deployment]
template: owner-label
"""


def test_a_third_party_templates_params_are_declared_filled_and_checked(tmp_path):
    site = tmp_path / "site"
    (site / "k8slint_owner-0.1.dist-info").mkdir(parents=True)
    (site / "k8slint_owner.py").write_text(THIRD_PARTY)
    (site / "k8slint_owner-0.1.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: k8slint-owner\nVersion: 0.1\n")
    (site / "k8slint_owner-0.1.dist-info" / "entry_points.txt").write_text("[k8slint.templates]\nowner-label = k8slint_owner:owner_label\n")
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "custom-rules", repo)
    (repo / ".k8slint" / "rules" / "owner-label.yaml").write_text(RULE)
    env = {"PYTHONPATH": str(site)}
    result = cli("check", "k8s/overlays/staging", "--format", "json", "--select", "owner-label", cwd=repo, env=env)
    assert [(f["location"]["file"], f["location"]["line"], f["message"]) for f in result.json["findings"]] == [
        ("k8s/base/deployment.yaml", 5, "Deployment api has no 'team' label")]
    listed = cli("templates", "owner-label", cwd=repo, env=env)
    assert listed.code == 0 and listed.out.splitlines()[:4] == [
        "owner-label (scope: object; rules: owner-label)", "  - label: string", "      The label naming the owner.",
        "      default: \"team\""]
    (repo / ".k8slint.yaml").write_text("rules:\n  owner-label:\n    params: {label: [team]}\n")
    refused = cli("check", "k8s/overlays/staging", cwd=repo, env=env)
    assert refused.code == 2 and refused.err.count("\n") == 1, refused.err
    assert ".k8slint.yaml:3: rules.owner-label.params.label: [\"team\"] is not a string" in refused.err


# -- the CLI: exit 2 with one sentence; `k8slint templates` -------------------------------------------
def test_cli_refuses_a_typo_with_exit_2_and_one_sentence(tmp_path):
    repo = _repo(tmp_path, "rules:\n  image-tag-latest:\n    params:\n      forbiden: [latest]\n")
    result = cli("check", "cm.yaml", "--env", "production", cwd=repo)
    assert result.code == 2 and result.out == ""
    assert result.err == ("k8slint: error: invalid configuration: " + str(repo / ".k8slint.yaml")
                          + ":4: rules.image-tag-latest.params.forbiden: unknown param (did you mean forbidden?)\n")


def test_templates_lists_every_template_with_its_params():
    listing = cli("templates")
    assert listing.code == 0, listing.err
    blocks = {block.split(" ", 1)[0]: block for block in listing.out.strip().split("\n\n")}
    assert set(blocks) == set(all_templates())
    assert blocks["pvc-naming"].startswith("pvc-naming (scope: object; rules: pvc-naming)\n")
    assert "  - suffix: string\n      What every claim name ends with.\n      default: \"-pvc\"\n" in blocks["pvc-naming"]
    assert "  - require-app-prefix: boolean (true or false)\n" in blocks["pvc-naming"]
    assert "(scope: container; rules: liveness-probe, readiness-probe)" in blocks["probe-required"]
    assert "  - probe: one of readinessProbe, livenessProbe, startupProbe\n" in blocks["probe-required"]
    assert "      required" in blocks["probe-required"]
    assert "  params: none" in blocks["service-selector"]
    rows = json.loads(cli("templates", "--format", "json").out)
    pvc = next(r for r in rows if r["name"] == "pvc-naming")
    assert pvc["params"][0] == {"name": "suffix", "type": "string", "required": False, "default": "-pvc",
                                "description": "What every claim name ends with."}


def test_templates_name_shows_one_and_suggests_a_close_name():
    one = cli("templates", "image-tag-policy")
    assert one.code == 0
    assert one.out.startswith("image-tag-policy (scope: container; rules: image-tag-policy)\n")
    assert "  - allowed: mapping: production|staging|development -> list of regular expressions\n" in one.out
    assert "        - sha-[0-9a-f]{7,40}\n" in one.out  # the whole default, as YAML
    missing = cli("templates", "image-tag-polcy")
    assert missing.code == 2 and missing.err == "k8slint: error: no template 'image-tag-polcy' (did you mean image-tag-policy?)\n"


def test_rule_docs_show_params_with_types_and_values():
    text = cli("explain", "pvc-storage-class").out
    assert "Params of template `pvc-storage-class`, set under `rules.pvc-storage-class.params`" in text
    assert "| `allowed` | list of strings | The storage classes a claim may use" in text
    assert "| `default-hint` | string | The class the message suggests. |" in text
    assert "```yaml\nallowed: []\ndefault-hint: local-path\n```" in text
    probes = cli("explain", "liveness-probe").out
    assert "| `probe` | one of readinessProbe, livenessProbe, startupProbe | The probe every long-running container must have. Required. |" in probes
    assert "probe: livenessProbe" in probes


def test_every_builtin_template_is_proven_by_a_builtin_rule():
    """Each template of k8slint/templates/ runs through a rule's examples and fixtures (pinned by
    tests/snapshots/), so every template has in-process tests."""
    from k8slint.plan.rules import builtin_templates

    used = {rule.data.get("template") for rule in load_rules().values() if rule.builtin}
    assert set(builtin_templates()) <= used, set(builtin_templates()) - used
