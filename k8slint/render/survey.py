"""Every YAML file of a folder, accounted for: read by a target, recognised as something that is
not a Kubernetes manifest, a loose manifest to check, or named as not checked.

After the renderers have picked their units (overlays, charts x values files), each YAML file
under the folder is, in this order:

1. **read by a unit's source**: any file of a chart folder (templates, values files, vendored
   subcharts, CI values), a kustomization file and every file a kustomization names (resources,
   patches, generator files and env files, components, configurations, CRDs, Helm values files);
2. **recognised as not Kubernetes** and quietly left alone: files in hidden folders and hidden
   files (``.github/`` workflows, ``.gitlab-ci.yml``, ``.pre-commit-config.yaml``,
   ``.k8slint.yaml``), well-known tool files (``mkdocs.yml``, compose files, Helm values files
   outside a chart), and YAML without a top-level ``apiVersion:`` and ``kind:`` or whose
   ``apiVersion`` belongs to a tool rather than a cluster (kind, skaffold, kubeadm, kubeconfig...);
3. **a loose manifest**: checked as plain YAML, one target per folder (its environment from the
   path), so Argo CD and Flux objects, ``manifests/`` folders and an ``app.yaml`` beside a chart
   are checked too;
4. anything else is **named** (``unchecked``): a manifest beside a kustomization that it does not
   list, a templated file outside a chart, a file that cannot be read as text.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from .. import globs
from .kustomization import kustomization_file

YAML_SUFFIXES = (".yaml", ".yml")
NOT_KUBERNETES_NAMES = (
    "Chart.yaml", "Chart.lock", "requirements.yaml", "requirements.lock", "values.y*ml", "values-*.y*ml", "values_*.y*ml",
    "*-values.y*ml", "*.values.y*ml", "*_values.y*ml", "mkdocs.y*ml", "docker-compose*.y*ml", "compose.y*ml", "compose.*.y*ml",
    "action.y*ml", "helmfile*.y*ml", "skaffold*.y*ml", "codecov.y*ml", "goreleaser.y*ml", "renovate*.y*ml",
    "dependabot.y*ml", "ct.y*ml", "chart-testing*.y*ml", "Taskfile*.y*ml", "cloudbuild*.y*ml", "buildspec*.y*ml",
    "azure-pipelines*.y*ml", "bitbucket-pipelines.y*ml", "appveyor.y*ml", "netlify.y*ml", "kustomizeconfig*.y*ml",
    "openapi*.y*ml", "swagger*.y*ml", "catalog-info.y*ml", "devfile.y*ml", "tilt*.y*ml",
)
# apiVersions of configuration files read by tools, never applied to a cluster
TOOL_API_GROUPS = ("skaffold/", "kind.x-k8s.io/", "k3d.io/", "backstage.io/", "kustomize.config.k8s.io/",
                   "config.kubernetes.io/", "kpt.dev/", "fn.kpt.dev/", "kuttl.dev/", "ctlptl.dev/", "kubeadm.k8s.io/",
                   "kubelet.config.k8s.io/", "kubeproxy.config.k8s.io/", "apiserver.config.k8s.io/", "audit.k8s.io/",
                   "kubescheduler.config.k8s.io/", "client.authentication.k8s.io/", "clusterctl.cluster.x-k8s.io/")
_API_VERSION = re.compile(r"^apiVersion:[ \t]*[\"']?([^\s\"'#]+)", re.M)
_KIND = re.compile(r"^kind:[ \t]*[\"']?([^\s\"'#]+)", re.M)


@dataclass
class Survey:
    loose: dict[Path, list[Path]] = field(default_factory=dict)  # folder -> its loose manifests, to check
    unchecked: list[str] = field(default_factory=list)  # repo-relative YAML files neither checked nor recognised


def is_yaml(name: str) -> bool:
    return name.endswith(YAML_SUFFIXES)


def _recognised_name(rel: str) -> bool:
    parts = rel.split("/")
    if any(part.startswith(".") for part in parts):
        return True
    return any(globs.fnmatchcase(parts[-1], pattern) for pattern in NOT_KUBERNETES_NAMES)


def _tool_config(api_versions: list[str], kinds: list[str]) -> bool:
    """Every document is a tool's configuration (kind cluster, skaffold, a kubeconfig...)."""
    if all(v == "builtin" or v.startswith(TOOL_API_GROUPS) for v in api_versions):
        return True
    return all(v == "v1" for v in api_versions) and all(k == "Config" for k in kinds)  # kubeconfigs


def _kustomization_claims(node) -> tuple[set[Path], set[Path]]:
    """(files, folders) a kustomization reads: itself, every path it names, Helm values files."""
    files = {Path(os.path.normpath(node.file))}
    folders: set[Path] = set()
    for entry, _, _ in node.refs:
        path = Path(os.path.normpath(node.directory / entry))
        if not path.is_dir():
            files.add(path)
        elif kustomization_file(path) is None:  # a folder of generator configs; a kustomization claims its own
            folders.add(path)
    data = node.data if isinstance(node.data, dict) else {}
    charts = data.get("helmCharts")
    for chart in charts if isinstance(charts, list) else []:
        if isinstance(chart, dict):
            named = [chart.get("valuesFile"), *(chart.get("additionalValuesFiles") or [])]
            files.update(Path(os.path.normpath(node.directory / v)) for v in named if isinstance(v, str))
    globals_ = data.get("helmGlobals")
    if isinstance(globals_, dict) and isinstance(globals_.get("chartHome"), str):
        folders.add(Path(os.path.normpath(node.directory / globals_["chartHome"])))
    return files, folders


def survey(root: Path, files: list[Path], chart_dirs: list[Path], kustomization_dirs: list[Path], settings) -> Survey:
    """Sort the YAML ``files`` under ``root`` (absolute paths, sorted) as the module docstring says."""
    from ..sources import relative

    repo_root: Path = settings.repo_root
    graph = settings.kustomizations
    claimed_files: set[Path] = set()
    claimed_dirs: set[Path] = {Path(os.path.normpath(d)) for d in chart_dirs}
    for directory in kustomization_dirs:
        node = graph.at(directory)
        if node is None:
            continue
        if node.data is None:  # a kustomization that cannot be read still claims itself (a render-error)
            claimed_files.add(Path(os.path.normpath(node.file)))
            continue
        more_files, more_dirs = _kustomization_claims(node)
        claimed_files |= more_files
        claimed_dirs |= more_dirs
    kustomize_folders = {Path(os.path.normpath(d)) for d in kustomization_dirs}

    def claimed(path: Path) -> bool:
        if path in claimed_files:
            return True
        return any(parent in claimed_dirs for parent in path.parents)

    result = Survey()
    for path in files:
        if not is_yaml(path.name):
            continue
        path = Path(os.path.normpath(path))
        if claimed(path):
            continue
        rel = relative(path, repo_root)
        if _recognised_name(relative(path, root)):
            continue
        text, _ = settings.sources.read(rel)
        if text is None:  # binary, over the size limit, a symlink out of the repository
            result.unchecked.append(rel)
            continue
        api_versions = _API_VERSION.findall(text)
        kinds = _KIND.findall(text)
        if not api_versions or not kinds or _tool_config(api_versions, kinds):
            continue  # not a Kubernetes manifest: a config file, values, an OpenAPI document...
        if path.parent in kustomize_folders:
            result.unchecked.append(rel)  # beside a kustomization that does not list it: kustomize ignores it
            continue
        if "{{" in text and settings.sources.errors(rel):
            result.unchecked.append(rel)  # a template of some tool outside a chart: not a manifest as it is
            continue
        result.loose.setdefault(path.parent, []).append(path)
    return result
