"""Cross-object and kustomize-source rules on the real corpus: the tricky cases, where a careless rule
would cry wolf, and the places where kustomize and Helm differ."""

import pytest

from conftest import CORPUS, cli, lint

corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus not present")

CROSS_OBJECT = {"duplicate-object", "service-selector", "ingress-backend", "config-ref-exists", "hpa-target",
                "servicemonitor-wiring", "cross-app-reference"}


def findings(result, rule):
    return [f for f in result.json["findings"] if f["rule"] == rule]


DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}}}
spec:
  selector: {{matchLabels: {{app: {app}}}}}
  template:
    metadata: {{labels: {{app: {app}}}}}
    spec: {{containers: [{{name: {name}, image: "ghcr.io/acme/{name}:v1.0.0"}}]}}
"""


def rendered(report, rule: str) -> list:
    """The targets that rendered objects with ``rule`` in force (the rule really looked)."""
    return [t for t in report.targets if t.objects and not t.failed and rule in t.rules]


# Objects each corpus repository renders at least (and targets that render): the rules below looked at real input.
CORPUS_RENDERS = {"GoogleCloudPlatform__microservices-demo": 250, "argoproj__argo-cd": 20, "argoproj__argocd-example-apps": 40,
                  "bitnami__charts": 10, "fluxcd__flux2-kustomize-helm-example": 15, "stefanprodan__podinfo": 70,
                  "stefanprodan__podinfo-deploy": 20}


@corpus
@pytest.mark.parametrize("repo", sorted(CORPUS_RENDERS))
def test_cross_object_rules_do_not_cry_wolf_on_the_corpus(repo):
    """Every Service of the corpus selects pods, every HPA/Ingress/reference resolves (podinfo: 3 HPAs and
    5 config references per overlay; sock-shop: an Ingress; bitnami: generated Secrets), no app reaches
    into another: none of these rules fires anywhere in the corpus."""
    result = lint(repo, cwd=CORPUS, select=sorted(CROSS_OBJECT))
    assert result.code in (0, 1), result.err
    report = result.report
    found = [f for f in report.findings if f.rule in CROSS_OBJECT]
    assert [(f.rule, f.location, f.message) for f in found if not _true_positive(repo, f)] == []
    assert sum(t.objects for t in report.targets) >= CORPUS_RENDERS[repo]
    assert all(rendered(report, rule) for rule in CROSS_OBJECT - {"cross-app-reference"}), "the rules were in force"
    assert any(t.kind == "kustomize" for t in rendered(report, "cross-app-reference")) or repo == "bitnami__charts"


def _true_positive(repo: str, finding) -> bool:
    """The cross-object findings the corpus really deserves, all in folders of loose manifests that no
    overlay or chart reads (checked since whole-repository runs check those folders too)."""
    file = finding.location.file
    if repo == "stefanprodan__podinfo":  # upstream bug: the frontend HPA scales the backend Deployment
        return finding.rule == "hpa-target" and file == "deploy/webapp/frontend/hpa.yaml" and \
            "scales Deployment 'backend', which is not in this render" in finding.message
    if repo == "argoproj__argo-cd":  # each examples folder holds alternatives of one ApplicationSet (x.yaml and
        # x-fasttemplate.yaml): applied as a folder (kubectl apply -f, an Argo CD directory source), the last one wins
        return finding.rule == "duplicate-object" and file.startswith("applicationset/examples/") and \
            "ApplicationSet.argoproj.io" in finding.message
    return False


@corpus
def test_service_only_fragment_is_not_checked():
    """podinfo-deploy/webapp/test renders one Service selecting `app: frontend`, whose pods webapp/frontend
    deploys: the fragment cannot answer the question, so service-selector stays quiet."""
    result = lint("stefanprodan__podinfo-deploy/webapp/test", cwd=CORPUS)
    (target,) = rendered(result.report, "service-selector")
    assert target.objects == 1 and [f for f in result.report.findings if f.rule == "service-selector"] == []
    # the same Service in a render with pods it does not select is a finding: the rule did look
    service = (CORPUS / "stefanprodan__podinfo-deploy/webapp/test/service.yaml").read_text()
    other = "---\n" + DEPLOYMENT.format(name="backend", app="backend")
    with_pods = lint("-", stdin=service + other, env="production", select=["service-selector"], cwd=CORPUS)
    assert [(f.rule, f.location.line) for f in with_pods.report.findings] == [("service-selector", 7)]


@corpus
def test_flux_apps_layout_is_not_a_cross_app_reference():
    """Flux: apps/production composes apps/base/podinfo (`resources: [../base/podinfo]`). `production` is an
    environment folder, not an app."""
    result = lint("fluxcd__flux2-kustomize-helm-example/apps/production", cwd=CORPUS)
    (target,) = rendered(result.report, "cross-app-reference")
    assert target.kind == "kustomize" and target.objects >= 2
    assert [f for f in result.report.findings if f.rule == "cross-app-reference"] == []


@corpus
def test_deprecated_field_of_a_shared_base_is_reported_once():
    """podinfo-deploy's base/podinfo uses commonLabels and three overlays include it: one finding, at the key."""
    result = cli("check", "stefanprodan__podinfo-deploy", "--format", "json", cwd=CORPUS)
    deprecated = findings(result, "kustomize-deprecated-field")
    where = sorted((f["location"]["file"], f["location"]["line"]) for f in deprecated)  # the folder is its own repo root
    assert where == [("base/podinfo/kustomization.yaml", 3), ("overlays/dev/kustomization.yaml", 4),
                     ("overlays/production/kustomization.yaml", 4), ("overlays/staging/kustomization.yaml", 4),
                     ("webapp/test/kustomization.yaml", 4)]
    assert all("uses `commonLabels:`" in f["message"] and f["severity"] == "warning" for f in deprecated)


@corpus
def test_helm_objects_without_namespace_go_to_the_release_namespace():
    """bitnami templates write `namespace: {{ .Release.Namespace }}`: without --namespace that is decided at
    install time (not reported); installing into default is reported; into prj-01 is fine."""
    chart = "bitnami__charts/bitnami/nginx"
    assert findings(cli("check", chart, "--format", "json", cwd=CORPUS), "namespace") == []
    into_default = findings(cli("check", chart, "-n", "default", "--format", "json", cwd=CORPUS), "namespace")
    assert {f["object"]["kind"] for f in into_default} >= {"Deployment", "Service"}
    deployment = next(f for f in into_default if f["object"]["kind"] == "Deployment")
    assert deployment["location"]["file"] == f"{chart}/templates/deployment.yaml"
    assert "Deployment default/nginx is in the 'default' namespace" in deployment["message"]
    assert findings(cli("check", chart, "-n", "prj-01", "--format", "json", cwd=CORPUS), "namespace") == []


@corpus
def test_kustomize_target_without_any_namespace_is_one_finding_at_the_kustomization():
    result = cli("check", "argoproj__argocd-example-apps/sock-shop", "--format", "json", cwd=CORPUS)
    found = findings(result, "namespace")
    assert [(f["location"]["file"], f["location"]["line"]) for f in found] == [
        ("argoproj__argocd-example-apps/sock-shop/kustomization.yaml", 1)]
    assert "none of the 29 namespaced objects" in found[0]["message"] and "set `namespace:`" in found[0]["message"]


def test_hardcoded_default_namespace_in_a_helm_template_is_reported(tmp_path):
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (tmp_path / ".k8slint.yaml").write_text("fail-on: error\n")
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: app\nversion: 0.1.0\n")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: default\ndata:\n  x: \"1\"\n---\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  namespace: {{ .Release.Namespace }}\ndata:\n  x: \"1\"\n")
    found = findings(cli("check", "chart", "--format", "json", cwd=tmp_path), "namespace")
    assert [(f["object"]["name"], f["location"]["file"], f["location"]["line"]) for f in found] == [("a", "chart/templates/cm.yaml", 5)]


SAME_CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config\n  namespace: prj-01\ndata:\n  x: \"{}\"\n"


def test_duplicates_in_a_plain_directory_are_reported_kustomize_refuses_them_itself(tmp_path):
    (tmp_path / ".k8slint.yaml").write_text("fail-on: error\n")
    plain = tmp_path / "manifests"
    plain.mkdir()
    (plain / "config.yaml").write_text(SAME_CONFIGMAP.format(1))
    (plain / "config-old.yaml").write_text(SAME_CONFIGMAP.format(2))
    result = cli("check", "manifests", "--env", "production", "--format", "json", cwd=tmp_path)
    dup = findings(result, "duplicate-object")
    assert [(f["location"]["file"], f["location"]["line"]) for f in dup] == [("manifests/config.yaml", 4)]
    assert "ConfigMap prj-01/app-config is rendered 2 times" in dup[0]["message"] and "manifests/config-old.yaml" in dup[0]["message"]

    (plain / "kustomization.yaml").write_text("resources: [config.yaml, config-old.yaml]\n")
    refused = cli("check", "manifests", "--env", "production", "--format", "json", cwd=tmp_path)
    assert refused.code == 1, refused.err
    errors = findings(refused, "render-error")
    assert [(f["location"]["file"], f["location"]["line"]) for f in errors] == [("manifests/kustomization.yaml", 1)]
    assert errors[0]["message"] == ("manifests/kustomization.yaml: ConfigMap app-config is defined in manifests/config.yaml, "
                                    "manifests/config-old.yaml; kustomize refuses two objects with the same kind and name")


def test_references_resolve_per_namespace_and_through_producers():
    """A SealedSecret in another namespace does not produce the Secret; the same one in the pod's namespace does."""
    stream = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: prj-01}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:v1.2.3
          envFrom:
            - secretRef: {name: api-secrets}
---
apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata: {name: api-secrets, namespace: prj-02}
spec:
  encryptedData: {TOKEN: AgBy3i4OJSWK}
"""
    result = cli("check", "-", "--env", "production", "--format", "json", "--select", "config-ref-exists", stdin=stream)
    refs = findings(result, "config-ref-exists")
    assert [(f["location"]["line"], f["object"]["name"]) for f in refs] == [(13, "api")]
    assert "references Secret 'api-secrets', which is not in this render" in refs[0]["message"]
    fixed = stream.replace("namespace: prj-02", "namespace: prj-01")
    assert findings(cli("check", "-", "--env", "production", "--format", "json", "--select", "config-ref-exists",
                            stdin=fixed), "config-ref-exists") == []
