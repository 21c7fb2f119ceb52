"""ApplicationSet generators expand to the Applications Argo CD would generate, without a cluster."""

from __future__ import annotations

import base64
import textwrap
from pathlib import Path

import pytest

from k8slint.render.gitops import Options, documents, read

URL = "https://github.com/org/repo.git"


def repo(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, content in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(content))
    return tmp_path


def appset(generators: str, template: str = "", go: bool = True, extra: str = "") -> str:
    template = template or """
      metadata:
        name: '{{.name}}'
      spec:
        project: default
        source:
          repoURL: https://github.com/org/repo.git
          path: '{{.path.path}}'
        destination:
          server: https://kubernetes.default.svc
          namespace: '{{.path.basename}}'
    """
    head = "  goTemplate: true\n  goTemplateOptions: [\"missingkey=error\"]\n" if go else ""
    return ("apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: set\n  namespace: argocd\nspec:\n"
            + head + extra + "  generators:\n" + textwrap.indent(textwrap.dedent(generators).strip("\n"), "    ") + "\n"
            + "  template:\n" + textwrap.indent(textwrap.dedent(template).strip("\n"), "    ") + "\n")


def expand(tmp_path: Path, files: dict[str, str]):
    root = repo(tmp_path, files)
    return read(root, documents(root), Options(repo_urls=[URL]))


def apps(r):
    return [(u.name, u.source.path if u.source else None, u.destination.namespace) for u in r.sorted_units()]


FOLDERS = {f"apps/{name}/kustomization.yaml": "resources: []\n" for name in ("api", "web", "worker")} | {
    "apps/api/nested/kustomization.yaml": "resources: []\n"}


def test_git_directories_match_like_go_path_match(tmp_path: Path):
    r = expand(tmp_path, FOLDERS | {"set.yaml": appset("""
        - git:
            repoURL: git@github.com:org/repo.git
            revision: HEAD
            directories:
              - path: apps/*
              - path: apps/worker
                exclude: true
        """, template="""
        metadata:
          name: '{{.path.basename}}'
        spec:
          project: default
          source:
            repoURL: https://github.com/org/repo.git
            path: '{{.path.path}}'
          destination:
            server: https://kubernetes.default.svc
            namespace: '{{index .path.segments 0}}-{{.path.basenameNormalized}}'
        """)})
    # `*` does not cross `/`: apps/api/nested is not matched; the exclude wins
    assert apps(r) == [("api", "apps/api", "apps-api"), ("web", "apps/web", "apps-web")]
    assert r.problems == []


def test_git_files_json_yaml_and_lists_flattened_without_go_template(tmp_path: Path):
    r = expand(tmp_path, FOLDERS | {
        "clusters/dev/config.json": '{"cluster": {"name": "dev", "replicas": 2}, "tags": ["a", "b"]}',
        "clusters/prod/config.yaml": "- cluster: {name: prod-eu, replicas: 3}\n- cluster: {name: prod-us, replicas: 3}\n",
        "clusters/old/config.json": '{"cluster": {"name": "old"}}',
        "set.yaml": appset("""
            - git:
                repoURL: https://github.com/org/repo
                revision: HEAD
                files:
                  - path: "clusters/**/config.*"
                  - path: "clusters/old/*"
                    exclude: true
            """, go=False, template="""
            metadata:
              name: '{{cluster.name}}-{{path.basename}}'
            spec:
              project: default
              source:
                repoURL: https://github.com/org/repo.git
                path: 'apps/api'
                helm:
                  parameters:
                    - name: replicas
                      value: '{{cluster.replicas}}'
                    - name: tag
                      value: '{{tags.1}}'
              destination:
                server: https://kubernetes.default.svc
                namespace: '{{path[1]}}'
            """)})
    assert apps(r) == [("dev-dev", "apps/api", "dev"), ("prod-eu-prod", "apps/api", "prod"), ("prod-us-prod", "apps/api", "prod")]
    dev = r.sorted_units()[0]
    # helm options on a kustomization folder: Argo CD runs Helm there and fails
    assert dev.source.kind == "unknown" and {(p.line, p.message) for p in r.problems} == {
        (23, f"{n}: the source has helm options but apps/api has no Chart.yaml") for n in ("dev-dev", "prod-eu-prod", "prod-us-prod")}
    params = dict(dev.generated.params)
    assert params["path"] == "clusters/dev" and params["path.filename"] == "config.json" and params["tags.1"] == "b"
    assert dev.generated.generator == "git-files"


def test_matrix_second_generator_uses_the_first_ones_parameters(tmp_path: Path):
    r = expand(tmp_path, FOLDERS | {
        "envs/dev.yaml": "env: dev\nfolder: apps/web\n",
        "envs/prod.yaml": "env: prod\nfolder: apps/api\n",
        "set.yaml": appset("""
            - matrix:
                generators:
                  - git:
                      repoURL: https://github.com/org/repo.git
                      revision: HEAD
                      files:
                        - path: envs/*.yaml
                  - git:
                      repoURL: https://github.com/org/repo.git
                      revision: HEAD
                      pathParamPrefix: app
                      directories:
                        - path: '{{.folder}}'
            """, template="""
            metadata:
              name: '{{.env}}-{{.app.path.basename}}'
            spec:
              project: default
              source:
                repoURL: https://github.com/org/repo.git
                path: '{{.app.path.path}}'
              destination:
                server: https://kubernetes.default.svc
                namespace: '{{.env}}'
            """)})
    assert apps(r) == [("dev-web", "apps/web", "dev"), ("prod-api", "apps/api", "prod")]
    assert r.sorted_units()[0].generated.generator == "matrix(git-files,git-directories)"


def test_matrix_of_lists_conflicting_keys_is_refused_without_go_template(tmp_path: Path):
    r = expand(tmp_path, {"set.yaml": appset("""
        - matrix:
            generators:
              - list:
                  elements:
                    - name: a
              - list:
                  elements:
                    - name: b
        """, go=False, template="""
        metadata:
          name: '{{name}}'
        spec:
          project: default
          source:
            repoURL: https://github.com/org/repo.git
            path: apps
          destination:
            server: https://kubernetes.default.svc
            namespace: x
        """)})
    assert [(p.rule, p.line, p.message) for p in r.problems] == [(
        "gitops-appset", 8, "ApplicationSet set: found duplicate key name with different value, a: a ,b: b: "
        "Argo CD generates no Application from it")]
    assert r.units == []


def test_merge_overrides_by_merge_keys_and_drops_unmatched(tmp_path: Path):
    r = expand(tmp_path, FOLDERS | {"set.yaml": appset("""
        - merge:
            mergeKeys: [name]
            generators:
              - list:
                  elements:
                    - {name: api, replicas: "1"}
                    - {name: web, replicas: "1"}
              - list:
                  elements:
                    - {name: web, replicas: "5"}
                    - {name: ghost, replicas: "9"}
        """, template="""
        metadata:
          name: '{{.name}}-{{.replicas}}'
        spec:
          project: default
          source:
            repoURL: https://github.com/org/repo.git
            path: 'apps/{{.name}}'
          destination:
            server: https://kubernetes.default.svc
            namespace: '{{.name}}'
        """)})
    assert apps(r) == [("api-1", "apps/api", "api"), ("web-5", "apps/web", "web")]
    assert r.sorted_units()[0].generated.generator == "merge(list,list)"


def test_cluster_generator_knows_in_cluster_and_the_repositorys_cluster_secrets(tmp_path: Path):
    secret = """
        apiVersion: v1
        kind: Secret
        metadata:
          name: prod-cluster
          namespace: argocd
          labels:
            argocd.argoproj.io/secret-type: cluster
            env: prod
        type: Opaque
        data:
          name: {name}
          server: {server}
          config: {config}
        """.format(name=base64.b64encode(b"prod-eu").decode(), server=base64.b64encode(b"https://prod.example.com").decode(),
                   config=base64.b64encode(b'{"bearerToken": "not-shown"}').decode())
    template = """
        metadata:
          name: '{{.name}}-guestbook'
        spec:
          project: default
          source:
            repoURL: https://github.com/org/repo.git
            path: apps/web
          destination:
            server: '{{.server}}'
            namespace: '{{.values.ns}}'
        """
    r = expand(tmp_path, FOLDERS | {"secret.yaml": secret, "set.yaml": appset("""
        - clusters:
            values:
              ns: 'guestbook-{{.nameNormalized}}'
        """, template=template)})
    assert [(u.name, u.destination.server, u.destination.namespace) for u in r.sorted_units()] == [
        ("in-cluster-guestbook", "https://kubernetes.default.svc", "guestbook-in-cluster"),
        ("prod-eu-guestbook", "https://prod.example.com", "guestbook-prod-eu"),
    ]
    note = next(n for n in r.notes if n.kind == "clusters")
    assert note.line == 10 and "Argo CD's own cluster (in-cluster) and 1 cluster Secret declared in this repository" in note.message
    assert "not-shown" not in repr(r.units) + repr(r.notes)


def test_cluster_generator_with_a_selector_leaves_in_cluster_out(tmp_path: Path):
    r = expand(tmp_path, FOLDERS | {"set.yaml": appset("""
        - clusters:
            selector:
              matchLabels:
                env: staging
        """, template="""
        metadata:
          name: '{{.name}}-guestbook'
        spec:
          project: default
          source:
            repoURL: https://github.com/org/repo.git
            path: apps/web
          destination:
            server: '{{.server}}'
            namespace: guestbook
        """)})
    assert r.units == []
    assert "no local cluster (the selector leaves it out) and 0 cluster Secrets" in next(n for n in r.notes if n.kind == "clusters").message


def test_list_elements_yaml_selector_and_generator_template(tmp_path: Path):
    r = expand(tmp_path, FOLDERS | {"set.yaml": appset("""
        - list:
            elementsYaml: |
              - {name: api, tier: backend}
              - {name: web, tier: frontend}
              - {name: worker, tier: backend}
          selector:
            matchLabels:
              tier: backend
        - list:
            elements:
              - name: web
            template:
              metadata: {}
              spec:
                project: default
                source:
                  repoURL: https://github.com/org/repo.git
                  path: 'apps/{{.name}}/nested'
                destination: {}
        """, template="""
        metadata:
          name: '{{.name}}'
        spec:
          project: default
          source:
            repoURL: https://github.com/org/repo.git
            path: 'apps/{{.name}}'
          destination:
            server: https://kubernetes.default.svc
            namespace: '{{.name}}'
        """)})
    # the second list's own template sets the path; the ApplicationSet's template fills the rest
    assert apps(r) == [("api", "apps/api", "api"), ("web", "apps/web/nested", "web"), ("worker", "apps/worker", "worker")]
    assert [(p.line, p.message) for p in r.problems] == [(27, "web: source path apps/web/nested does not exist in this repository")]


def test_template_patch_is_applied(tmp_path: Path):
    r = expand(tmp_path, FOLDERS | {"set.yaml": appset("""
        - list:
            elements:
              - {name: api, auto: true}
              - {name: web, auto: false}
        """, extra="""  templatePatch: |
    spec:
      source:
        path: 'apps/{{ .name }}'
      {{- if .auto }}
      syncPolicy:
        automated: {}
      {{- end }}
""", template="""
        metadata:
          name: '{{.name}}'
        spec:
          project: default
          source:
            repoURL: https://github.com/org/repo.git
            path: 'somewhere/else'
          destination:
            server: https://kubernetes.default.svc
            namespace: '{{.name}}'
        """)})
    assert apps(r) == [("api", "apps/api", "api"), ("web", "apps/web", "web")]
    assert r.problems == []


@pytest.mark.parametrize("generator, message", [
    ("- list:\n    elements:\n      - name: [not, a, string]\n",
     "list element key 'name' is not a string (with goTemplate off every value must be)"),
    ("- matrix:\n    generators:\n      - list:\n          elements: [{a: b}]\n",
     "found less than two generators, Matrix support only two"),
    ("- merge:\n    generators:\n      - list: {elements: [{a: b}]}\n      - list: {elements: [{a: b}]}\n",
     "no merge keys were specified, Merge requires at least one"),
])
def test_generators_argo_cd_refuses(tmp_path: Path, generator: str, message: str):
    r = expand(tmp_path, {"set.yaml": appset(generator, go=False, template="""
        metadata:
          name: x
        spec:
          project: default
          source:
            repoURL: https://github.com/org/repo.git
            path: apps
          destination:
            server: https://kubernetes.default.svc
            namespace: x
        """)})
    assert [p.message for p in r.problems] == [f"ApplicationSet set: {message}: Argo CD generates no Application from it"]


def test_a_huge_matrix_is_bounded(tmp_path: Path):
    elements = "\n".join(f"          - {{n{i}: '{i}'}}" for i in range(150))
    other = "\n".join(f"          - {{m{i}: '{i}'}}" for i in range(150))
    r = expand(tmp_path, {"set.yaml": appset(f"""
- matrix:
    generators:
      - list:
          elements:
{elements}
      - list:
          elements:
{other}
""", go=False)})
    assert [p.message for p in r.problems] == [
        "ApplicationSet set: the generator yields more than 10,000 parameter sets: Argo CD generates no Application from it"]
