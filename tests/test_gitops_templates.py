"""The ApplicationSet template languages: fasttemplate and Go text/template, as Argo CD runs them."""

from __future__ import annotations

import pytest

from k8slint.render.gitops.gotemplate import TemplateError, Unsupported, fast, go_string, render, sanitize_name

PARAMS = {
    "cluster": "engineering-dev",
    "path": {"path": "apps/guestbook", "basename": "guestbook", "basenameNormalized": "guestbook",
             "segments": ["apps", "guestbook"]},
    "values": {"replicas": "2"},
    "count": 3,
    "enabled": True,
    "ratio": 1.5,
    "whole": 123456.0,
}


@pytest.mark.parametrize("text, expected", [
    ("{{.cluster}}-guestbook", "engineering-dev-guestbook"),
    ("{{ .path.basename }}", "guestbook"),
    ("{{.path.path}}", "apps/guestbook"),
    ("{{ index .path.segments 1 }}", "guestbook"),
    ("{{ .cluster | upper }}", "ENGINEERING-DEV"),
    ('{{ printf "%s-%d" .cluster .count }}', "engineering-dev-3"),
    ('{{ default "none" .missing }}', "none"),
    ('{{ .cluster | default "none" }}', "engineering-dev"),
    ('{{- if eq .cluster "engineering-dev" }}dev{{ else }}other{{ end -}}', "dev"),
    ('{{ if .enabled }}on{{ end }}', "on"),
    ('{{ if not .enabled }}off{{ else if .count }}counted{{ end }}', "counted"),
    ("{{ (index .path.segments 0) | upper }}", "APPS"),
    ("{{ range $i, $s := .path.segments }}{{ $i }}={{ $s }};{{ end }}", "0=apps;1=guestbook;"),
    ("{{ $x := .cluster }}{{ $x }}", "engineering-dev"),
    ("{{ with .values }}{{ .replicas }}{{ end }}", "2"),
    ('{{ normalize "Team_A/App" }}', "team-a-app"),
    ("{{ .values | toJson }}", '{"replicas":"2"}'),
    ("{{ trunc 11 (lower .cluster) }}", "engineering"),
    ('{{ replace "-" "_" .cluster }}', "engineering_dev"),
    ("{{ .ratio }} {{ .whole }} {{ .enabled }}", "1.5 123456 true"),
    ("{{/* a comment */}}x", "x"),
    ("a  {{- .cluster -}}  b", "aengineering-devb"),
])
def test_go_template(text: str, expected: str):
    assert render(text, PARAMS) == expected


def test_go_prints_maps_lists_and_missing_values_as_go_does():
    # `{{.path}}` where `{{.path.path}}` was meant prints the whole map (an upstream example does this)
    assert render("{{.path}}", PARAMS) == (
        "map[basename:guestbook basenameNormalized:guestbook path:apps/guestbook segments:[apps guestbook]]")
    assert render("{{ .path.segments }}", PARAMS) == "[apps guestbook]"
    assert render("{{ .missing }}", PARAMS) == "<no value>"
    assert go_string(None) == "<no value>"


@pytest.mark.parametrize("text, message", [
    ("{{ .missing.field }}", "nil pointer evaluating interface {}.field"),
    ("{{ .cluster.name }}", "can't evaluate field name in type string"),
    ("{{ index .path.segments 5 }}", "index out of range: 5"),
    ("{{ if .cluster }}", "has no {{end}}"),
    ("{{ end }}", "unexpected {{end}}"),
])
def test_go_template_errors_are_argo_cd_errors(text: str, message: str):
    with pytest.raises(TemplateError) as caught:
        render(text, PARAMS)
    assert message in str(caught.value)


def test_missingkey_error_option():
    with pytest.raises(TemplateError, match='map has no entry for key "environment"'):
        render("{{ .environment }}", PARAMS, missing_error=True)
    assert render("{{ .cluster }}", PARAMS, missing_error=True) == "engineering-dev"


@pytest.mark.parametrize("text", ["{{ env \"HOME\" }}", "{{ template \"x\" }}", '{{ define "x" }}{{ end }}'])
def test_unsupported_constructs_are_said_not_guessed(text: str):
    with pytest.raises(Unsupported):
        render(text, PARAMS)


def test_runaway_templates_are_bounded():
    with pytest.raises(TemplateError, match="too many steps|larger than 1 MiB"):
        render("{{ range 1000000 }}x{{ end }}", PARAMS)


def test_fasttemplate_substitutes_known_keys_and_leaves_the_others():
    params = {"path": "apps/guestbook", "path.basename": "guestbook", "cluster": "dev"}
    assert fast("{{path}}", params) == "apps/guestbook"
    assert fast("{{ path.basename }}-{{cluster}}", params) == "guestbook-dev"
    assert fast("{{.cluster}} {{unknown}} {{}}", params) == "{{.cluster}} {{unknown}} {{}}"
    assert fast("no placeholders", params) == "no placeholders"


def test_sanitize_name_is_argo_cds():
    assert sanitize_name("Engineering_Dev.") == "engineering-dev"
    assert sanitize_name("-a..b-") == "a..b"
    assert len(sanitize_name("x" * 300)) == 253


def test_a_huge_range_is_stopped_by_the_step_limit_not_by_memory():
    with pytest.raises(TemplateError, match="too many steps"):
        render("{{ range 100000000000 }}{{ end }}", PARAMS)


@pytest.mark.parametrize("text", ['{{ repeat 1000000000 "x" }}', '{{ indent 1000000000 "x" }}', '{{ printf "%999999999s" "x" }}'])
def test_output_size_is_bounded_before_it_is_built(text: str):
    with pytest.raises(TemplateError, match="larger than 1 MiB"):
        render(text, PARAMS)


def test_regular_expressions_are_not_evaluated():
    """Go's regexp never backtracks; Python's can, on a pattern from the linted repository: refused."""
    with pytest.raises(Unsupported, match='function "regexMatch" is not supported'):
        render('{{ regexMatch "(a+)+$" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!" }}', PARAMS)
