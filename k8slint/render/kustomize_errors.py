"""A failed kustomize build in k8slint's own words, at the line that causes it.

kustomize's error text is never shown: it nests every level of the build, holds temporary
paths and may hold values (a ``secretGenerator`` literal with a typo, an env file line with a
bad byte, the value a replacement carried). Instead, :func:`explain` reads only the *kind* of
error from it (a missing file, an unknown field, a duplicated object...) and then finds the
cause itself in the kustomizations of the build, through the run's kustomization graph: the
``resources:`` entry naming the missing file (in the base that names it, not in the overlay),
the unknown field with a did-you-mean, the generator entry, the env file line. Names taken
from kustomize's text (a field, an object's kind and name) are used only when they are found
in the repository too. What cannot be placed this way becomes one generic sentence naming the
kind of error and the command that shows kustomize's own message.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from pathlib import Path
from typing import Any, Callable

from ..model import Location
from . import Problem
from .kustomization import GENERATORS, INCLUDES, kustomization_file

# Fields of a Kustomization (kustomize api/types/kustomization.go, v5) - for did-you-mean.
FIELDS = ("apiVersion", "kind", "metadata", "openapi", "namePrefix", "nameSuffix", "namespace", "commonLabels",
          "labels", "commonAnnotations", "patchesStrategicMerge", "patchesJson6902", "patches", "images",
          "replacements", "replicas", "vars", "resources", "components", "crds", "bases", "configMapGenerator",
          "secretGenerator", "helmGlobals", "helmCharts", "helmChartInflationGenerator", "generatorOptions",
          "configurations", "generators", "transformers", "validators", "inventory", "buildMetadata", "sortOptions")
_TARGET = ("group", "version", "kind", "name", "namespace", "labelSelector", "annotationSelector")
_GENERATOR = ("name", "namespace", "behavior", "files", "literals", "envs", "env", "options", "type")
NESTED = {
    "images": ("name", "newName", "newTag", "digest", "tagSuffix"),
    "replicas": ("name", "count"),
    "patches": ("path", "patch", "target", "options"),
    "patchesJson6902": ("path", "patch", "target", "options"),
    "target": _TARGET,
    "configMapGenerator": _GENERATOR,
    "secretGenerator": _GENERATOR,
    "options": ("labels", "annotations", "disableNameSuffixHash", "immutable", "allowNameChange", "allowKindChange"),
    "generatorOptions": ("labels", "annotations", "disableNameSuffixHash", "immutable"),
    "labels": ("pairs", "includeSelectors", "includeTemplates", "fields"),
    "replacements": ("path", "source", "targets"),
    "source": ("group", "version", "kind", "name", "namespace", "fieldPath", "options"),
    "targets": ("select", "reject", "fieldPaths", "options"),
    "openapi": ("path", "version"),
    "sortOptions": ("order", "legacySortOptions"),
}

_MAX = 300  # longest message
_ID = re.compile(r"(?P<kind>[A-Za-z][\w-]*)\.[\w.\[\]-]*/(?P<rest>[^\s'\";/]+)")


def _object_id(text: str) -> tuple[str, str] | None:
    """(kind, name) of the first kustomize resource id in ``text`` (``Kind.version.group/name.ns``,
    ``.[noNs]`` without a namespace; a name may hold dots, a namespace cannot)."""
    found = _ID.search(text)
    if not found:
        return None
    rest = found.group("rest").rstrip(".:,")
    name = rest[: -len(".[noNs]")] if rest.endswith(".[noNs]") else rest.rsplit(".", 1)[0] if "." in rest else rest
    return (found.group("kind"), name) if name else None


def normalize(stderr: str) -> str:
    """kustomize's or kubectl's error text without the log framing (``error:``, klog's ``err="..."``,
    ``err=<`` blocks), for matching only: it is never shown."""
    text = stderr
    quoted = re.search(r'\berr="((?:[^"\\]|\\.)*)"', text)
    if quoted:
        try:
            text = json.loads(f'"{quoted.group(1)}"')
        except ValueError:
            text = quoted.group(1)
    else:
        block = re.search(r"\berr=<\n(.*?)\n\s*>", text, re.S)
        if block:
            text = block.group(1)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("# Warning:")]
    return re.sub(r"^(?:error|Error):\s*", "", " ".join(lines))


def _cap(message: str) -> str:
    return message if len(message) <= _MAX else message[: _MAX - 3].rstrip() + "..."


def _show(text: str, limit: int = 80) -> str:
    text = text.replace("\n", " ")
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def _line(container: Any, key: Any) -> int:
    if hasattr(container, "key_line") and isinstance(key, str):
        return container.key_line(key)
    if hasattr(container, "item_line") and isinstance(key, int):
        return container.item_line(key)
    return getattr(container, "line", 1)


class _Build:
    """The kustomizations one overlay's build reads, for the diagnosers."""

    def __init__(self, directory: Path, display: str, krel: str, settings) -> None:
        self.directory = directory
        self.display = display
        self.krel = krel
        self.settings = settings
        self.root: Path = settings.repo_root
        self.nodes = [n for n in settings.kustomizations.tree(directory) if n.data is not None]

    def rel(self, path: Path) -> str:
        from ..sources import relative

        return relative(path, self.root)


# -- the kinds of error ------------------------------------------------------------------------
# (kind, pattern on kustomize's text, what k8slint says when it cannot place it)
_KINDS: tuple[tuple[str, re.Pattern, str], ...] = (
    ("unknown-field", re.compile(r'unknown field "'), "a kustomization has a field kustomize does not know"),
    ("type", re.compile(r"cannot unmarshal \w+ into Go (?:struct field|value)"), "a kustomization field has the wrong type"),
    ("version", re.compile(r"apiVersion for \w+ should be|kind should be Kustomization"),
     "a kustomization has the wrong apiVersion or kind"),
    ("cycle", re.compile(r"cycle detected"), "kustomizations include each other in a cycle"),
    ("restricted", re.compile(r"is not in or below"), "a kustomization reads a file outside its folder"),
    ("plugin", re.compile(r"external plugins disabled|unable to load external plugin"),
     "a generator, transformer or validator is an external plugin"),
    ("literal", re.compile(r"invalid literal source"), "a generator literal is not in KEY=VALUE form"),
    ("env-file", re.compile(r"env source files|has invalid utf8|env file|invalid key name|is not a valid key name"),
     "a generator's env file cannot be read"),
    ("yaml", re.compile(r"MalformedYAMLError|yaml: line \d+|yaml: (?:did not|found|mapping|could not|control)"),
     "a file it reads is not valid YAML"),
    ("duplicate", re.compile(r"already registered id|found multiple possible referrals|behavior must be merge or replace"),
     "two resources have the same kind and name"),
    ("patch-target", re.compile(r"no matches for Id|failed to find unique target for patch|no resource matches strategic merge patch|"
                                r"unable to parse SM or JSON patch"), "a patch matches no resource"),
    ("replacement", re.compile(r"replacement|fieldPath|options\.index|out of bounds for value"), "a replacement cannot be applied"),
    ("labels", re.compile(r"exists in both commonLabels and labels"), "a label is set by both commonLabels and labels"),
    ("missing", re.compile(r"no such file or directory|evalsymlink failure|must build at directory|not a valid directory|"
                           r"unable to find one of|failed to get the patch file|missing Resource metadata|does not exist"),
     "a file or folder it names does not exist"),
    ("generator", re.compile(r"loading KV pairs|[Cc]onfigMapGenerator|[Ss]ecretGenerator"), "a ConfigMap or Secret generator failed"),
    ("patch", re.compile(r"[Pp]atch(?:Transformer|StrategicMerge|Json6902|es)|\bpatch\b"), "a patch cannot be applied"),
    ("resources", re.compile(r"accumulating resources|accumulating components"), "its resources cannot be read"),
    ("kustomization", re.compile(r"invalid Kustomization|kustomization file"), "a kustomization is invalid"),
)


def classify(text: str) -> list[tuple[str, str]]:
    """The (kind, description) pairs whose pattern a normalized kustomize error text matches, most
    specific first; ``[("unknown", ...)]`` when none does."""
    found = [(kind, description) for kind, pattern, description in _KINDS if pattern.search(text)]
    return found or [("unknown", "an error k8slint does not recognise")]


def explain(stderr: str, directory: Path, display: str, krel: str, settings) -> list[Problem]:
    """``render-error`` problems for a failed build of the kustomization in ``directory``."""
    text = normalize(stderr)
    kinds = classify(text)
    description = kinds[0][1]
    build = _Build(directory, display, krel, settings)
    problems: list[Problem] = []
    for kind, _ in kinds:  # the first kind whose cause is found in the repository
        diagnose = _DIAGNOSERS.get(kind)
        if diagnose is None:
            continue
        try:
            problems = diagnose(text, build)
        except (OSError, ValueError, RecursionError, TypeError, KeyError, IndexError, AttributeError):
            # a diagnosis is best effort over repository data of any shape: the generic sentence remains
            problems = []
        if problems:
            break
    if not problems:
        command = f"kubectl kustomize {display}" if display not in ("", ".") else "kubectl kustomize ."
        problems = [Problem("render-error", f"kustomize could not build {display}: {description}; run `{command}` "
                            "locally to see its message", Location(krel, 1))]
    seen: set[tuple] = set()
    out = []
    for problem in problems:
        problem.message = _cap(problem.message)
        key = (problem.location, problem.message)
        if key not in seen:
            seen.add(key)
            out.append(problem)
    return out


# -- diagnosers: each finds the cause of one kind of error in the build's kustomizations ---------------
def _missing(text: str, build: _Build) -> list[Problem]:
    problems = []
    for node in build.nodes:
        for entry, line, key in node.refs:
            path = Path(os.path.normpath(node.directory / entry))
            if not path.exists():
                what = "folder or file" if key in INCLUDES else "file"
                problems.append(Problem("render-error", f"{node.rel}: {key} entry {_show(entry)} names a {what} that does "
                                        "not exist, so kustomize cannot build this kustomization (nor what includes it)",
                                        Location(node.rel, line)))
            elif key in INCLUDES and path.is_dir() and kustomization_file(path) is None:
                problems.append(Problem("render-error", f"{node.rel}: {key} entry {_show(entry)} is a folder without a "
                                        "kustomization.yaml, which kustomize cannot build; list its files instead",
                                        Location(node.rel, line)))
    return problems


def _restricted(text: str, build: _Build) -> list[Problem]:
    problems = []
    for node in build.nodes:
        home = Path(os.path.realpath(node.directory))
        for entry, line, key in node.refs:
            path = Path(os.path.realpath(node.directory / entry))
            if path.is_file() and home not in path.parents:
                problems.append(Problem("render-error", f"{node.rel}: {key} entry {_show(entry)} is a file outside the "
                                        "kustomization's folder, which kustomize refuses to read; list the kustomization "
                                        "that holds it (its folder) instead", Location(node.rel, line)))
    return problems


def _walk(data: Any, parents: tuple = ()):
    """(container, key, value, parent keys) for every entry of a kustomization, top level first."""
    queue = [(data, parents)]
    while queue:
        container, trail = queue.pop(0)
        items = container.items() if isinstance(container, dict) else enumerate(container) if isinstance(container, list) else ()
        for key, value in items:
            yield container, key, value, trail
            if isinstance(value, (dict, list)):
                queue.append((value, trail + ((key,) if isinstance(key, str) else ())))


def _unknown_field(text: str, build: _Build) -> list[Problem]:
    names = set(re.findall(r'unknown field "([A-Za-z_][\w.-]{0,80})"', text))
    problems = []
    for node in build.nodes:
        for container, key, _, trail in _walk(node.data):
            if not isinstance(key, str) or key not in names or not isinstance(container, dict):
                continue
            known = FIELDS if not trail else NESTED.get(trail[-1])
            if known is not None and key in known:
                continue
            close = difflib.get_close_matches(key, known or (), n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            where = f"in {'.'.join(trail)}" if trail else "at the top level"
            problems.append(Problem("render-error", f"{node.rel}: unknown field {key!r} {where}{hint}; kustomize refuses "
                                    "the whole kustomization", Location(node.rel, _line(container, key))))
    return problems


_JSON_KINDS = {"array": "a list", "object": "a mapping", "string": "a string", "number": "a number", "bool": "true or false"}


def _go_type(name: str) -> str:
    name = name.lstrip("*")
    if name.startswith("[]"):
        return "a list"
    if name.startswith("map["):
        return "a mapping"
    if name == "string":
        return "a string"
    if name == "bool":
        return "true or false"
    if re.fullmatch(r"u?int\d*|float\d*", name):
        return "a number"
    return "a mapping"


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, (int, float)):
        return "a number"
    return "a list" if isinstance(value, list) else "a mapping" if isinstance(value, dict) else "a string" if isinstance(value, str) else "null"


def _type(text: str, build: _Build) -> list[Problem]:
    found = re.search(r"cannot unmarshal (\w+) into Go (?:struct field ([\w.]+)|value) of type ([\w\[\].*]+)", text)
    if not found:
        return []
    given, field_path, go_type = found.group(1), found.group(2) or "", found.group(3)
    want = _go_type(go_type)
    got = _JSON_KINDS.get(given, "")
    keys = field_path.split(".")[1:] if "." in field_path else [field_path] if field_path else []
    problems = []
    for node in build.nodes:
        for container, key, value, trail in _walk(node.data):
            if not isinstance(key, str) or not keys or key != keys[-1] or _kind_of(value) != got:
                continue
            if len(keys) > 1 and (not trail or trail[-1] not in keys[:-1]):
                continue
            shown = ".".join(keys)
            problems.append(Problem("render-error", f"{node.rel}: {shown} must be {want}, not {got}; kustomize refuses "
                                    "the whole kustomization", Location(node.rel, _line(container, key))))
    return problems


def _version(text: str, build: _Build) -> list[Problem]:
    problems = []
    for node in build.nodes:
        data = node.data
        kind = data.get("kind")
        version = data.get("apiVersion")
        if kind not in (None, "Kustomization", "Component"):
            problems.append(Problem("render-error", f"{node.rel}: kind must be Kustomization or Component",
                                    Location(node.rel, _line(data, "kind"))))
            continue
        required = "kustomize.config.k8s.io/v1alpha1" if kind == "Component" else "kustomize.config.k8s.io/v1beta1"
        if version is not None and version != required:
            problems.append(Problem("render-error", f"{node.rel}: a {kind or 'Kustomization'} needs apiVersion {required}",
                                    Location(node.rel, _line(data, "apiVersion"))))
    return problems


def _cycle(text: str, build: _Build) -> list[Problem]:
    graph = build.settings.kustomizations
    problems = []
    for node in build.nodes:
        home = Path(os.path.realpath(node.directory))
        for position, entry, line in _include_entries(node):
            seen: set[Path] = set()
            stack = [Path(os.path.normpath(node.directory / entry))]
            while stack:
                current = stack.pop()
                real = Path(os.path.realpath(current))
                if real == home:
                    problems.append(Problem("render-error", f"{node.rel}: {_show(entry)} includes this kustomization "
                                            "again (a cycle), which kustomize cannot build", Location(node.rel, line)))
                    stack = []
                    break
                if real in seen:
                    continue
                seen.add(real)
                child = graph.at(current)
                if child is not None:
                    stack.extend(child.includes)
    return problems


def _include_entries(node):
    for key in INCLUDES:
        entries = node.data.get(key)
        if isinstance(entries, list):
            for position, entry in enumerate(entries):
                if isinstance(entry, str) and "\n" not in entry:
                    yield position, entry, _line(entries, position)


def _generators(node):
    for key in GENERATORS:
        entries = node.data.get(key)
        if isinstance(entries, list):
            for entry in entries:
                if isinstance(entry, dict):
                    yield key, entry


def _plugin(text: str, build: _Build) -> list[Problem]:
    """The generators/transformers/validators entry whose config is not a kustomize builtin."""
    sources = build.settings.sources
    problems = []
    for node in build.nodes:
        for key in ("generators", "transformers", "validators"):
            entries = node.data.get(key)
            if not isinstance(entries, list):
                continue
            for position, entry in enumerate(entries):
                if not isinstance(entry, str):
                    continue
                inline = "\n" in entry
                config = entry if inline else sources.text(build.rel(node.directory / entry))
                versions = re.findall(r"^\s*apiVersion:\s*['\"]?([^'\"\s]+)", config, re.M)
                if any(v != "builtin" and not v.startswith("kustomize.config.k8s.io") for v in versions):
                    shown = "(an inline config)" if inline else _show(entry)
                    problems.append(Problem("render-error", f"{node.rel}: {key} entry {shown} is an external plugin, which "
                                            "kustomize loads only with plugins enabled; k8slint never enables them",
                                            Location(node.rel, _line(entries, position))))
    return problems


def _literal(text: str, build: _Build) -> list[Problem]:
    problems = []
    for node in build.nodes:
        for key, entry in _generators(node):
            literals = entry.get("literals")
            if not isinstance(literals, list):
                continue
            for position, literal in enumerate(literals):
                if not isinstance(literal, str) or "=" not in literal or literal.startswith("="):
                    problems.append(Problem("render-error", f"{node.rel}: {key} literal #{position + 1} is not in KEY=VALUE "
                                            "form (its text is not shown: it may hold a secret)",
                                            Location(node.rel, _line(literals, position))))
    return problems


_ENV_KEY = re.compile(rb"^[-._a-zA-Z][-._a-zA-Z0-9]*$")


def _env_file(text: str, build: _Build) -> list[Problem]:
    problems = []
    sources = build.settings.sources
    for node in build.nodes:
        for key, entry in _generators(node):
            files = [entry["env"]] if isinstance(entry.get("env"), str) else []
            files += [f for f in entry.get("envs") or () if isinstance(f, str)] if isinstance(entry.get("envs"), list) else []
            for name in files:
                path = Path(os.path.normpath(node.directory / name))
                rel = build.rel(path)
                raw, _ = sources.read_bytes(rel)
                if raw is None:
                    continue
                for number, line in enumerate(raw.removeprefix(b"\xef\xbb\xbf").split(b"\n"), start=1):
                    line = line.rstrip(b"\r")
                    if not line.strip() or line.lstrip().startswith(b"#"):
                        continue
                    try:
                        line.decode("utf-8")
                    except UnicodeDecodeError:
                        problems.append(Problem("render-error", f"{rel}: line {number} of this env file is not valid UTF-8 "
                                                f"(read by {key} in {node.rel}; its text is not shown)", Location(rel, number)))
                        break
                    if not _ENV_KEY.match(line.split(b"=", 1)[0].strip()):
                        problems.append(Problem("render-error", f"{rel}: line {number} of this env file does not start with "
                                                f"a valid variable name (read by {key} in {node.rel}; its text is not shown)",
                                                Location(rel, number)))
                        break
    return problems


def _files_read(build: _Build):
    """(repo-relative path, kustomization rel, entry line) of every file the build's kustomizations read as YAML."""
    yaml_keys = ("resources", "bases", "components", "patchesStrategicMerge", "patches", "patchesJson6902", "crds",
                 "configurations", "generators", "transformers", "validators", "replacements", "openapi")
    for node in build.nodes:
        for entry, line, key in node.refs:
            path = Path(os.path.normpath(node.directory / entry))
            if key in yaml_keys and path.is_file():
                yield build.rel(path), node.rel, line


def _yaml(text: str, build: _Build) -> list[Problem]:
    sources = build.settings.sources
    problems = []
    for rel, kfile, _ in _files_read(build):
        errors = sources.errors(rel)
        if errors:
            problems.append(Problem("render-error", f"{rel}: not valid YAML ({errors[0].message}); kustomize cannot read "
                                    f"it (named in {kfile})", Location(rel, errors[0].line)))
        elif not sources.docs(rel):
            raw, why = sources.read(rel)
            if raw is None and why:
                problems.append(Problem("render-error", f"{rel}: {why} (named in {kfile})", Location(rel, 1)))
    return problems


def _objects(build: _Build, kind: str, name: str):
    """(file rel, kustomization rel, entry line) of the build's resource files holding ``kind``/``name``."""
    sources = build.settings.sources
    for rel, kfile, line in _files_read(build):
        for doc in sources.docs(rel):
            data = doc.data
            meta = data.get("metadata") if isinstance(data, dict) else None
            if isinstance(meta, dict) and data.get("kind") == kind and meta.get("name") == name:
                yield rel, kfile, line
                break


def _duplicate(text: str, build: _Build) -> list[Problem]:
    found = _object_id(text.split("already registered id", 1)[-1])
    if not found:
        return []
    kind, name = found
    places = list(_objects(build, kind, name))
    if not places:
        return []
    rel, kfile, line = places[-1]
    files = list(dict.fromkeys(p[0] for p in places))
    if len(files) == 1:
        said = f"{kind} {name} from {rel} enters the build more than once (listed twice, or through two bases)"
    else:
        said = f"{kind} {name} is defined in {', '.join(files[:3])}"
    return [Problem("render-error", f"{kfile}: {said}; kustomize refuses two objects with the same kind and name",
                    Location(kfile, line))]


def _names(text: str) -> set[tuple[str, str]]:
    """(kind, name) of every document of a patch's text."""
    from ..load import load_text

    out = set()
    for doc in load_text(text)[0] if text else []:
        data = doc.data
        meta = data.get("metadata") if isinstance(data, dict) else None
        if isinstance(meta, dict) and isinstance(data.get("kind"), str) and isinstance(meta.get("name"), str):
            out.add((data["kind"], meta["name"]))
    return out


def _patch_target(text: str, build: _Build) -> list[Problem]:
    wanted = _object_id(text)
    if not wanted:
        return []
    sources = build.settings.sources
    problems = []
    for node in build.nodes:
        for key in ("patches", "patchesStrategicMerge", "patchesJson6902"):
            entries = node.data.get(key)
            if not isinstance(entries, list):
                continue
            for position, entry in enumerate(entries):
                names: set[tuple[str, str]] = set()
                if isinstance(entry, str):
                    names = _names(entry if "\n" in entry else sources.text(build.rel(node.directory / entry)))
                elif isinstance(entry, dict):
                    target = entry.get("target")
                    if isinstance(target, dict) and isinstance(target.get("name"), str):
                        names = {(str(target.get("kind", wanted[0])), target["name"])}
                    elif isinstance(entry.get("patch"), str):
                        names = _names(entry["patch"])
                    elif isinstance(entry.get("path"), str):
                        names = _names(sources.text(build.rel(node.directory / entry["path"])))
                if wanted in names:
                    problems.append(Problem("render-error", f"{node.rel}: this patch targets {wanted[0]} {wanted[1]}, which no "
                                            "resource of the build matches (check its name and namespace; a name prefix or "
                                            "suffix applied first?)", Location(node.rel, _line(entries, position))))
    return problems


def _replacement(text: str, build: _Build) -> list[Problem]:
    paths = set(re.findall(r'find field "([\w.\[\]=/:-]{1,200})"', text))
    problems = []
    if "out of bounds for value" in text or "options.index" in text:
        for node in build.nodes:
            replacements = node.data.get("replacements")
            for container, key, value, trail in _walk(replacements if isinstance(replacements, list) else []):
                if key == "index" and trail and trail[-1] == "options" and isinstance(value, int):
                    problems.append(Problem("render-error", f"{node.rel}: replacement options.index {value} is beyond the "
                                            "parts its delimiter splits the source value into (the value is not shown)",
                                            Location(node.rel, _line(container, key))))
        return problems
    for node in build.nodes:
        replacements = node.data.get("replacements")
        if not isinstance(replacements, list):
            continue
        for container, key, value, _ in _walk(replacements):
            if isinstance(value, str) and value in paths:
                problems.append(Problem("render-error", f"{node.rel}: replacement field path {value!r} does not exist in "
                                        "the object it selects (a list index or a key that is not there)",
                                        Location(node.rel, _line(container, key))))
    if not problems:
        for node in build.nodes:
            if isinstance(node.data.get("replacements"), list):
                problems.append(Problem("render-error", f"{node.rel}: one of these replacements cannot be applied (a "
                                        "source or target field that is not there)", Location(node.rel, _line(node.data, "replacements"))))
    return problems if len(problems) <= 5 else []


def _labels(text: str, build: _Build) -> list[Problem]:
    found = re.search(r"label name '([\w./-]{1,120})' exists in both", text)
    if not found:
        return []
    problems = []
    for node in build.nodes:
        common = node.data.get("commonLabels")
        if isinstance(common, dict) and found.group(1) in common:
            problems.append(Problem("render-error", f"{node.rel}: label {found.group(1)!r} is set by both commonLabels and "
                                    "labels; keep one", Location(node.rel, _line(common, found.group(1)))))
    return problems


_DIAGNOSERS: dict[str, Callable[[str, _Build], list[Problem]]] = {
    "missing": _missing,
    "restricted": _restricted,
    "unknown-field": _unknown_field,
    "type": _type,
    "version": _version,
    "cycle": _cycle,
    "plugin": _plugin,
    "literal": _literal,
    "env-file": _env_file,
    "yaml": _yaml,
    "duplicate": _duplicate,
    "patch-target": _patch_target,
    "replacement": _replacement,
    "labels": _labels,
}
