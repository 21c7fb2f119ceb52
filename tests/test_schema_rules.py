"""schema, crd-schema, deprecated-api: real kustomize/Helm renders, source lines, messages; the shipped
CRD schemas against the upstream CRDs in ../shared/crds; validators compiled once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from conftest import FIXTURES, SHARED, cli
from k8slint import crds, deprecations, k8s_schema
from k8slint.check import Checker, Policy
from k8slint.model import Target
from k8slint.plan.config import Config
from k8slint.plan.rules import load_rules
from k8slint.plan.settings import Settings
from k8slint.render import Render
from k8slint.render.plain import load_bytes

RULES = ("schema", "crd-schema", "deprecated-api")
UPSTREAM_CRDS = SHARED / "crds"
needs_crds = pytest.mark.skipif(not UPSTREAM_CRDS.is_dir(), reason="../shared/crds not present")


def fixture_dirs(kind: str) -> list[Path]:
    out = []
    for rule in RULES:
        base = FIXTURES / "rules" / rule
        out += sorted(p for p in base.iterdir() if p.is_dir() and p.name.startswith(kind))
    return out


@pytest.mark.parametrize("case", fixture_dirs("fail"), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fail_fixture(case: Path):
    expected = yaml.safe_load((case / "expected.yaml").read_text())
    result = cli("check", expected.get("target", "."), "--env", expected.get("env", "production"), "--format", "json", cwd=case)
    assert result.code == 1, result.out + result.err
    rules = {case.parent.name} | {item["rule"] for item in expected["findings"]}
    findings = [f for f in result.json["findings"] if f["rule"] in rules]
    got = sorted((f["rule"], f["location"]["file"], f["location"]["line"]) for f in findings)
    want = sorted((f["rule"], f["file"], f["line"]) for f in expected["findings"])
    assert got == want, json.dumps(findings, indent=1)
    for item in expected["findings"]:
        match = [f for f in findings if (f["rule"], f["location"]["file"], f["location"]["line"]) == (item["rule"], item["file"], item["line"])]
        assert any(item["message_contains"] in f["message"] for f in match), (item, match)
        assert all(f["severity"] == item.get("severity", "error") for f in match), match
        if "object" in item:
            assert any(f["object"]["name"] == item["object"] for f in match), match


@pytest.mark.parametrize("case", fixture_dirs("pass"), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_pass_fixture(case: Path):
    result = cli("check", "overlays/production", "--env", "production", "--format", "json", cwd=case)
    assert result.code in (0, 1), result.err
    assert [f for f in result.json["findings"] if f["rule"] in RULES] == []
    assert result.json["targets"][0]["objects"] >= 2


def test_demo_repo_custom_resources_validate():
    """The demo deploy repo's SealedSecret, ServiceMonitor and Argo CD Applications are valid."""
    demo = FIXTURES / "deploy-repo"
    # each Application in its own environment (the folder: the objects, and what each deploys)
    result = cli("check", "infra/argocd/applications", "infra/_shared/secrets/sealed", "infra/k8s/overlays/production",
                 "--format", "json", cwd=demo)
    assert result.code == 0, result.out
    assert sum(t["objects"] for t in result.json["targets"]) >= 15
    broken = (demo / "infra/argocd/applications/observer-production.yaml").read_text().replace("syncOptions", "syncOption")
    result = cli("check", "-", "--env", "production", "--format", "json", stdin=broken, cwd=demo)
    assert [(f["rule"], f["location"]["line"]) for f in result.json["findings"]] == [("crd-schema", 19)]
    assert "unknown field spec.syncPolicy.syncOption (did you mean syncOptions?)" in result.json["findings"][0]["message"]


# -- engine-level helpers ----------------------------------------------------------------------------
def check_text(text: str, rules=RULES, **settings) -> list:
    all_rules = load_rules()
    config = Config()
    s = Settings(repo_root=Path.cwd(), config=config, **settings)
    render = Render(Target("stdin", Path.cwd(), "<test>", "production", "test"))
    load_bytes(text.encode(), "<test>", render)
    checker = Checker(Policy(all_rules, s, set(rules)), s)
    return checker.check_render(render)


DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: prj-01, creationTimestamp: null}
spec:
  selector: {matchLabels: {app: api}}
  strategy: {rollingUpdate: {maxSurge: null, maxUnavailable: 0}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:v1.0.0
          resources: null
"""


def test_nulls_are_unset_not_errors():
    assert check_text(DEPLOYMENT) == []


def test_secret_values_never_reach_messages():
    text = """\
apiVersion: v1
kind: Secret
metadata: {name: db, namespace: prj-01}
data:
  password: 1234567890
strinData:
  token: hunter2-very-secret
"""
    findings = check_text(text)
    messages = sorted(f.message for f in findings)
    assert messages == [
        "Secret prj-01/db: data.password must be a string, not an integer (Kubernetes 1.37 v1 Secret schema)",
        "Secret prj-01/db: unknown field strinData (did you mean stringData?) (Kubernetes 1.37 v1 Secret schema)",
    ]
    assert [f.location.line for f in sorted(findings, key=lambda f: f.message)] == [5, 6]
    assert not any("1234567890" in m or "hunter2" in m for m in messages)


def test_unknown_kind_of_builtin_group_points_at_kind():
    findings = check_text("apiVersion: apps/v1\nkind: Deploymnet\nmetadata: {name: a}\nspec: {}\n")
    assert [(f.rule, f.location.line, f.message) for f in findings] == [
        ("schema", 2, "Deploymnet a: Kubernetes 1.37 has no kind Deploymnet in apps/v1 (did you mean Deployment?)")
    ]


def test_missing_required_and_int_or_string():
    text = DEPLOYMENT.replace("maxSurge: null", "maxSurge: true").replace("- name: api\n", "- imagePullPolicy: Always\n")
    messages = sorted(f.message.split(" (Kubernetes")[0] for f in check_text(text))
    assert messages == [
        "Deployment prj-01/api: missing required field spec.template.spec.containers[0].name",
        "Deployment prj-01/api: spec.strategy.rollingUpdate.maxSurge must be a string or an integer, not a boolean",
    ]


def test_a_misspelt_required_field_is_one_problem_not_two():
    """`nmae:` is an unknown field and leaves the required `name` missing: one finding, at the typo,
    naming both spellings; a required field missing without a look-alike is still reported."""
    text = DEPLOYMENT.replace("- name: api\n", "- nmae: api\n")
    findings = check_text(text)
    assert [(f.location.line, f.message.split(" (Kubernetes")[0]) for f in findings] == [
        (DEPLOYMENT.splitlines().index("        - name: api") + 1,
         "Deployment prj-01/api: unknown field spec.template.spec.containers[0].nmae (did you mean name, a required field?)"),
    ]
    both = text.replace("nmae: api", "nmae: api\n          pots: []")
    assert sorted(f.message.split(" (Kubernetes")[0].split(": ", 1)[1] for f in check_text(both)) == [
        "unknown field spec.template.spec.containers[0].nmae (did you mean name, a required field?)",
        "unknown field spec.template.spec.containers[0].pots (did you mean ports?)",
    ]


def test_kubernetes_version_moves_the_deprecation_verdict():
    hpa = "apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\nmetadata: {name: a, namespace: n}\nspec: {maxReplicas: 2, scaleTargetRef: {kind: Deployment, name: a}}\n"
    assert [(f.severity, f.rule) for f in check_text(hpa, kubernetes_version="1.25")] == [("warning", "deprecated-api")]
    newest = check_text(hpa)
    assert [(f.severity, f.rule) for f in newest] == [("error", "deprecated-api")]
    assert "removed in Kubernetes 1.26 (target 1.37): use autoscaling/v2 HorizontalPodAutoscaler" in newest[0].message
    assert check_text(hpa.replace("v2beta2", "v2")) == []


def test_unknown_custom_resource_is_reported_once_per_kind_per_run_as_info():
    text = "".join(f"---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {{name: w{i}}}\nspec: {{}}\n" for i in range(3))
    findings = check_text(text)
    assert [(f.rule, f.severity, f.location.line) for f in findings] == [("crd-schema", "info", 3)]
    assert "schema not known; pass --crd" in findings[0].message


def test_each_validator_is_built_once(monkeypatch):
    import jsonschema_rs

    built = []
    real = jsonschema_rs.Draft202012Validator

    def counting(*args, **kwargs):
        built.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(jsonschema_rs, "Draft202012Validator", counting)
    monkeypatch.setattr(k8s_schema, "_validators", {})
    service = "---\napiVersion: v1\nkind: Service\nmetadata: {name: s%d, namespace: n}\nspec: {ports: [{port: 80}]}\n"
    monitor = ("---\napiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: m%d, namespace: n}\n"
               "spec: {selector: {}, endpoints: [{port: http}]}\n")
    text = "".join(DEPLOYMENT.replace("name: api,", f"name: api{i},") + service % i + monitor % i for i in range(50))
    text = "---\n" + text.replace("resources: null\n", "resources: null\n---\n", 1)
    for _ in range(2):  # two runs in one process share the compiled validators
        assert check_text(text) == []
    assert len(built) == 3  # Deployment, Service, ServiceMonitor: once each for 150 objects, twice over
    assert k8s_schema.STATS["validators_built"] >= 3


# -- the CRD reader and the shipped schemas ----------------------------------------------------------
def upstream_versions() -> list:
    if not UPSTREAM_CRDS.is_dir():
        return []
    found = crds.load_crd_paths([UPSTREAM_CRDS])
    return [pytest.param(v, id=f"{v.kind}-{v.version}") for _, v in sorted(found.items())]


@needs_crds
@pytest.mark.parametrize("crd", upstream_versions())
def test_shipped_schema_is_the_upstream_crd_converted(crd):
    shipped = crds.shipped_schema(crd.group, crd.version, crd.kind)
    assert shipped is not None, f"no shipped schema for {crd.api_version} {crd.kind}: run tools/gen_crd_schemas.py"
    body = {k: v for k, v in shipped.items() if k not in ("$id", "$comment", "x-kubernetes-group-version-kind")}
    assert body == crds.to_json_schema(crd.openapi)
    assert crd.crd_name in shipped["$comment"]


def test_every_documented_resource_has_a_shipped_schema():
    for group, version, kind in [
        ("bitnami.com", "v1alpha1", "SealedSecret"), ("monitoring.coreos.com", "v1", "ServiceMonitor"),
        ("monitoring.coreos.com", "v1", "PodMonitor"), ("monitoring.coreos.com", "v1", "PrometheusRule"),
        ("argoproj.io", "v1alpha1", "Application"), ("argoproj.io", "v1alpha1", "ApplicationSet"),
        ("argoproj.io", "v1alpha1", "AppProject"), ("external-secrets.io", "v1", "ExternalSecret"),
        ("external-secrets.io", "v1", "SecretStore"), ("external-secrets.io", "v1", "ClusterSecretStore"),
        ("external-secrets.io", "v1beta1", "ExternalSecret"),
    ]:
        assert crds.shipped_schema(group, version, kind) is not None, kind


META = "metadata: {name: x, namespace: prj-01, labels: {app: x}, creationTimestamp: null}\n"
EXAMPLES = {  # kind -> (valid object, [(text, replacement, path(s) of the errors it causes)])
    "SealedSecret": (
        "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\n" + META + "spec:\n  encryptedData: {A: AgBy3i4O}\n"
        "  template: {type: Opaque, metadata: {labels: {app: x}}}\n",
        [("encryptedData: {A: AgBy3i4O}", "encryptedData: [AgBy3i4O]", ("spec", "encryptedData")),
         ("type: Opaque", "typ: Opaque", ("spec", "template", "typ"))],
    ),
    "ServiceMonitor": (
        "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\n" + META + "spec:\n  selector: {matchLabels: {app: x}}\n"
        "  endpoints: [{port: http, interval: 30s, relabelings: [{action: replace, targetLabel: env, replacement: prod}]}]\n",
        [("interval: 30s", "interval: 30", ("spec", "endpoints", 0, "interval")),
         ("port: http", "portt: http", ("spec", "endpoints", 0, "portt"))],
    ),
    "PodMonitor": (
        "apiVersion: monitoring.coreos.com/v1\nkind: PodMonitor\n" + META + "spec:\n  selector: {matchLabels: {app: x}}\n"
        "  podMetricsEndpoints: [{port: metrics, targetPort: 9090}]\n",
        [("targetPort: 9090", "targetPort: [9090]", ("spec", "podMetricsEndpoints", 0, "targetPort"))],
    ),
    "PrometheusRule": (
        "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\n" + META + "spec:\n  groups:\n    - name: x\n"
        "      rules: [{alert: Down, expr: up == 0, for: 5m, labels: {severity: critical}}]\n",
        [("for: 5m", "for: 5", ("spec", "groups", 0, "rules", 0, "for")),
         ("- name: x", "- nam: x", ("spec", "groups", 0, "nam"))],  # the typo absorbs "missing required field name"
    ),
    "Application": (
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\n" + META + "spec:\n  project: default\n"
        "  source: {repoURL: 'https://github.com/a/b.git', path: k8s, targetRevision: main, helm: {valuesObject: {any: {thing: 1}}}}\n"
        "  destination: {server: 'https://kubernetes.default.svc', namespace: prj-01}\n",
        [("project: default", "projekt: default", ("spec", "projekt")),  # one finding for the typo of a required field
         ("targetRevision: main", "targetRevision: 3", ("spec", "source", "targetRevision"))],
    ),
    "AppProject": (
        "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\n" + META + "spec:\n  sourceRepos: ['*']\n"
        "  destinations: [{server: '*', namespace: prj-01}]\n",
        [("sourceRepos: ['*']", "sourceRepos: '*'", ("spec", "sourceRepos"))],
    ),
    "ApplicationSet": (
        "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\n" + META + "spec:\n  generators: [{list: {elements: [{env: prod}]}}]\n"
        "  template:\n    metadata: {name: 'x-{{env}}'}\n    spec:\n      project: default\n"
        "      source: {repoURL: 'https://github.com/a/b.git', path: 'k8s/{{env}}'}\n"
        "      destination: {server: 'https://kubernetes.default.svc', namespace: prj-01}\n",
        [("project: default", "projekt: default", ("spec", "template", "spec", "projekt"))],
    ),
    "ExternalSecret": (
        "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\n" + META + "spec:\n  refreshInterval: 1h\n"
        "  secretStoreRef: {name: vault, kind: ClusterSecretStore}\n  data: [{secretKey: A, remoteRef: {key: x/y, property: a}}]\n",
        [("kind: ClusterSecretStore", "kind: Vault", ("spec", "secretStoreRef", "kind"))],
    ),
    "SecretStore": (
        "apiVersion: external-secrets.io/v1\nkind: SecretStore\n" + META + "spec:\n  provider:\n    vault:\n"
        "      server: 'https://vault:8200'\n      path: secret\n      version: v2\n"
        "      auth: {kubernetes: {mountPath: kubernetes, role: x, serviceAccountRef: {name: sa}}}\n",
        [("version: v2", "version: v3", ("spec", "provider", "vault", "version"))],
    ),
    "ClusterSecretStore": (
        "apiVersion: external-secrets.io/v1\nkind: ClusterSecretStore\n" + META.replace(" namespace: prj-01,", "") +
        "spec:\n  provider:\n    fake: {data: [{key: a, value: b}]}\n",
        [("fake:", "fakee:", ("spec", "provider", "fakee"))],
    ),
}


@pytest.fixture(scope="module")
def upstream_crds():
    return crds.load_crd_paths([UPSTREAM_CRDS])  # 3.4 MB of YAML: read once for every kind


@needs_crds
@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_shipped_schema_and_upstream_crd_give_the_same_verdicts(kind, upstream_crds):
    valid, broken = EXAMPLES[kind]
    upstream = upstream_crds
    from k8slint.schema_errors import validate
    from k8slint.load import load_text

    cases = [(valid, None)] + [(valid.replace(a, b), path) for a, b, path in broken]
    for text, path in cases:
        data = load_text(text)[0][0].data
        group, version = data["apiVersion"].split("/")
        shipped = k8s_schema.compile_schema(crds.shipped_schema(group, version, kind), "shipped", f"shipped:{kind}")
        crd = upstream[(group, version, kind)]
        schema = crds.to_json_schema(crd.openapi)
        reader = k8s_schema.compile_schema(schema, "upstream", crds.digest(schema))
        verdicts = [sorted(p.path for p in validate(c, data)) for c in (shipped, reader)]
        assert verdicts[0] == verdicts[1], text
        assert verdicts[0] == ([] if path is None else path if isinstance(path, list) else [path]), (text, verdicts[0])


@needs_crds
def test_crd_flag_with_upstream_crds_finds_the_same_problems():
    case = FIXTURES / "rules" / "crd-schema" / "fail"
    shipped = cli("check", "overlays/production", "--format", "json", "--select", "crd-schema", cwd=case)
    flag = cli("check", "overlays/production", "--format", "json", "--select", "crd-schema", "--crd", str(UPSTREAM_CRDS), cwd=case)
    where = lambda r: sorted((f["location"]["file"], f["location"]["line"], f["message"].split(" (")[0]) for f in r.json["findings"])  # noqa: E731
    assert where(shipped) == where(flag) and len(where(flag)) == 7
    assert any("from ../../../../../shared/crds/argoproj.io_application.yaml" in f["message"] or "shared/crds/argoproj.io_application.yaml" in f["message"]
               for f in flag.json["findings"])


def test_crd_converter_semantics():
    schema = crds.to_json_schema({
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {
                    "port": {"x-kubernetes-int-or-string": True, "anyOf": [{"type": "integer"}, {"type": "string"}]},
                    "open": {"type": "object", "x-kubernetes-preserve-unknown-fields": True, "properties": {"a": {"type": "string"}}},
                    "loose": {"type": "object"},
                    "maybe": {"type": "string", "nullable": True},
                    "ratio": {"type": "number", "minimum": 0, "exclusiveMinimum": True},
                    "either": {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
                               "oneOf": [{"required": ["a"]}, {"required": ["b"]}]},
                },
            },
        },
    })
    spec = schema["properties"]["spec"]
    assert spec["additionalProperties"] is False and schema["additionalProperties"] is False
    assert "type" not in spec["properties"]["port"] and spec["properties"]["port"]["anyOf"] == [{"type": "integer"}, {"type": "string"}]
    assert "additionalProperties" not in spec["properties"]["open"] and "additionalProperties" not in spec["properties"]["loose"]
    assert spec["properties"]["maybe"]["type"] == ["string", "null"]
    assert spec["properties"]["ratio"] == {"type": "number", "exclusiveMinimum": 0}
    assert spec["properties"]["either"]["oneOf"] == [{"required": ["a"]}, {"required": ["b"]}]
    assert schema["properties"]["metadata"]["properties"]["labels"]["additionalProperties"] == {"type": "string"}


# -- command line ------------------------------------------------------------------------------------
def test_bad_kubernetes_version_and_crd_paths_exit_2(tmp_path):
    case = FIXTURES / "rules" / "schema" / "pass"
    bad = cli("check", "overlays/production", "--kubernetes-version", "latest", cwd=case)
    assert bad.code == 2 and bad.err.startswith("k8slint: error: ") and "'latest' is not a version" in bad.err
    missing = cli("check", "overlays/production", "--crd", str(tmp_path / "nope"), cwd=case)
    assert missing.code == 2 and "no such file or directory" in missing.err and "Traceback" not in missing.err
    (tmp_path / "broken.yaml").write_text("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nspec: [\n")
    broken = cli("check", "overlays/production", "--crd", str(tmp_path), cwd=case)
    assert broken.code == 2 and "broken.yaml:" in broken.err and broken.err.count("\n") == 1


def test_old_kubernetes_version_falls_back_and_says_so():
    case = FIXTURES / "rules" / "schema" / "pass"
    result = cli("check", "overlays/production", "--kubernetes-version", "1.21", "--format", "json", cwd=case)
    assert result.code == 0, result.out
    assert any("Kubernetes 1.21: schemas of 1.25 used" in n for n in result.json["notes"])


# -- the API move table against the schemas kubernetes-validate ships ---------------------------------
def test_move_table_agrees_with_shipped_schemas():
    versions = [v for v, _ in k8s_schema.shipped_versions()]
    assert versions and versions[-1] >= (1, 30)
    for (api_version, kind), move in deprecations.TABLE.items():
        group, version = k8s_schema.split_api_version(api_version)
        for ver in versions:
            present = (group, version, kind) in k8s_schema.definitions(ver).by_gvk
            if move.removed is not None and ver >= move.removed:
                assert not present, f"{api_version} {kind} is still in the {ver} schemas but the table says removed in {move.removed}"
            elif ver >= move.deprecated:
                assert present, f"{api_version} {kind} is missing from the {ver} schemas but the table says still served"


# -- definitions read per kind (issue 16: not all 1.8 MB for one object) --------------------------------
def test_definitions_index_reads_what_a_full_parse_reads_for_every_shipped_version():
    """The text scan finds every definition and group-version-kind a json.load finds, and each
    definition decodes to the same value; a validator gets its kind's closure only."""
    for version, folder in k8s_schema.shipped_versions():
        document = json.loads((folder / "_definitions.json").read_text(encoding="utf-8"))["$defs"]
        defs = k8s_schema.Definitions(version, (folder / "_definitions.json").read_text(encoding="utf-8"))
        assert not defs.whole, version
        assert all(name in defs and defs.schema(name) == schema for name, schema in document.items()), version
        expected = {}
        for name, schema in document.items():
            for gvk in schema.get("x-kubernetes-group-version-kind", ()):
                expected.setdefault((gvk["group"], gvk["version"], gvk["kind"]), name)
        assert defs.by_gvk == expected, version
    newest = k8s_schema.definitions(k8s_schema.newest_shipped())
    closure = newest.closure("io.k8s.api.core.v1.ConfigMap")
    assert "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" in closure
    assert "io.k8s.api.core.v1.PodSpec" not in closure and len(closure) < 20


def test_definitions_laid_out_otherwise_are_read_whole():
    """A future kubernetes-validate that writes its file differently (compact, reordered) still
    gives the same definitions: the index refuses the layout and the document is parsed whole."""
    version, folder = k8s_schema.shipped_versions()[-1]
    document = json.loads((folder / "_definitions.json").read_text(encoding="utf-8"))
    for text in (json.dumps(document), json.dumps(document, indent=1), json.dumps(document, indent=2, sort_keys=True)):
        defs = k8s_schema.Definitions(version, text)
        assert defs.whole or text.startswith('{\n  "$defs"')
        assert defs.schema("io.k8s.api.apps.v1.Deployment") == document["$defs"]["io.k8s.api.apps.v1.Deployment"]
        assert defs.by_gvk[("apps", "v1", "Deployment")] == "io.k8s.api.apps.v1.Deployment"
