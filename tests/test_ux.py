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
