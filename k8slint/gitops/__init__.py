"""What Argo CD and Flux deploy from this repository: GitOps objects -> deployment units.

    from k8slint.gitops import read, documents, Options
    reading = read(root, documents(root), Options(repo_urls=[...]))
    reading.sorted_units()   # Deployment units (Applications, generated ones included; Flux objects)
    reading.notes            # what was not followed (other repositories, Helm/OCI repositories, ...)
    reading.problems         # gitops-source / gitops-overlap / gitops-appset problems, with file:line
    reading.pending()        # units to render; then reading.children(unit, rendered_docs)

Nothing here renders, fetches or runs anything; the integration renders units and feeds renders
back through ``Reading.children`` (app-of-apps), ``overlap.overlaps`` and ``unmanaged.unmanaged``.
"""

from .environment import environment
from .model import (Deployment, Destination, DirectoryOptions, Doc, Generated, HelmOptions, InlineValues,
                    KustomizeOptions, Note, Parameter, Problem, Project, Source, ValueFile)
from .overlap import Deployed, overlaps
from .reading import Options, Reading, documents, read
from .unmanaged import unmanaged

__all__ = [
    "Deployed", "Deployment", "Destination", "DirectoryOptions", "Doc", "Generated", "HelmOptions", "InlineValues",
    "KustomizeOptions", "Note", "Options", "Parameter", "Problem", "Project", "Reading", "Source", "ValueFile",
    "documents", "environment", "overlaps", "read", "unmanaged",
]
