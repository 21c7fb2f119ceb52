"""Render stage: turn a target (overlay, chart x values, file, folder, stdin) into Kubernetes objects.

Each render source is a :class:`Renderer` in a module of its own, listed once in
:data:`REGISTRY`; everything source-specific is the renderer's:

- **classify**: a folder holding one of its ``markers`` (a kustomization, ``Chart.yaml``), or
  that file itself, is a target of its kind; paths no marker claims are plain files/folders;
- **discover**: :meth:`Renderer.discover` picks the units among the folders a walk of the
  repository found with its markers (overlays, not bases; charts x ``values-<env>.yaml``);
- **target**: :meth:`Renderer.target` makes the :class:`~k8slint.model.Target` of a unit
  (Helm: values files, release name and namespace);
- **render**: :meth:`Renderer.render` returns a :class:`Render` - the objects, and the
  problems met on the way (``render-error``, ``parse-error``) as findings-to-be, never raised;
- **inputs**: :meth:`Renderer.inputs` - the folders and files a unit reads, for ``--changed``;
- **deployers**: a source that deploys other units (Argo CD Applications, Flux objects) names,
  for an overlay or chart, the units of its own that deploy it (:meth:`Renderer.deployers`):
  discovery checks the overlay as those, not a second time bare;
- **finish**: :meth:`Renderer.finish` adds what needs every render of the run (two Applications
  deploying one object) to the renders, after all of them are made;
- **provenance**: the renderer fills the provenance fields of each
  :class:`~k8slint.model.K8sObject` (``origin``, ``origin_generator``, ``transformers``,
  ``helm_template``, ``helm_ordinal``, ``default_namespace``, ``namespace_at_install``) that
  :mod:`k8slint.locate` and the rules read, and names the file findings with no better place
  point at (:meth:`Renderer.source_file`).

Modules are imported only when a target of their kind is rendered or discovered, so a check of
one plain file never loads the kustomize or Helm plumbing.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import field
from pathlib import Path
from typing import Callable, NamedTuple

from ..model import K8sObject, Location, Target
from ..records import FACTORY, record


@record
class Problem:
    """A target that could not be rendered or parsed (a render-error or parse-error finding)."""

    rule: str  # "render-error" or "parse-error"
    message: str
    location: Location

    def __init__(self, rule: str, message: str, location: Location) -> None:
        self.rule = rule
        self.message = message
        self.location = location


@record
class Render:
    """One target rendered: its objects, and the problems met on the way."""

    target: Target
    objects: list[K8sObject] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    failed: bool = False  # nothing could be rendered at all
    notes: list[str] = field(default_factory=list)

    def __init__(self, target: Target, objects: list[K8sObject] = FACTORY, problems: list[Problem] = FACTORY,
                 failed: bool = False, notes: list[str] = FACTORY) -> None:
        self.target = target
        self.objects = [] if objects is FACTORY else objects
        self.problems = [] if problems is FACTORY else problems
        self.failed = failed
        self.notes = [] if notes is FACTORY else notes


class Unit(NamedTuple):
    """What discovery finds: a target before its environment is known."""

    kind: str
    path: Path
    env_file: Path | None = None  # Helm: the values-<env>.yaml it is rendered with
    files: tuple = ()  # plain YAML found by discovery: the loose manifests of the folder ``path``
    name: str = ""  # which unit of ``path``, when a file holds several (gitops: the Application's id)


@record
class Discovery:
    """What a folder holds: its units, and the YAML files neither checked nor recognised."""

    units: list[Unit] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)  # repo-relative, sorted

    def __init__(self, units: list[Unit] = FACTORY, unchecked: list[str] = FACTORY) -> None:
        self.units = [] if units is FACTORY else units
        self.unchecked = [] if unchecked is FACTORY else unchecked


@record
class Inputs:
    """What a unit reads, for ``--changed``: a changed path feeds it when it is one of ``files`` or
    inside one of ``dirs``, and is not one of ``excluded``."""

    dirs: set[Path] = field(default_factory=set)
    files: set[Path] = field(default_factory=set)
    excluded: set[Path] = field(default_factory=set)

    def __init__(self, dirs: set[Path] = FACTORY, files: set[Path] = FACTORY, excluded: set[Path] = FACTORY) -> None:
        self.dirs = set() if dirs is FACTORY else dirs
        self.files = set() if files is FACTORY else files
        self.excluded = set() if excluded is FACTORY else excluded

    def fed_by(self, path: Path) -> bool:
        if path in self.excluded:
            return False
        from ..sources import within

        return path in self.files or any(within(path, d) for d in self.dirs)


EnvResolver = Callable[[str], "tuple[str, str]"]  # repo-relative path -> (environment, how it was decided)


class Renderer:
    """One render source. Subclasses set ``kind`` and implement :meth:`render`; the rest has
    defaults that suit a source with no discovery."""

    kind: str = ""

    def discover(self, found: list[Path], root: Path, settings) -> list[Unit]:
        """The units under ``root``: among ``found`` (folders holding one of this kind's markers), or,
        for a registration with ``discovers=True``, wherever its files say (``settings.sources``)."""
        return []

    def target(self, unit: Unit, settings, resolve_env: EnvResolver, options) -> Target:
        """The target of a unit; ``options`` carries the command line's values/set/release/namespace."""
        from ..sources import relative

        display = relative(unit.path, settings.repo_root)
        env, source = resolve_env(display)
        return Target(unit.kind, unit.path, display, env, source)

    def render(self, target: Target, settings) -> Render:  # pragma: no cover - abstract
        raise NotImplementedError

    def inputs(self, unit: Unit, settings) -> Inputs:
        """What the unit reads (default: everything under its path)."""
        return Inputs(dirs={unit.path.resolve()}) if unit.path.is_dir() else Inputs(files={unit.path.resolve()})

    def source_file(self, target: Target) -> str:
        """Repo-relative file that findings with no better place point at."""
        return target.display

    def deployers(self, unit: Unit, settings) -> list[Unit]:
        """This source's units that deploy ``unit`` (an overlay or chart of another kind), if any."""
        return []

    def groups(self, targets: list[Target], settings, jobs: int) -> list[list[Target]]:
        """``targets`` (this kind's, none with a cached answer) in the groups that ``jobs`` threads
        render, each group in one thread: :meth:`prepare`, then each target's :meth:`render`.
        Default: one group each."""
        return [[t] for t in targets]

    def prepare(self, group: list[Target], settings) -> None:
        """Before a group's targets are rendered one by one (in this thread): whatever renders them
        together (kustomize builds a group in one run). Default: nothing."""

    def finish(self, renders: list[Render], settings) -> None:
        """Add to ``renders`` what only all of them together show (called once, after every render)."""


@record(frozen=True)
class Registration:
    """A kind of target: the module that renders it and the file names that mark its folders."""

    kind: str
    module: str  # defines RENDERER, a Renderer instance (or RENDERERS, by kind)
    markers: tuple[str, ...] = ()  # file names that make a folder a target of this kind
    discovers: bool = False  # asked to discover units even without markers (e.g. by reading files' contents)
    signs: tuple[bytes, ...] = ()  # text that a file declaring units of this kind holds (read before importing it)

    def __init__(self, kind: str, module: str, markers: tuple[str, ...] = (), discovers: bool = False,
                 signs: tuple[bytes, ...] = ()) -> None:
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "module", module)
        object.__setattr__(self, "markers", markers)
        object.__setattr__(self, "discovers", discovers)
        object.__setattr__(self, "signs", signs)


# kustomize's file names (also k8slint.render.kustomization.KUSTOMIZATION_FILES, which a check of
# plain files does not import)
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")

# Claim order: the first registration whose marker a folder holds renders it.
REGISTRY: tuple[Registration, ...] = (
    Registration("kustomize", "k8slint.render.kustomize", KUSTOMIZATION_FILES),
    Registration("helm", "k8slint.render.helm", ("Chart.yaml",)),
    Registration("gitops", "k8slint.render.gitops.renderer", discovers=True,  # Argo CD and Flux objects
                 signs=(b"argoproj.io/", b"toolkit.fluxcd.io/")),
    Registration("dir", "k8slint.render.plain"),
    Registration("file", "k8slint.render.plain"),
    Registration("stdin", "k8slint.render.plain"),
)
_BY_KIND = {r.kind: r for r in REGISTRY}


def renderer(kind: str) -> Renderer:
    registration = _BY_KIND[kind]
    module = importlib.import_module(registration.module)
    return module.RENDERERS[kind] if hasattr(module, "RENDERERS") else module.RENDERER


def classify(path: Path) -> tuple[str, Path] | None:
    """(kind, target path) of a file or folder a user named; None when it does not exist.
    A marker file itself (``overlays/prod/kustomization.yaml``) stands for its folder."""
    if path.is_dir():
        for registration in REGISTRY:
            if any((path / marker).is_file() for marker in registration.markers):
                return registration.kind, path
        return "dir", path
    if path.is_file():
        for registration in REGISTRY:
            if path.name in registration.markers:
                return registration.kind, path.parent
        return "file", path
    return None


def discover(root: Path, settings) -> list[Unit]:
    """Every unit of a repository (or folder), sorted by path, then values file: see :func:`discovery`."""
    return discovery(root, settings).units


def discovery(root: Path, settings, loose: bool = True, deployed: bool = True) -> Discovery:
    """Every unit of a repository (or folder): one listing of its files, then each renderer picks
    its own among the folders holding its markers; then (``loose``) every other YAML file is
    accounted for (:mod:`k8slint.render.survey`): folders of loose manifests become plain units,
    and what is neither checked nor recognised is named. With ``deployed``, a unit that an Argo CD
    Application or Flux object deploys is replaced by that object's unit (:func:`deployed_as`)."""
    files = _files_under(root, settings)
    found: dict[str, list[Path]] = {r.kind: [] for r in REGISTRY if r.markers}
    folder_names: dict[Path, set[str]] = {}
    for path in files:
        folder_names.setdefault(path.parent, set()).add(path.name)
    for directory, names in folder_names.items():
        for registration in REGISTRY:
            if registration.markers and names.intersection(registration.markers):
                found[registration.kind].append(directory)
    units: list[Unit] = []
    for registration in REGISTRY:
        folders = found.get(registration.kind, [])
        if folders or registration.discovers:
            units.extend(renderer(registration.kind).discover(folders, root, settings))
    unchecked: list[str] = []
    if loose:
        from .survey import survey

        surveyed = survey(root, files, found.get("helm", []), found.get("kustomize", []), settings)
        units.extend(Unit("dir", folder, None, tuple(paths)) for folder, paths in surveyed.loose.items())
        unchecked = sorted(surveyed.unchecked)
    if deployed:  # an overlay, chart or folder that an Application deploys is checked as that Application
        units = deployed_as(units, settings)
    units.sort(key=unit_order)
    return Discovery(units, unchecked)


def _files_under(root: Path, settings) -> list[Path]:
    """Every file under ``root`` (absolute, sorted by folder): from the run's one listing of the
    repository when ``root`` is inside it, else by a walk."""
    from ..sources import walk, within

    repo_root = Path(os.path.normpath(settings.repo_root))
    root = Path(os.path.normpath(root))
    if within(root, repo_root):
        prefix = "" if root == repo_root else root.relative_to(repo_root).as_posix() + "/"
        return [repo_root / rel for rel in settings.sources.files() if rel.startswith(prefix)]
    return [directory / name for directory, names in walk(root) for name in names]


def deployed_as(units: list[Unit], settings) -> list[Unit]:
    """``units`` with each overlay, chart or folder that a deploying source's units deploy (Argo CD
    Applications, Flux objects) replaced by those units; the others as they are, in order."""
    deploying = [renderer(r.kind) for r in REGISTRY if r.discovers]
    if not deploying:
        return list(units)
    replaced: list[Unit] = []
    for unit in units:
        by = [] if _BY_KIND[unit.kind].discovers else [d for r in deploying for d in r.deployers(unit, settings)]
        replaced.extend(by or [unit])
    return list(dict.fromkeys(replaced))


def unit_order(unit: Unit) -> tuple:
    return unit.path.as_posix(), unit.env_file.name if unit.env_file else "", unit.name


def declared(path: Path, settings) -> list[Unit]:
    """The units a file declares (an Argo CD Application's manifest): its renderer is loaded only
    when the file's text holds one of its ``signs``."""
    from ..sources import relative

    raw, _ = settings.sources.read_bytes(relative(path, settings.repo_root))
    found = [u for r in REGISTRY if r.signs and raw and any(s in raw for s in r.signs)
             for u in renderer(r.kind).discover([], path, settings)]
    return sorted(found, key=unit_order)


def render(target: Target, settings) -> Render:
    """Render one target with the renderer of its kind (or of what deploys it); never raises for bad input."""
    return renderer("gitops" if target.deployed_by else target.kind).render(target, settings)


def groups(targets: list[Target], settings, jobs: int) -> list[list[Target]]:
    """``targets`` (none with a cached answer) in groups rendered together, by their renderers
    (:meth:`Renderer.groups`); a group is one kind's."""
    by_kind: dict[str, list[Target]] = {}
    for target in targets:
        by_kind.setdefault("gitops" if target.deployed_by else target.kind, []).append(target)
    found = []
    for kind, same in by_kind.items():
        found.extend(renderer(kind).groups(same, settings, jobs) if len(same) > 1 else [same])
    return found


def prepare(group: list[Target], settings) -> None:
    """Before ``group``'s targets are rendered one by one: its renderer renders them together."""
    if len(group) > 1:
        renderer("gitops" if group[0].deployed_by else group[0].kind).prepare(group, settings)


def finish(renders: list[Render], settings) -> None:
    """After every target is rendered: what only the renders together show (renderers in use only)."""
    import sys

    for registration in REGISTRY:
        if registration.module in sys.modules:
            renderer(registration.kind).finish(renders, settings)
