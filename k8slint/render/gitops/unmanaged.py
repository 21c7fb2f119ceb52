"""Overlays and charts that no deployment unit deploys, in a repository that has units: data
for the ``gitops-unmanaged`` rule."""

from __future__ import annotations

from .collect import UNMANAGED
from .model import Problem


def unmanaged(deployed: set[str], has_units: bool, candidates: list[tuple[str, str, str]]) -> list[Problem]:
    """``deployed``: the folders units deploy (``Reading.deployed_paths()``); ``candidates``:
    (kind, folder, file to point at) of every overlay and chart of the repository."""
    if not has_units:
        return []
    out = []
    for kind, folder, file in sorted(candidates, key=lambda c: c[1]):
        if folder in deployed:
            continue
        what = "chart" if kind == "helm" else "overlay"
        deployers = "Application or HelmRelease" if kind == "helm" else "Application or Flux Kustomization"
        out.append(Problem(UNMANAGED, f"{what} {folder} is deployed by no {deployers} of this repository", file, 1))
    return out
