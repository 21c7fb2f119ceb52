"""What Argo CD and Flux deploy from this repository: GitOps objects -> deployment units.

    from k8slint.gitops import read, documents, Options
    reading = read(root, documents(root), Options(repo_urls=[...]))
    reading.sorted_units()   # Deployment units: Applications (generated ones included), Flux objects
    reading.notes            # what was not followed (other repositories, Helm/OCI repositories, ...)
    reading.problems         # gitops-source / gitops-overlap / gitops-appset problems, with file:line
    reading.pending()        # units whose render may hold more GitOps objects; after rendering one,
    reading.children(unit, rendered_docs)   # reads them (app-of-apps), bounded, cycles noted
    environment(unit, globs) # its environment: config globs, then aliases in name/namespace/path
    overlaps([(unit, [Deployed...]), ...])  # gitops-overlap from what each unit rendered
    unmanaged(reading.deployed_paths(), bool(reading.units), candidates)  # gitops-unmanaged

Nothing here renders, fetches or runs anything. Decisions the integration inherits:

* "This repository" is the config's repo URLs, else the git remotes (``.git/config`` read as
  text). With neither, a source is followed when its path exists here, and a note says so.
* Roots are the objects no unit deploys. A plain directory source's Applications are read at
  once; a kustomization's or a chart's only from its render (the rendered object is the truth;
  when it equals the manifest, the manifest's lines are kept; when a render changed it, the
  manifest's lines stand for the fields it has). Objects of kustomize patch files are changes,
  not objects.
* An app-of-apps that deploys its own manifest manages itself: read once, noted. Depth counts
  from 0 at the roots; ``max_depth`` (default 5) stops following, with a note.
* The cluster generator knows ``in-cluster`` (when it has no selector) and the cluster Secrets
  declared in the repository; nothing else (noted). scmProvider, pullRequest,
  clusterDecisionResource and plugin generators are noted, never expanded.
* An ApplicationSet Argo CD would refuse (a template error, missingkey=error, duplicate or
  invalid generated names, a bad generator) generates nothing and is a ``gitops-appset``
  problem; a placeholder left in a path is a ``gitops-source`` problem at the template's line.
* Two units of one kind and name are compared only when one parent deploys both; roots may go
  to different clusters (one folder per cluster is the usual Flux layout, where same-named
  sources are looked up nearest first).
* Lines of objects read from a Helm render are the render's: ``collect.path_at`` gives the
  field, which the locator maps to the template line.
"""

from .collect import path_at
from .environment import environment
from .model import (Deployment, Destination, DirectoryOptions, Doc, Generated, HelmOptions, InlineValues,
                    KustomizeOptions, Note, Parameter, Problem, Project, Source, ValueFile)
from .overlap import Deployed, overlaps
from .reading import Options, Reading, documents, read
from .unmanaged import unmanaged

__all__ = [
    "Deployed", "Deployment", "Destination", "DirectoryOptions", "Doc", "Generated", "HelmOptions", "InlineValues",
    "KustomizeOptions", "Note", "Options", "Parameter", "Problem", "Project", "Reading", "Source", "ValueFile",
    "documents", "environment", "overlaps", "path_at", "read", "unmanaged",
]
