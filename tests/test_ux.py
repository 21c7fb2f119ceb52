"""The first ten minutes (issue 17): help, --quiet, colour conventions, completion, text output,
environment aliases, notes and labels as a new user meets them. CLI behaviour runs in process
through `cli`; what a run finds runs through `lint`."""

from __future__ import annotations

import io
import re
import tomllib

import pytest

from conftest import FIXTURES, ROOT, cli, k8slint

DEMO = FIXTURES / "deploy-repo"
SHARED_BASE = FIXTURES / "shared-base"
BUILTIN_FORMATS = ("text", "concise", "json", "sarif", "junit", "github", "markdown", "auto")


def test_check_help_lists_every_format_and_explains_auto():
    help_text = " ".join(cli("check", "--help").out.split())
    for name in BUILTIN_FORMATS:
        assert re.search(rf"\b{name} \(", help_text), name
    assert "auto (github inside GitHub Actions, text elsewhere)" in help_text
    assert "-q, --quiet" in help_text and "FORCE_COLOR" in help_text and "NO_COLOR" in help_text


def test_help_describes_exactly_the_built_in_formats():
    from k8slint import formatters

    assert set(BUILTIN_FORMATS) == {*formatters.BUILTIN, "auto"}


def test_unknown_format_names_every_known_one_with_auto():
    result = cli("check", "infra/k8s/overlays/production", "--format", "yaml", cwd=DEMO)
    assert result.code == 2
    assert result.err.strip() == ("k8slint: error: unknown format 'yaml' (known: auto, concise, github, json, junit, "
                                  "markdown, sarif, text)")


def test_top_level_help_example_for_values_files_works():
    """`-f` is read from the current directory, as `helm -f` reads it; the help's example is that form,
    and the values file's name gives the environment."""
    assert "-f infra/helm/apps/api/values-prod.yaml" in cli("--help").out
    chart = "infra/helm/apps/observer"
    result = cli("check", chart, "-f", f"{chart}/values-prod.yaml", "--format", "json", cwd=DEMO)
    assert result.code == 0, result.err
    (target,) = result.json["targets"]
    assert (target["env"], target["envSource"]) == ("production", "-f file name")
    wrong = cli("check", chart, "-f", "values-prod.yaml", cwd=DEMO)
    assert wrong.code == 2
    assert wrong.err == ("k8slint: error: values file values-prod.yaml: no such file (-f paths are taken from the "
                         f"current directory, as with helm; the chart's is {chart}/values-prod.yaml)\n")


def test_quiet_prints_only_the_findings():
    loud = cli("check", cwd=SHARED_BASE)
    quiet = cli("check", "-q", cwd=SHARED_BASE)
    assert loud.code == quiet.code == 1
    assert "failed: 5 error(s)" in loud.out and "checked: " in loud.out
    assert not re.search(r"^(note|failed|passed|checked):", quiet.out, re.M)
    finding_lines = [line for line in loud.out.splitlines() if re.match(r"\s+\d+  (error|warning)", line)]
    assert len(finding_lines) == 7 and all(line in quiet.out.splitlines() for line in finding_lines)
    assert not quiet.out.startswith("\n")
    machine = cli("check", "-q", "--format", "json", cwd=SHARED_BASE)
    assert machine.json["summary"]["errors"] == 5  # machine formats keep their whole document


@pytest.mark.parametrize(("environ", "coloured"), [
    ({}, False),  # not a terminal
    ({"FORCE_COLOR": "1"}, True),
    ({"FORCE_COLOR": ""}, False),  # only a non-empty value forces
    ({"NO_COLOR": "", "FORCE_COLOR": "1"}, True),  # an empty NO_COLOR is no request
    ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, False),  # NO_COLOR wins
])
def test_colour_follows_no_color_and_force_color(environ, coloured):
    env = {"NO_COLOR": None, "FORCE_COLOR": None, "TERM": None, **environ}
    result = cli("check", "infra/k8s/overlays/production", cwd=FIXTURES / "violations" / "readiness-probe", env=env)
    assert result.code == 1 and ("\033[" in result.out) is coloured


def test_colour_on_a_terminal_unless_asked_otherwise():
    from k8slint.report import use_color

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert use_color(None, Terminal(), environ={}) is True
    assert use_color(None, Terminal(), environ={"NO_COLOR": ""}) is True
    assert use_color(None, Terminal(), environ={"NO_COLOR": "x"}) is False
    assert use_color(None, Terminal(), environ={"TERM": "dumb"}) is False
    assert use_color(None, Terminal(), to_stdout=False, environ={"FORCE_COLOR": "1"}) is False  # a file: only --color
    assert use_color(True, io.StringIO(), environ={"NO_COLOR": "1"}) is True  # the flag decides


def test_shell_completion_as_documented():
    readme = (ROOT / "README.md").read_text()
    assert 'eval "$(_K8SLINT_COMPLETE=bash_source k8slint)"' in readme
    script = k8slint(env={"_K8SLINT_COMPLETE": "bash_source"})
    assert script.code == 0 and "complete -o nosort -F _k8slint_completion k8slint" in script.out
    words = k8slint(env={"_K8SLINT_COMPLETE": "bash_complete", "COMP_WORDS": "k8slint check --fo", "COMP_CWORD": "2"})
    assert words.code == 0 and "plain,--format" in words.out


def test_readme_states_the_python_version_pyproject_requires():
    required = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert required == ">=3.11" and "Python 3.11 or newer" in (ROOT / "README.md").read_text()


# -- text output ------------------------------------------------------------------------------------

def _readme_block(after: str, lang: str = "text") -> str:
    readme = (ROOT / "README.md").read_text()
    start = readme.index(f"```{lang}\n", readme.index(after)) + len(f"```{lang}\n")
    return readme[start:readme.index("```", start)]


def test_readme_demo_output_is_the_real_output():
    result = cli("check", "fixtures/shared-base", env={"NO_COLOR": "1"})
    assert result.code == 1
    assert result.out == _readme_block("## Try it")


def test_text_reads_like_ruff_and_yamllint():
    text = cli("check", "fixtures/shared-base").out
    assert "rendered at" not in text  # a finding at a source line is that line
    assert text.startswith("repository\n  fixtures/shared-base/Dockerfile\n        1  error   no-dockerfile  ")
    assert "(.)" not in text
    assert text.splitlines()[-1] == (
        "checked: infra/k8s/overlays/dev [development], infra/k8s/overlays/dev-eu [development], "
        "infra/k8s/overlays/production [production], infra/k8s/overlays/production-eu [production], "
        "infra/k8s/overlays/production-us [production], and 2 more targets, the repository")


def test_a_stream_finding_is_at_its_line_of_the_stream():
    deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: prj-01}\nspec:\n" \
        "  template:\n    spec:\n      containers:\n        - name: api\n          image: ghcr.io/acme/api:v1.2.3\n"
    text = cli("check", "-", "--env", "production", "--select", "readiness-probe", stdin=deployment).out
    assert "  <stdin>\n        8  error   readiness-probe  container 'api' of Deployment prj-01/api" in text


def test_columns_survive_a_long_rule_id(tmp_path):
    import shutil

    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "custom-rules", repo)
    long_id = "production-deployments-run-at-least-two-replicas"
    rule = repo / ".k8slint" / "rules" / "production-min-replicas.yaml"
    rule.write_text(rule.read_text().replace("id: production-min-replicas", f"id: {long_id}"))
    rule.rename(rule.with_name(f"{long_id}.yaml"))
    result = cli("check", "k8s/overlays/production", "--skip", "readiness-probe", cwd=repo)
    rows = [line for line in result.out.splitlines() if re.match(r"\s+\d+  (error|warning|info) ", line)]
    assert len(rows) >= 2, result.out
    ids = [re.match(r"\s+\d+  \w+\s+(\S+)", row).group(1) for row in rows]
    assert long_id in ids
    for row, rule_id in zip(rows, ids):  # a rule id is always followed by two spaces, never glued to its message
        assert f" {rule_id}  " in row
    # the message column fits every id up to 40 characters (the built-in 26 too); a longer one pushes only its own message
    from k8slint.formatters.text import RULE_COLUMN_MAX

    (column,) = {row.index(rule_id) + RULE_COLUMN_MAX + 2 for row, rule_id in zip(rows, ids) if rule_id != long_id}
    for row, rule_id in zip(rows, ids):
        after_id = row.index(rule_id) + len(rule_id)
        message_at = after_id + len(row[after_id:]) - len(row[after_id:].lstrip())
        assert message_at == (after_id + 2 if rule_id == long_id else column), row


def test_checked_line_is_bounded():
    from k8slint.formatters import Run, TargetInfo
    from k8slint.formatters.text import checked_line

    run = Run(version="0", targets=[TargetInfo(f"charts/c{n:03} [values-prod.yaml]", "helm", "production", "path", 1, False)
                                    for n in range(116)], repository=True)
    assert checked_line(run) == ("charts/c000 [values-prod.yaml] [production], charts/c001 [values-prod.yaml] [production], "
                                 "charts/c002 [values-prod.yaml] [production], charts/c003 [values-prod.yaml] [production], "
                                 "charts/c004 [values-prod.yaml] [production], and 111 more targets, the repository")
    run.targets = run.targets[:6]
    assert "and " not in checked_line(run) and checked_line(run).count("[production]") == 6


def test_write_baseline_says_in_one_line_what_it_wrote(tmp_path):
    import shutil

    repo = tmp_path / "repo"
    shutil.copytree(SHARED_BASE, repo)
    for _ in range(2):  # and rewriting a baseline is allowed
        result = cli("check", "--write-baseline", "baseline.json", cwd=repo)
        assert result.code == 0, result.err
        assert result.out == ("wrote baseline.json: 7 finding(s) recorded (5 error(s), 2 warning(s), 0 info) from 7 "
                              "target(s); `--baseline baseline.json` hides them\n")
    hidden = cli("check", "--baseline", "baseline.json", "-q", cwd=repo)
    assert hidden.code == 0 and hidden.out == ""


# -- environment aliases ----------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "env"), [
    ("overlays/qa", "development"), ("overlays/uat", "development"), ("overlays/test", "development"),
    ("clusters/localhost", "development"), ("overlays/integration-eu", "development"),
    ("overlays/preprod", "staging"), ("overlays/pre-prod", "staging"), ("charts/api/values-pre-prod.yaml", "staging"),
    ("overlays/load-eu", "staging"), ("overlays/stg-eu", "staging"),
    ("overlays/integration-prod", "production"),  # a development alias never hides a production name
    ("overlays/prod/patches", "production"), ("overlays/eu-west", None),
])
def test_default_aliases(path, env):
    from k8slint import envs

    assert envs.from_path(path) == env


def test_readme_lists_the_default_aliases():
    from k8slint import envs

    readme = (ROOT / "README.md").read_text()
    for policy in envs.ENVIRONMENTS:
        row = next(line for line in readme.splitlines() if line.startswith(f"| {policy} | `"))
        assert row == f"| {policy} | " + ", ".join(f"`{name}`" for name, env in envs.DEFAULT_ALIASES.items()
                                                   if env == policy) + " |"


def _alias_repo(tmp_path, config: str):
    import shutil

    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "violations" / "image-tag-latest", repo)
    overlays = repo / "infra" / "k8s" / "overlays"
    for name in ("qa", "acceptance", "eu-west"):
        shutil.copytree(overlays / "production", overlays / name)
    chart = repo / "charts" / "api"
    shutil.copytree(DEMO / "infra" / "helm" / "apps" / "observer", chart)
    (chart / "values-qa.yaml").write_text((chart / "values-staging.yaml").read_text())
    (chart / "values-acceptance.yaml").write_text((chart / "values-staging.yaml").read_text())
    (repo / ".k8slint.yaml").write_text(config)
    return repo


def test_environment_aliases_map_names_onto_the_three_policies(tmp_path):
    """Overlays, values-<name>.yaml files and --env all go through the aliases; a name nothing maps
    stays unknown with the production policy; image-tag-latest (production, staging) shows which."""
    from conftest import lint

    repo = _alias_repo(tmp_path, "environment-aliases:\n  acceptance: staging\n")
    listed = {t.label(): (t.env, t.env_source) for t in __import__("k8slint").targets([], repo_root=str(repo))}
    assert listed["infra/k8s/overlays/qa"] == ("development", "path")
    assert listed["infra/k8s/overlays/acceptance"] == ("staging", "path")
    assert listed["infra/k8s/overlays/eu-west"] == ("unknown", "unresolved")
    assert listed["charts/api [values-qa.yaml]"] == ("development", "path")
    assert listed["charts/api [values-acceptance.yaml]"] == ("staging", "path")
    assert {label for label in listed if label.startswith("charts/api")} == {
        "charts/api [values-prod.yaml]", "charts/api [values-staging.yaml]", "charts/api [values-qa.yaml]",
        "charts/api [values-acceptance.yaml]"}
    report = lint(cwd=repo, select=["image-tag-latest"]).report
    assert sorted((f.location.file, f.location.line, f.targets) for f in report.findings) == [
        (f"infra/k8s/overlays/{name}/kustomization.yaml", 11, [(f"infra/k8s/overlays/{name}", env)])
        for name, env in (("acceptance", "staging"), ("eu-west", "unknown"), ("production", "production"))
    ]  # not qa: development allows latest
    assert "names under environment-aliases:" in " ".join(report.notes)
    by_flag = lint("infra/k8s/overlays/eu-west", cwd=repo, env="acceptance", select=["image-tag-latest"]).report
    assert [t.env for t in by_flag.targets] == ["staging"] and len(by_flag.findings) == 1


def test_environment_aliases_are_checked(tmp_path):
    repo = _alias_repo(tmp_path, "environment-aliases:\n  production: development\n")
    result = cli("check", cwd=repo)
    assert result.code == 2 and result.err == ("k8slint: error: .k8slint.yaml: environment-aliases: 'production' is a "
                                               "policy name and cannot be mapped onto another one (map other names onto it)\n")
    repo2 = _alias_repo(tmp_path / "2", "environment-aliases:\n  qa: prodution\n")
    result = cli("check", cwd=repo2)
    assert result.code == 2 and "environment-aliases.qa" in result.err
    unknown = cli("check", "--env", "eu-west", cwd=repo2.parent.parent / "repo")
    assert unknown.code == 2 and "environment-aliases" in unknown.err


# -- notes, labels, commands ------------------------------------------------------------------------

def test_meta_schema_id_is_no_false_note_and_the_schema_still_validates(tmp_path):
    """`"$schema": "http://json-schema.org/schema#"` names the meta-schema (bitnami, prometheus charts):
    nothing is validated without it, so no note says so; the schema's own constraints still hold."""
    import json
    import shutil

    from conftest import lint

    chart = tmp_path / "repo" / "charts" / "observer"
    shutil.copytree(DEMO / "infra" / "helm" / "apps" / "observer", chart)
    (tmp_path / "repo" / ".k8slint.yaml").write_text("{}\n")
    (chart / "values.schema.json").write_text(json.dumps({
        "$schema": "http://json-schema.org/schema#", "type": "object",
        "properties": {"replicaCount": {"type": "integer", "minimum": 1}}}))
    clean = lint(cwd=tmp_path / "repo").report
    assert clean.findings == [] and [t.objects for t in clean.targets] == [3, 3]
    assert not any("validated without" in note for note in clean.notes), clean.notes
    (chart / "values-prod.yaml").write_text((chart / "values-prod.yaml").read_text() + "replicaCount: 0\n")
    broken = lint(cwd=tmp_path / "repo").report
    assert [(f.rule, f.target) for f in broken.findings] == [("render-error", "charts/observer [values-prod.yaml]")]
    assert "replicaCount" in broken.findings[0].message
    assert not any("validated without" in note for note in broken.notes)


def test_k8slint_test_with_nothing_to_test_is_a_note_and_exit_0(tmp_path):
    (tmp_path / ".k8slint.yaml").write_text("{}\n")
    result = cli("test", cwd=tmp_path)
    assert result.code == 0 and result.out == "0 passed, 0 failed\n"
    assert result.err.startswith("k8slint: note: no custom rules to test (put them in .k8slint/rules/")
    assert cli("test", cwd=FIXTURES / "custom-rules").out.endswith(" passed, 0 failed\n")


def test_set_values_appear_in_target_labels_without_secret_values():
    from conftest import lint

    chart = "infra/helm/apps/observer"
    one = lint(chart, cwd=DEMO, env="production", set_values=["replicaCount=2"]).report
    two = lint(chart, cwd=DEMO, env="production", set_values=["replicaCount=3", "auth.password=hunter2-x"]).report
    assert [t.label for t in one.targets] == [f"{chart} [values-prod.yaml] [--set replicaCount=2]"]
    (label,) = [t.label for t in two.targets]
    assert re.fullmatch(rf"{re.escape(chart)} \[values-prod.yaml\] \[--set replicaCount=3,auth.password,#[0-9a-f]{{8}}\]",
                        label)
    other = lint(chart, cwd=DEMO, env="production", set_values=["replicaCount=3", "auth.password=other"]).report
    assert other.targets[0].label != label  # another secret, another label; neither printed
    assert "hunter2" not in cli("check", chart, "--env", "production", "--set", "auth.password=hunter2-x", cwd=DEMO).out


# -- rule documentation -----------------------------------------------------------------------------

def test_rules_and_readme_agree_on_repository_rules():
    listed = {line.split()[0]: line for line in cli("rules").out.splitlines()[1:] if line.strip()}
    readme = (ROOT / "README.md").read_text()
    assert "  repo tree  " in listed["helm-values-plaintext-secret"]
    assert "| [`helm-values-plaintext-secret`](docs/rules/helm-values-plaintext-secret.md) | error | repo tree |" in readme


def test_explain_and_rule_pages_cite_sources_a_user_can_open():
    """`explain` links to the rule's page and its invariant in docs/invariants.md (both in this
    repository, at the anchors it names); nothing cites a document users do not have."""
    from k8slint.docs import DOCS_URL
    from k8slint.docs_gen import builtin_rules, invariant_anchors
    from k8slint.formatters.common import RULE_DOCS_URL

    assert RULE_DOCS_URL == DOCS_URL + "rules/{id}.md"  # SARIF's helpUri and explain agree
    anchors = invariant_anchors((ROOT / "docs" / "invariants.md").read_text(encoding="utf-8"))
    pvc = cli("explain", "pvc-naming").out
    sources = pvc.split("Sources:\n\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert sources == [
        f"- This rule's page: {DOCS_URL}rules/pvc-naming.md",
        f"- The invariant in k8slint's rule catalog: {DOCS_URL}invariants.md#pvc-naming (distilled from ARCH 1.3 "
        '"Data lifecycle, k3s storage layout", ARCH 3.3 "Storage (PersistentVolumeClaim)")',
    ]
    assert "#suppression" in cli("explain", "unused-suppression").out
    for rule in builtin_rules().values():
        text = cli("explain", rule.id).out
        for url in re.findall(re.escape(DOCS_URL) + r"(\S+)", text):
            page, _, anchor = url.partition("#")
            assert (ROOT / "docs" / page).is_file(), (rule.id, url)
            assert not anchor or anchor in anchors, (rule.id, url)
        assert text.count(DOCS_URL) == 2, rule.id
    page = (ROOT / "docs" / "rules" / "pvc-naming.md").read_text(encoding="utf-8")
    assert "[docs/invariants.md#pvc-naming](../invariants.md#pvc-naming) (distilled from ARCH 1.3" in page
    shipped = [ROOT / "docs" / "invariants.md", *(ROOT / "docs" / "rules").glob("*.md")]
    for path in shipped:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"k8s_\w*architecture\.md|\.\./shared|seeds/", text), path.name
    assert "| ARCH | ARCH-DEPLOY-001: App/Deploy split" in shipped[0].read_text(encoding="utf-8")


@pytest.mark.skipif(not (ROOT.parent / "shared" / "INVARIANTS.md").is_file(), reason="the rule catalog is not beside this checkout")
def test_docs_invariants_is_the_catalogs_copy(tmp_path):
    from k8slint.docs_gen import builtin_rules, invariants_page, main, pages, with_additions

    catalog = ROOT.parent / "shared" / "INVARIANTS.md"
    copied = with_additions(invariants_page(catalog.read_text(encoding="utf-8")), builtin_rules())
    assert copied == (ROOT / "docs" / "invariants.md").read_text(
        encoding="utf-8"), "run `python -m k8slint.docs_gen --invariants <INVARIANTS.md>`"
    out = tmp_path / "docs" / "rules"
    out.mkdir(parents=True)
    for name, text in pages().items():
        (out / name).write_text(text)
    args = ["--out", str(out), "--readme", "", "--invariants", str(catalog)]
    assert main([*args, "--check"]) == 1  # no docs/invariants.md beside it yet
    assert main(args) == 0 and main([*args, "--check"]) == 0
    stale = catalog.read_text(encoding="utf-8").replace("| `pvc-naming` |", "| `pvc-names` |")
    (tmp_path / "catalog.md").write_text(stale)
    assert main([*args[:-1], str(tmp_path / "catalog.md"), "--check"]) == 1  # stale, and pvc-naming has no invariant


def test_explain_suppresses_on_the_rules_own_kind():
    pvc = cli("explain", "pvc-naming").out
    assert "On the PersistentVolumeClaim:\n\n```yaml\nkind: PersistentVolumeClaim\nmetadata:" in pvc
    suppress = pvc.split("## How to suppress", 1)[1]
    assert "kind: Deployment" not in suppress and "    kind: PersistentVolumeClaim\n    name: legacy-*" in suppress
    assert "On the Deployment (or its pod template):" in cli("explain", "liveness-probe").out


# -- pvc-naming suggestions -------------------------------------------------------------------------

PVC_SPEC = "spec: {accessModes: [ReadWriteOnce], storageClassName: local-path, resources: {requests: {storage: 1Gi}}}\n"


def test_pvc_naming_suggests_the_app_then_the_mounting_workload_then_the_namespace(tmp_path):
    """The app part of the suggested name: the claim's app label, else the workload that mounts it
    (its app label, else its name; a StatefulSet's own claim templates), else the namespace; the
    purpose is what the name says; never the app part twice (`data-data-pvc`)."""
    from conftest import lint

    def claim(name, meta=""):
        return f"apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {{name: {name}{meta}}}\n{PVC_SPEC}"

    cart = """apiVersion: apps/v1
kind: Deployment
metadata: {name: cart, namespace: shop}
spec:
  selector: {matchLabels: {app.kubernetes.io/name: cart-app}}
  template:
    metadata: {labels: {app.kubernetes.io/name: cart-app}}
    spec:
      containers: [{name: cart, image: "cart:1.0"}]
      volumes: [{name: data, persistentVolumeClaim: {claimName: data}}]
"""
    ledger = """apiVersion: apps/v1
kind: StatefulSet
metadata: {name: ledger, namespace: shop}
spec:
  selector: {matchLabels: {tier: db}}
  serviceName: ledger
  template:
    metadata: {labels: {tier: db}}
    spec:
      containers: [{name: ledger, image: "ledger:1.0"}]
  volumeClaimTemplates:
    - metadata: {name: data}
      spec: {accessModes: [ReadWriteOnce], storageClassName: local-path, resources: {requests: {storage: 1Gi}}}
"""
    docs = [claim("data", ", namespace: shop"), cart, claim("cache", ", namespace: shop"),
            claim("data", ", labels: {app: data}"), claim("data"), ledger]
    (tmp_path / "app.yaml").write_text("---\n".join(docs))
    (tmp_path / ".k8slint.yaml").write_text("{}\n")
    findings = lint(".", cwd=tmp_path, env="production", select=["pvc-naming"]).report.findings
    got = [(f.location.file, f.location.line, f.message.split(": PVC names follow ")[-1].split(": claim names follow ")[-1])
           for f in findings]
    assert got == [
        ("app.yaml", 3, "{app}-{purpose}-pvc, e.g. 'cart-app-data-pvc' (app from Deployment cart, which mounts it)"),
        ("app.yaml", 19, "{app}-{purpose}-pvc, e.g. 'shop-cache-pvc' (app from its namespace)"),
        ("app.yaml", 24, "{app}-{purpose}-pvc, e.g. 'data-storage-pvc'"),
        ("app.yaml", 29, "{app}-{purpose}-pvc, e.g. '<app>-data-pvc'"),
        ("app.yaml", 43, "{app}-{purpose}-pvc, e.g. 'ledger-data-pvc'"),
    ]
    assert not any("data-data-pvc" in f.message for f in findings)
    assert findings[0].message.startswith("PersistentVolumeClaim shop/data does not end in '-pvc'")


# -- progress on long runs --------------------------------------------------------------------------

class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_line_is_for_a_terminal_only():
    from k8slint.progress import wanted

    assert wanted(_Terminal(), {}, quiet=False, machine_on_stdout=False)
    assert not wanted(io.StringIO(), {}, quiet=False, machine_on_stdout=False)  # a log file, a pipe
    assert not wanted(_Terminal(), {"CI": "true"}, quiet=False, machine_on_stdout=False)
    assert wanted(_Terminal(), {"CI": ""}, quiet=False, machine_on_stdout=False)
    assert not wanted(_Terminal(), {}, quiet=True, machine_on_stdout=False)
    assert not wanted(_Terminal(), {}, quiet=False, machine_on_stdout=True)


def test_progress_counts_the_renders_and_is_cleared(tmp_path):
    """Through the run itself: one call per finished render (7 targets of the shared-base repo,
    rendered on threads), drawn only after DELAY, at most every INTERVAL, the last one always, then
    erased to the width it reached."""
    import contextlib

    from k8slint import api
    from k8slint.progress import DELAY, INTERVAL, Progress

    ticks = iter([0.0, DELAY / 2, *(DELAY + n * INTERVAL * 0.75 for n in range(1, 100))])
    stream = _Terminal()
    line = Progress(stream, clock=lambda: next(ticks))
    with contextlib.chdir(SHARED_BASE):
        report, _ = api.run(api.Options(paths=[]), progress=line)
    assert len(report.targets) == 7
    drawn = stream.getvalue().split("\r")[1:]
    # 1/7 falls in the delay; then every other call (3/4 of an interval apart); 7/7 always
    assert drawn == [f"rendering {n}/7 targets…" for n in (2, 4, 6, 7)]
    line.clear()
    assert stream.getvalue().endswith("\r" + " " * len("rendering 7/7 targets…") + "\r")
    quiet = _Terminal()
    Progress(quiet).clear()  # never shown: nothing to erase
    assert quiet.getvalue() == ""


def test_check_on_a_terminal_shows_progress_on_stderr_and_clears_it(tmp_path):
    """The command line on a real pseudo-terminal (stderr); stdout stays the report. With CI set, or
    a machine format on stdout, stderr carries no progress."""
    import os
    import pty
    import subprocess
    import sys

    start = "import sys, k8slint.progress as p; p.DELAY = 0; sys.argv[0] = 'k8slint'; from k8slint.cli import run; run()"

    def on_terminal(*args, **env):
        leader, follower = pty.openpty()
        full = {k: v for k, v in os.environ.items() if k not in ("CI", "GITHUB_ACTIONS")}
        proc = subprocess.run([sys.executable, "-c", start, "check", *args], cwd=SHARED_BASE, stdout=subprocess.PIPE,
                              stderr=follower, env={**full, **env}, timeout=120)
        os.close(follower)
        err = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            err += chunk
        os.close(leader)
        return proc.returncode, proc.stdout.decode(), err.decode()

    code, out, err = on_terminal()
    assert code == 1 and "failed: 5 error(s)" in out and "\r" not in out
    assert "rendering 7/7 targets…" in err
    assert err.endswith("\r" + " " * len("rendering 7/7 targets…") + "\r")  # cleared before the process ends
    assert "rendering" not in on_terminal(CI="true")[2]
    code, out, err = on_terminal("--format", "json")
    assert code == 1 and out.startswith("{") and "rendering" not in err
