"""The few value types every part of k8slint shares: objects, locations, violations, findings."""

from __future__ import annotations

from dataclasses import field
from pathlib import Path as Path_
from typing import Any, Callable

from .records import FACTORY, record

SEVERITIES = ("info", "warning", "error")
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}

Path = tuple  # keys (str) and list indexes (int) from the object's root


@record(frozen=True)
class Location:
    """A repo-relative file and 1-based line."""

    file: str
    line: int = 1

    def __init__(self, file: str, line: int = 1) -> None:
        object.__setattr__(self, "file", file)
        object.__setattr__(self, "line", line)


class _once:
    """A property computed on first use and then kept in the instance (functools.cached_property
    without its per-access lock, which cost more than the lookups it saves)."""

    def __init__(self, compute: Callable) -> None:
        self.compute = compute
        self.name = compute.__name__
        self.__doc__ = compute.__doc__

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.compute(instance)
        return value


@record(frozen=True)
class HelmSources:
    """Where one Helm render took what the templates read, so that a rendered field can be traced
    to the values line that set it. Shared by every object rendered from one chart of a target."""

    chart: str  # repo-relative folder of the chart the template belongs to (its Chart.yaml)
    files: tuple = ()  # ((repo-relative values file, key prefix), ...), lowest precedence first
    sets: tuple = ()  # ((--set expression, key prefix), ...), applied after every file
    helpers: tuple = ()  # repo-relative chart folders whose templates may define helpers

    def __init__(self, chart: str, files: tuple = (), sets: tuple = (), helpers: tuple = ()) -> None:
        object.__setattr__(self, "chart", chart)
        object.__setattr__(self, "files", files)
        object.__setattr__(self, "sets", sets)
        object.__setattr__(self, "helpers", helpers)


@record
class K8sObject:
    """One Kubernetes object of a render, with where it came from.

    ``data`` is the object as a YMap (line-aware dict). ``stream_file``/``data`` lines give the
    rendered position; ``origin`` is the source file kustomize or Helm says it came from, and
    ``transformers`` the kustomization files that changed it (kustomize buildMetadata).
    Identity fields (kind, name, namespace...) are read once: rules ask for them per object
    per rule, and an object's data is never changed after it is loaded.
    """

    data: Any
    stream_file: str
    index: int
    origin: str | None = None
    origin_generator: str | None = None  # kustomize generator kind (ConfigMapGenerator...)
    transformers: tuple = ()  # ((configuredIn, kind), ...) repo-relative
    helm_template: str | None = None  # template path inside the chart, for Helm renders
    helm_ordinal: int = 0  # this object is the n-th of its kind rendered from that template
    # Namespaces, as the render source states them (rules ask effective_namespace(), not these):
    default_namespace: str | None = None  # where it lands without metadata.namespace (Helm --namespace)
    namespace_at_install: bool = False  # chosen when installed (helm install -n): no namespace stated,
    #                                     or metadata.namespace not written in the source (.Release.Namespace)
    helm_sources: HelmSources | None = None  # the values files and --set the render used

    def __init__(
            self, data: Any, stream_file: str, index: int, origin: str | None = None,
            origin_generator: str | None = None, transformers: tuple = (), helm_template: str | None = None,
            helm_ordinal: int = 0, default_namespace: str | None = None, namespace_at_install: bool = False,
            helm_sources: HelmSources | None = None
    ) -> None:
        self.data = data
        self.stream_file = stream_file
        self.index = index
        self.origin = origin
        self.origin_generator = origin_generator
        self.transformers = transformers
        self.helm_template = helm_template
        self.helm_ordinal = helm_ordinal
        self.default_namespace = default_namespace
        self.namespace_at_install = namespace_at_install
        self.helm_sources = helm_sources

    @_once
    def api_version(self) -> str:
        value = self.data.get("apiVersion")
        return value if isinstance(value, str) else ""

    @_once
    def kind(self) -> str:
        value = self.data.get("kind")
        return value if isinstance(value, str) else ""

    @_once
    def group(self) -> str:
        api = self.api_version
        return api.rsplit("/", 1)[0] if "/" in api else ""

    @_once
    def metadata(self) -> dict:
        meta = self.data.get("metadata")
        return meta if isinstance(meta, dict) else {}

    @_once
    def name(self) -> str:
        value = self.metadata.get("name")
        return value if isinstance(value, str) else str(value or "")

    @_once
    def namespace(self) -> str | None:
        value = self.metadata.get("namespace")
        return value if isinstance(value, str) and value else None

    def labels(self) -> dict:
        value = self.metadata.get("labels")
        return value if isinstance(value, dict) else {}

    def annotations(self) -> dict:
        value = self.metadata.get("annotations")
        return value if isinstance(value, dict) else {}

    def ref(self) -> dict:
        return {
            "apiVersion": self.api_version,
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
        }


@record
class Target:
    """One thing to render and check: an overlay, a chart with its values, a file, a folder, stdin."""

    kind: str  # what it is: kustomize | helm | file | dir | stdin (its renderer, unless deployed_by says gitops)
    path: Path_  # absolute (for stdin: the cwd)
    display: str  # repo-relative, what the user sees
    env: str = "unknown"
    env_source: str = "unresolved"
    values: list = field(default_factory=list)  # helm: values files (Paths), in order
    set_values: list[str] = field(default_factory=list)  # helm: --set expressions
    release_name: str = "release"
    namespace: str | None = None
    stdin_data: bytes | None = None
    files: list = field(default_factory=list)  # dir found by discovery: only these loose manifests (Paths)
    # gitops: the Argo CD Application or Flux object that deploys this overlay/chart/folder (its unit
    # id); the gitops renderer renders the target with that object's options
    deployed_by: str = ""
    title: str = ""  # the label when the path alone does not say what is checked (gitops: the Application)
    set_shown: str = ""  # helm: the --set expressions as a label may show them (sensitive.shown_set_values)

    def __init__(
            self, kind: str, path: Path_, display: str, env: str = "unknown", env_source: str = "unresolved",
            values: list = FACTORY, set_values: list[str] = FACTORY, release_name: str = "release",
            namespace: str | None = None, stdin_data: bytes | None = None, files: list = FACTORY,
            deployed_by: str = "", title: str = "", set_shown: str = ""
    ) -> None:
        self.kind = kind
        self.path = path
        self.display = display
        self.env = env
        self.env_source = env_source
        self.values = [] if values is FACTORY else values
        self.set_values = [] if set_values is FACTORY else set_values
        self.release_name = release_name
        self.namespace = namespace
        self.stdin_data = stdin_data
        self.files = [] if files is FACTORY else files
        self.deployed_by = deployed_by
        self.title = title
        self.set_shown = set_shown

    def label(self) -> str:
        if self.title:
            return self.title
        label = self.display
        if self.kind == "helm" and self.values:
            label += f" [{','.join(p.name for p in self.values)}]"
        if self.kind == "helm" and self.set_shown:
            label += f" [--set {self.set_shown}]"
        return label


@record
class Violation:
    """What a check yields: a message and where in the object (or which file) it is."""

    message: str
    path: Path = ()
    location: Location | None = None  # set when the check knows the exact source position
    obj: K8sObject | None = None  # for render/repo-scope checks that name an object
    key: str = ""  # extra identity for fingerprints (e.g. the container name)
    severity: str | None = None  # lowers (never raises) the rule's severity for this one finding
    part: str = ""  # which part of a composed value it is about ("tag", "repository"), to trace the right values key

    def __init__(
            self, message: str, path: Path = (), location: Location | None = None, obj: K8sObject | None = None,
            key: str = "", severity: str | None = None, part: str = ""
    ) -> None:
        self.message = message
        self.path = path
        self.location = location
        self.obj = obj
        self.key = key
        self.severity = severity
        self.part = part


def pseudo_file(file: str) -> bool:
    """Locations that are not files of the repository: stdin, a rendered stream."""
    return file.startswith("<") or file.endswith("(rendered)")


MAX_MESSAGE = 1000  # characters of one finding's message; the middle of a longer one is cut
MAX_NAME = 253  # characters of an object's kind, namespace or name shown (Kubernetes' own limit)


def shorten(text: str, limit: int = MAX_MESSAGE) -> str:
    """``text`` within ``limit`` characters: a longer one keeps its head and its tail (the advice) and
    says how much was cut (a 200 KB image string must not become 200 KB per format)."""
    if len(text) <= limit:
        return text
    tail = limit // 4
    head = limit - tail - 40
    return f"{text[:head]}... ({len(text) - head - tail:,} characters not shown) ...{text[-tail:]}"


def some(items, limit: int = 5, quote: bool = False) -> str:
    """A few of ``items`` and how many more: 'a, b, c, d, e and 1995 more' (messages stay short)."""
    items = list(items)
    shown = [shorten(str(i), 100) for i in items[:limit]]
    if quote:
        shown = [repr(i) for i in shown]
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(shown) + more


@record
class Finding:
    """One problem to fix. A finding at a source line that several targets render (a base, a
    shared chart template) stands for all of them: ``occurrences`` holds the per-target findings it
    merges (the one whose message, object and severity it shows first), and ``target``/``env`` are
    that first one's. ``fingerprint`` does not depend on the target for such a finding;
    ``target_fingerprint`` is the per-target one earlier versions wrote to baselines."""

    rule: str
    severity: str
    message: str
    location: Location
    target: str
    env: str
    object: dict | None = None
    rendered: Location | None = None  # where in the rendered stream, when it differs
    fingerprint: str = ""
    extra: dict = field(default_factory=dict)
    related: list = field(default_factory=list)  # other Locations on the way (the template line that reads a value)
    target_fingerprint: str = ""  # per target (k8slint-baseline/v1); empty: the same as fingerprint
    occurrences: list = field(default_factory=list)  # the per-target findings merged into this one (first: this one's)
    state: str = ""  # compared with --diff-base: "new" or "unchanged" (SARIF baselineState)

    def __init__(
            self, rule: str, severity: str, message: str, location: Location, target: str, env: str,
            object: dict | None = None, rendered: Location | None = None, fingerprint: str = "",
            extra: dict = FACTORY, related: list = FACTORY, target_fingerprint: str = "", occurrences: list = FACTORY,
            state: str = ""
    ) -> None:
        self.rule = rule
        self.severity = severity
        self.message = message
        self.location = location
        self.target = target
        self.env = env
        self.object = object
        self.rendered = rendered
        self.fingerprint = fingerprint
        self.extra = {} if extra is FACTORY else extra
        self.related = [] if related is FACTORY else related
        self.target_fingerprint = target_fingerprint
        self.occurrences = [] if occurrences is FACTORY else occurrences
        self.state = state
        self.__post_init__()

    @property
    def targets(self) -> list[tuple[str, str]]:
        """(target, env) of every target this finding is in, the shown one first."""
        if self.occurrences:
            return [(o.target, o.env) for o in self.occurrences]
        return [(self.target, self.env)]

    def __post_init__(self) -> None:
        self.message = shorten(str(self.message))
        if self.object:  # a copy of its own, names cut to MAX_NAME (rarely needed: checked first)
            obj = self.object
            for value in obj.values():
                if isinstance(value, str) and len(value) > MAX_NAME:
                    self.object = {k: shorten(v, MAX_NAME) if isinstance(v, str) else v for k, v in obj.items()}
                    break
            else:
                self.object = dict(obj)

    def sort_key(self) -> tuple:
        obj = self.object or {}
        return (
            tuple(sorted(t for t, _ in self.targets)) if self.occurrences else (self.target,),
            self.location.file,
            self.location.line,
            self.rule,
            obj.get("kind") or "",
            obj.get("namespace") or "",
            obj.get("name") or "",
            self.message,
        )

    def to_dict(self) -> dict:
        out = {
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "object": self.object,
            "location": {"file": self.location.file, "line": self.location.line},
            "env": self.env,
            "target": self.target,
            "targets": ([{"target": o.target, "env": o.env} for o in self.occurrences] if self.occurrences
                        else [{"target": self.target, "env": self.env}]),  # self.targets, without its tuples
            "fingerprint": self.fingerprint,
        }
        if self.rendered is not None:
            out["rendered"] = {"file": self.rendered.file, "line": self.rendered.line}
        if self.related:
            out["related"] = [{"file": r.file, "line": r.line} for r in self.related]
        if self.state:
            out["baselineState"] = self.state
        return out


def fill_message(template: str, values: dict) -> str:
    """Put values into a rule's message: only plain ``{name}`` fields, never str.format (a message
    from a linted repo must not reach attributes or ask for a billion-character padding)."""
    import re

    return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), m.group(0))), template)
