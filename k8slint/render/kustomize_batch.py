"""Several kustomize targets built by one kustomize run, each one's output cut out exactly as its
own build writes it. A build's fixed cost (kubectl's start-up and kustomize's set-up, ~0.15 s of
CPU) is then paid once per group, not once per overlay: a base file edited under 50 overlays is
built in two runs, not fifty.

How a group is built: each target gets a wrapper folder, one level under the temporary folder as
a lone build's wrapper is (so every relative path kustomize writes reads the same), that names the
target and adds one annotation to every object's metadata, with a key made for this run and the
target's number as its value. A root kustomization beside them names the wrappers and asks for
the provenance annotations (``buildMetadata``) when a lone build's wrapper would: a group holds
only targets whose provenance k8slint works out (:mod:`k8slint.render.kustomize_origin`), or only
others. The output is cut by that annotation into each target's documents; its line (and its
``annotations:`` line when it was the only one, or the entry kustomize adds for it to the
transformations annotation) is removed, so each target's text is its own build's output byte for
byte (``tests/test_kustomize_batch.py`` compares them on the corpus kustomizations, both ways).

A group can only cost time, never change an answer: when the build fails (two targets making one
object, a limit, an error in one of them) or its output is not what is expected (a document
without exactly one mark, an entry not where it belongs, a target's part over the size limit),
the group's targets are built one by one, as without this module, and each one's own build
reports its own errors. kustomize fixes name references across a whole build, so one target's
reference to an object it does not make could follow another target's renamed object of that
name: a group whose output shows such a name where a reference sits is not used either
(:func:`_crossed`).

Not grouped, because kustomize applies these across everything one build holds, not per target:
a target whose kustomization tree declares ``vars`` (resolved across all objects),
``configurations`` or ``crds`` (merged into the name-reference rules of the whole build), or
``openapi`` (one schema for the whole process); nor a target the preflight refuses (its own
render refuses it, with its reason); nor an Argo CD or Flux object's overlay built with options
(they wrap the target's build; one deploying an overlay as it is is grouped like the overlay).
Two targets that would make the same objects are never put in one group (:func:`groups`).
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from pathlib import Path

from ..sources import relative, within
from .gitops.overlap import CLUSTER_SCOPED
from . import kustomize_origin
from .process import Ran, budget, run_bounded, scratch

MAX_GROUP = 32  # targets in one build: its output and memory grow with it, and a failed group is rebuilt one by one
_GLOBAL_FIELDS = ("vars", "configurations", "crds", "openapi")  # see the module docstring
_UNPREFIXED = frozenset({"CustomResourceDefinition", "APIService"})  # kinds kustomize gives no prefix or suffix
_ANSWERS = "kustomize-batched"  # settings.cache: {target folder's real path: Ran}
_LOCK = threading.Lock()


def groupable(target, settings) -> bool:
    """Whether ``target`` can be built in a group: a kustomization of the repository, with nothing
    in its tree that kustomize applies across a whole build."""
    if target.kind != "kustomize" or target.deployed_by or not target.path.is_dir():
        return False
    tree = settings.kustomizations.tree(target.path)
    if not tree or tree[0].data is None:
        return False
    return not any(node.data is None or any(key in node.data for key in _GLOBAL_FIELDS) for node in tree)


def groups(targets: list, settings, jobs: int) -> list[list]:
    """``targets`` (kustomize targets none of whose answers is cached) in groups built together:
    as many groups as render threads (twice, thrice... when one would pass :data:`MAX_GROUP`),
    targets dealt round-robin. Two targets that would make the same object (:func:`_makes`: by
    what their resource files declare and their generators make, with their own namespace,
    prefix and suffix: staging and production in one namespace of two clusters, two copies of
    one app) are never put together: such a group's build could only fail. A target that cannot
    be grouped, or finds no one to share a build with, is built alone."""
    makes = {id(t): _makes(t, settings) if groupable(t, settings) else None for t in targets}
    alone = [[t] for t in targets if makes[id(t)] is None]
    grouped = [t for t in targets if makes[id(t)] is not None]
    # a group is built with kustomize's provenance annotations or without (k8slint.render.kustomize_origin)
    modelled = [t for t in grouped if not _annotated(t, settings)]
    annotated = [t for t in grouped if _annotated(t, settings)]
    return _deal(modelled, makes, jobs) + _deal(annotated, makes, jobs) + alone


def _annotated(target, settings) -> bool:
    """Whether ``target``'s build asks kustomize for the provenance annotations (as its render does)."""
    return kustomize_origin.model(target.path, settings) is None


def _deal(grouped: list, makes: dict, jobs: int) -> list[list]:
    """``grouped`` dealt round-robin into groups (see :func:`groups`)."""
    if len(grouped) < 2:
        return [[t] for t in grouped]
    count = min(jobs, len(grouped) // 2)
    count *= -(-len(grouped) // (MAX_GROUP * count))  # rounds of ``jobs`` groups, none over MAX_GROUP
    size = -(-len(grouped) // count)
    found: list[list[int]] = [[] for _ in range(count)]
    made = [makes[id(t)] for t in grouped]
    for index in range(len(grouped)):
        for turn in range(len(found)):
            members = found[(index + turn) % len(found)]
            if len(members) < size and not any(made[m] & made[index] for m in members):
                members.append(index)
                break
        else:
            found.append([index])
    return [[grouped[i] for i in members] for members in found if members]


def _makes(target, settings) -> frozenset | None:
    """The objects ``target``'s build may make, as kustomize identifies them (kind, name as its own
    prefix and suffix make it, namespace), from the files and generators of its tree: a superset
    of what can clash with another target, taking nothing from the build itself. None when a
    resource file cannot be read (the target is then built alone)."""
    tree = settings.kustomizations.tree(target.path)
    top = tree[0].data
    namespace, prefix, suffix = (top.get(k) for k in ("namespace", "namePrefix", "nameSuffix"))
    prefix, suffix = (v if isinstance(v, str) else "" for v in (prefix, suffix))
    found = set()

    def add(kind, name, own_namespace) -> None:
        if not isinstance(kind, str) or not isinstance(name, str):
            return
        if kind == "Namespace":  # renamed by a namespace field; never prefixed
            found.add((kind, namespace if isinstance(namespace, str) else name, ""))
        elif kind in _UNPREFIXED:
            found.add((kind, name, ""))
        elif kind in CLUSTER_SCOPED:
            found.add((kind, prefix + name + suffix, ""))
        else:
            space = namespace if isinstance(namespace, str) else own_namespace
            found.add((kind, prefix + name + suffix, space if isinstance(space, str) and space else "default"))

    for node in tree:
        data = node.data
        for key in ("resources", "bases"):
            entries = data.get(key)
            for entry in entries if isinstance(entries, list) else []:
                if not isinstance(entry, str) or "://" in entry:
                    continue
                path = Path(os.path.normpath(node.directory / entry))
                if not within(path, settings.repo_root):
                    return None  # refused by its own render (the preflight), never read here
                if path.is_dir():
                    continue  # a kustomization of the tree: its own node
                rel = relative(path, settings.repo_root)
                if settings.sources.errors(rel) or not path.is_file():
                    return None
                for doc in settings.sources.docs(rel):
                    declared = doc.data
                    listed = isinstance(declared, dict) and isinstance(declared.get("items"), list)
                    for item in declared["items"] if listed else [declared]:
                        if isinstance(item, dict):
                            meta = item.get("metadata")
                            meta = meta if isinstance(meta, dict) else {}
                            add(item.get("kind"), meta.get("name"), meta.get("namespace"))
        for field, kind in (("configMapGenerator", "ConfigMap"), ("secretGenerator", "Secret")):
            entries = data.get(field)
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, dict):
                    add(kind, entry.get("name"), entry.get("namespace"))
    return frozenset(found)


def build(group: list, settings, command: list[str]) -> None:
    """Build ``group`` (targets the preflight passed) in one kustomize run (``command``) and keep
    each target's part for its render (:func:`take`); nothing is kept when anything is unexpected
    (see the module docstring)."""
    if len(group) < 2:
        return
    mark = f"k8slint.invalid/batch-{os.urandom(8).hex()}"
    limit = settings.max_file_size
    metadata = _annotated(group[0], settings)  # the same for every target of a group (groups)
    with scratch("k8slint-") as root_folder:
        root = os.path.realpath(root_folder)
        wrappers = []
        try:
            with _wrapper_folders(len(group)) as folders:
                for number, (target, folder) in enumerate(zip(group, folders)):
                    rel_target = os.path.relpath(os.path.realpath(target.path), folder)
                    Path(folder, "kustomization.yaml").write_text(_wrapper(rel_target, mark, number), encoding="utf-8")
                    wrappers.append(os.path.relpath(folder, root))
                Path(root, "kustomization.yaml").write_text(json.dumps({
                    "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "resources": wrappers,
                    **({"buildMetadata": ["originAnnotations", "transformerAnnotations"]} if metadata else {})}),
                    encoding="utf-8")
                started = time.monotonic()
                ran = run_bounded([*command, root], timeout=budget(settings) / 2, max_output=limit * len(group),
                                  memory=settings.render_memory, network=settings.allow_remote)
                elapsed = time.monotonic() - started
        except OSError:
            return  # the folders could not be made: each target is built alone
    if ran.status != "ok" or ran.returncode != 0:
        return
    try:
        text = ran.stdout.decode("utf-8")
    except UnicodeDecodeError:
        return
    parts = cut(text, mark, wrappers, metadata)
    if parts is None:
        return
    with _LOCK:
        answers = settings.cache.setdefault(_ANSWERS, {})
        for target, part in zip(group, parts):
            data = part.encode("utf-8")
            if len(data) <= limit:
                answers[os.path.realpath(target.path)] = (Ran("ok", 0, data, ""), elapsed / len(group))


def take(settings, directory: Path) -> tuple[Ran, float] | None:
    """The answer a group's build left for the target in ``directory`` (and the share of the
    build's time it stands for), once; None when there is none."""
    answers = settings.cache.get(_ANSWERS)
    if not answers:
        return None
    with _LOCK:
        return answers.pop(os.path.realpath(directory), None)


class _wrapper_folders:
    """``count`` temporary folders, each one level under the temporary folder (real paths)."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.managers: list = []

    def __enter__(self) -> list[str]:
        folders = []
        try:
            for _ in range(self.count):
                manager = scratch("k8slint-")
                folders.append(os.path.realpath(manager.__enter__()))
                self.managers.append(manager)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return folders

    def __exit__(self, *exc) -> None:
        for manager in reversed(self.managers):
            manager.__exit__(None, None, None)
        self.managers.clear()


def _wrapper(rel_target: str, mark: str, number: int) -> str:
    """One target's wrapper: the target, and the mark on every object's metadata (nowhere else)."""
    return json.dumps({
        "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "resources": [rel_target],
        "transformers": [json.dumps({
            "apiVersion": "builtin", "kind": "AnnotationsTransformer", "metadata": {"name": mark.split("/")[1]},
            "annotations": {mark: f"t{number}"}, "fieldSpecs": [{"path": "metadata/annotations", "create": True}]})],
    })


_TRANSFORMATIONS = "    alpha.config.kubernetes.io/transformations: |"


def cut(text: str, mark: str, wrappers: list[str], metadata: bool = True) -> list[str] | None:
    """The output of a group's build cut into each target's own output (``wrappers``: each
    target's wrapper folder, relative to the root), or None when any document is not as a group's
    build writes it. ``metadata``: the build asked for the provenance annotations (else the mark
    may be an object's only annotation, and its ``annotations:`` line goes with it)."""
    prefix = f"    {mark}: t"
    name = mark.split("/")[1]
    entries = [["      - configuredIn: " + f"{wrapper}/kustomization.yaml",
                "        configuredBy:",
                "          apiVersion: builtin",
                "          kind: AnnotationsTransformer",
                f"          name: {name}"] for wrapper in wrappers]
    parts: list[list[str]] = [[] for _ in wrappers]
    names: list[set[str]] = [set() for _ in wrappers]
    if not text:
        return ["" for _ in wrappers]
    if not text.endswith("\n"):
        return None
    for document in _documents(text):
        lines = document.split("\n")
        marked = [i for i, line in enumerate(lines) if line.startswith(prefix)]
        if len(marked) != 1:
            return None
        number_text = lines[marked[0]][len(prefix):]
        if not number_text.isdigit() or int(number_text) >= len(wrappers) or str(int(number_text)) != number_text:
            return None
        number = int(number_text)
        del lines[marked[0]]
        kept = _without_entry(lines, entries[number]) if metadata else _unannotated(lines, marked[0])
        if not kept:
            return None
        own = "\n".join(lines)
        if name in own:  # the mark anywhere else: not a document as this module wrote it
            return None
        parts[number].append(own)
        if "kind: Namespace" not in lines:  # kustomize fixes no reference to a Namespace by name (nor prefixes one)
            names[number].add(_name(lines))
    if _crossed(parts, names):
        return None
    return ["---\n".join(docs) for docs in parts]


def _unannotated(lines: list[str], at: int) -> bool:
    """A document of a build without provenance annotations, its mark's line (at ``at``) taken
    out: its ``annotations:`` line taken out too when the mark was its only annotation. False
    when it holds a transformations annotation after all."""
    if _TRANSFORMATIONS in lines:
        return False
    if lines[at - 1] == "  annotations:" and not (at < len(lines) and lines[at].startswith("    ")):
        del lines[at - 1]
    return True


def _without_entry(lines: list[str], entry: list[str]) -> bool:
    """A document of a build with provenance annotations: the mark's ``entry`` taken out of its
    transformations annotation (the annotation too when it was the only entry). False when that
    annotation or entry is not there exactly once."""
    headers = [i for i, line in enumerate(lines) if line == _TRANSFORMATIONS]
    if len(headers) != 1:
        return False
    start = headers[0] + 1
    end = start
    while end < len(lines) and lines[end].startswith("      "):
        end += 1
    block = lines[start:end]
    found = [i for i in range(len(block) - 4) if block[i:i + 5] == entry]
    if len(found) != 1:
        return False
    del block[found[0]:found[0] + 5]
    lines[headers[0]:end] = ([lines[headers[0]]] + block) if block else []
    return True


def _name(lines: list[str]) -> str:
    """An object's ``metadata.name`` as kustomize writes it (its quotes taken off), or ''."""
    inside = False
    for line in lines:
        if line == "metadata:":
            inside = True
        elif inside and line.startswith("  name: "):
            return _unquoted(line[8:])
        elif inside and line and not line.startswith(" "):
            return ""
    return ""


def _unquoted(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _crossed(parts: list[list[str]], names: list[set[str]]) -> bool:
    """Whether a target's output holds, where kustomize writes a reference, the name of another
    target's object that none of its own objects has. kustomize fixes name references across
    everything one build holds: a reference to an object a target does not make (one its cluster
    already has) would follow another target's object of that name when that one is renamed
    (prefix, suffix, generated hash); such a group is built one by one. (A value merely equal to
    such a name makes the group rebuilt too: time, never an answer.) Namespaces are left out:
    kustomize's name references never name one, and a namespace is named by every object in it."""
    everyone: dict[str, set[int]] = {}
    for number, own in enumerate(names):
        for name in own:
            if name:
                everyone.setdefault(name, set()).add(number)
    for number, docs in enumerate(parts):
        foreign = {name for name, owners in everyone.items() if number not in owners}
        if foreign and any(value in foreign for doc in docs for line in doc.split("\n") for value in _references(line)):
            return True
    return False


# The keys under which kustomize's name references (its nameReference field specs) sit: a value
# under any other key (a label, an image) is not rewritten. List items and flow collections are
# always looked at.
_REFERENCE_KEYS = frozenset({"name", "secretName", "claimName", "serviceName", "serviceAccountName", "storageClassName",
                             "priorityClassName", "ingressClassName", "volumeName", "configMap", "secretRef",
                             "adminSecretName", "userSecretName", "service"})


def _references(line: str) -> list[str]:
    """The values on one line of kustomize's output that a name reference could have written."""
    text = line.strip()
    while text.startswith("- "):
        text = text[2:].lstrip()
    if "{" in text or "[" in text:
        return [_unquoted(token.strip()) for token in re.split(r"[\[\]{},]|: ", text) if token.strip()]
    key, sep, value = text.partition(": ")
    if not sep:
        return [_unquoted(text)]
    key = _unquoted(key)
    if key in _REFERENCE_KEYS or key.endswith(("-secret", "-configmap")) or key.endswith("Name"):
        return [_unquoted(value.strip())]
    return []


def _documents(text: str) -> list[str]:
    """kustomize's output as its documents, each with its final newline."""
    out = []
    start = 0
    while True:
        found = text.find("\n---\n", start)
        if found < 0:
            out.append(text[start:])
            return out
        out.append(text[start:found + 1])
        start = found + 5
