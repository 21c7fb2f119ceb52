"""Render a Helm chart offline: the ``helm`` binary if on PATH, else Helm's Go SDK (helm-python-sdk).

Values: the chart's ``values.yaml``, then the environment's ``values-<env>.yaml`` (when the
environment is known), then ``-f`` files in order, then ``--set``. Dependencies are never
downloaded: they must be vendored under ``charts/``, given as ``file://`` paths, or found as
a sibling chart of the same name (how monorepos such as bitnami/charts keep their library
charts). Render failures become ``render-error`` findings that name the template, its line
and, for nil-pointer errors, the values key that is missing.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

from ..envs import ENVIRONMENTS
from ..errors import RendererMissing
from ..load import YMap, decode, load_json, load_text
from ..locate.helm_expr import merge as deep_merge  # Helm's coalescing of values files, one definition
from ..model import HelmSources, K8sObject, Location, Target
from ..sources import relative
from . import Inputs, Problem, Render, Renderer, Unit, helm_errors
from . import process
from .process import ask, budget, limit_message, run_bounded, scratch
from .stream import parse_stream

_SOURCE = re.compile(r"^# Source: (\S.*?)\s*$", re.M)




def _under(display: str, name: str) -> str:
    """A repo-relative path inside the chart folder (no ``./`` when the chart is the repo root)."""
    return name if display in ("", ".") else f"{display}/{name}"


def _read_yaml_file(path: Path, display: str, limit: int | None = None) -> tuple[object, Problem | None]:
    """The first document of a YAML file k8slint reads itself (values files, Chart.yaml), else why
    not; ``limit``: limits.max-file-size (a values file named by -f may lie outside the repository,
    so this is not a read through the run's sources)."""
    try:
        size = path.stat().st_size
        if limit is not None and size > limit:
            return None, Problem("render-error", f"{display} ({size:,} bytes) is over limits.max-file-size ({limit:,} bytes): "
                                 "not read; raise it with --max-file-size or limits.max-file-size", Location(display, 1))
        raw = path.read_bytes()
    except OSError as exc:
        return None, Problem("render-error", f"{display} cannot be read: {exc.strerror}", Location(display, 1))
    text, error = decode(raw)
    if error:
        return None, Problem("render-error", f"{display}: {error.message}", Location(display, error.line))
    docs, errors = load_text(text)
    if errors:
        return None, Problem("render-error", f"{display}: {errors[0].message}", Location(display, errors[0].line))
    return (docs[0].data if docs else None), None


def _read_values_file(path: Path, display: str, settings) -> tuple[object, Problem | None]:
    """:func:`_read_yaml_file` for a values file, with limits.max-file-size; a file of the
    repository is parsed through the run's sources, so the locator, which reads the same file to
    place findings on its lines, does not parse it a second time."""
    limit = settings.max_file_size
    rel = relative(path, settings.repo_root)
    if rel.startswith("../") or os.path.isabs(rel):
        return _read_yaml_file(path, display, limit)
    raw, _ = settings.sources.read_bytes(rel)
    if raw is None or len(raw) > limit or decode(raw)[1] is not None:
        return _read_yaml_file(path, display, limit)  # in the words it has for that
    errors = settings.sources.errors(rel)
    if errors:
        return None, Problem("render-error", f"{display}: {errors[0].message}", Location(display, errors[0].line))
    docs = settings.sources.docs(rel)
    return (docs[0].data if docs else None), None


def _chart_name(chart_dir: Path) -> str | None:
    data, _ = _read_yaml_file(chart_dir / "Chart.yaml", "Chart.yaml")
    return data.get("name") if isinstance(data, dict) and isinstance(data.get("name"), str) else None


def _vendored(chart_dir: Path) -> set[str]:
    names: set[str] = set()
    charts = chart_dir / "charts"
    if not charts.is_dir():
        return names
    for entry in charts.iterdir():
        if entry.is_dir() and (entry / "Chart.yaml").is_file():
            names.add(_chart_name(entry) or entry.name)
        elif entry.suffix == ".tgz":
            names.add(re.sub(r"-\d[\w.+-]*$", "", entry.stem))
    return names


def _condition_false(condition: object, values: dict) -> bool:
    if not isinstance(condition, str):
        return False
    for path in condition.split(","):
        node: object = values
        for part in path.strip().split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, bool):
            return not node
    return False


def _resolve_dependencies(chart_dir: Path, meta: YMap, values: dict, settings, display: str):
    """Return ({name: local chart dir} to add under charts/, [problems])."""
    deps = meta.get("dependencies")
    if not isinstance(deps, list):
        return {}, []
    vendored = _vendored(chart_dir)
    add: dict[str, Path] = {}
    problems: list[Problem] = []
    chart_yaml = _under(display, "Chart.yaml")
    for position, dep in enumerate(deps):
        if not isinstance(dep, dict) or not isinstance(dep.get("name"), str):
            continue
        name = dep["name"]
        alias = dep.get("alias") if isinstance(dep.get("alias"), str) else name
        if name in vendored or alias in vendored:
            continue
        repo = dep.get("repository") if isinstance(dep.get("repository"), str) else ""
        local: Path | None = None
        if repo.startswith("file://"):
            candidate = (chart_dir / repo[len("file://"):]).resolve()
            if not _inside_repository(candidate, settings):
                shown = repo if len(repo) <= 200 else repo[:200] + "..."
                problems.append(Problem(
                    "render-error", f"chart {display} depends on {name} from {shown!r}, which is outside the repository "
                    "(symlinks resolved); k8slint reads nothing outside the repository root unless the command line "
                    "names it (check it from a wider --repo-root)", Location(chart_yaml, deps.item_line(position))))
                continue
            if (candidate / "Chart.yaml").is_file():
                local = candidate
        else:
            for search in [chart_dir.parent, *settings.chart_search]:
                candidate = Path(search) / name
                if (candidate / "Chart.yaml").is_file() and _inside_repository(candidate, settings) \
                        and _chart_name(candidate) == name:
                    local = candidate.resolve()
                    break
        if local is not None:
            add[alias] = local
            continue
        if _condition_false(dep.get("condition"), values):
            continue
        version = dep.get("version", "")
        problems.append(
            Problem(
                "render-error",
                f"chart {display} depends on {name} {version} from {repo or '(no repository)'}, which is not vendored "
                "under charts/; k8slint never downloads dependencies: run `helm dependency build` and commit "
                "charts/, or list a folder holding the chart under helm.chart-search in .k8slint.yaml",
                Location(chart_yaml, deps.item_line(position)),
            )
        )
    return add, problems


def _inside_repository(path: Path, settings) -> bool:
    real = path.resolve()
    tops = [Path(settings.repo_root).resolve(), *(Path(p).resolve() for p in getattr(settings, "named", ()))]
    return any(real == top or top in real.parents for top in tops)


def _unsafe_links(folder: Path, root: Path) -> list[tuple[Path, str]]:
    """Symlinks in a chart folder that Helm must not follow: those whose target is outside the
    repository (a chart could pull any file of the machine into its templates or `.Files`) and
    folder links back to an ancestor (a loop Helm would walk until the path is too long)."""
    real_root = root.resolve()
    found = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        for name in sorted([*dirnames, *filenames]):
            path = Path(dirpath) / name
            if not path.is_symlink():
                continue
            try:
                real = path.resolve(strict=True)
            except (OSError, RuntimeError):
                continue  # dangling: Helm reports the missing file itself
            if real != real_root and real_root not in real.parents:
                found.append((path, "is a symlink that leaves the repository; k8slint does not follow it (Helm would)"))
            elif real.is_dir() and (real == path.parent.resolve() or real in path.parent.resolve().parents):
                found.append((path, "is a symlink to a folder that contains it (a loop); remove it"))
    return found


_METASCHEMAS = {f"{scheme}://json-schema.org/{draft}" + end for scheme in ("http", "https") for end in ("", "#")
                for draft in ("draft-04/schema", "draft-06/schema", "draft-07/schema", "draft/2019-09/schema", "draft/2020-12/schema")}


# a $schema naming a JSON Schema meta-schema ("http://json-schema.org/schema#", the latest draft; a
# draft Helm does not know by its URL): removed so that Helm fetches nothing, and validation is the same
_META_SCHEMA_ID = re.compile(r"https?://json-schema\.org/(?:draft[\w/.-]*/)?schema#?")


def _drop_remote_refs(node, dropped: list[str]):
    """A JSON Schema without references Helm would fetch: $ref/$dynamicRef not inside the document,
    and a $schema that is not a draft Helm knows by heart."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key in ("$ref", "$dynamicRef") and isinstance(value, str) and not value.startswith("#"):
                dropped.append(value)
                continue
            if key == "$schema" and isinstance(value, str) and value not in _METASCHEMAS:
                dropped.append(value)
                continue
            out[key] = _drop_remote_refs(value, dropped)
        return out
    if isinstance(node, list):
        return [_drop_remote_refs(item, dropped) for item in node]
    return node


def _schema_files(folder: Path):
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        if "values.schema.json" in filenames:
            yield Path(dirpath) / "values.schema.json"


def _remote_refs(text: str) -> list[str]:
    schema, error = load_json(text)
    if error is not None:  # unreadable for k8slint: Helm may still read it (and fetch what it names)
        return [f"a schema k8slint cannot read ({error.message}, line {error.line})"]
    dropped: list[str] = []
    _drop_remote_refs(schema, dropped)
    return dropped


def _remote_schema(folder: Path) -> bool:
    for path in _schema_files(folder):
        try:
            if _remote_refs(path.read_text(encoding="utf-8", errors="replace")):
                return True
        except OSError:
            continue
    return False


def _strip_remote_schemas(folder: Path) -> list[tuple[Path, list[str]]]:
    """Rewrite, in the render copy, every values.schema.json without its network references."""
    import json

    changed = []
    for path in _schema_files(folder):
        try:
            schema, error = load_json(path.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            continue
        dropped: list[str] = []
        clean = _drop_remote_refs(schema, dropped) if error is None else {}
        if error is not None:  # not given to Helm at all: it might read it differently and fetch
            dropped.append(f"the whole schema, which k8slint cannot read ({error.message}, line {error.line})")
        if dropped:
            path.unlink()  # may be a symlink into the repository: never write through it
            path.write_text(json.dumps(clean), encoding="utf-8")
            changed.append((path, dropped))
    return changed


def _rewritten_inside(folder: str) -> bool:
    """Whether the render copy of ``folder`` differs from it: a values.schema.json or a .git in it."""
    for _, dirnames, filenames in os.walk(folder, followlinks=False):
        if ".git" in dirnames or ".git" in filenames or "values.schema.json" in filenames:
            return True
    return False


def _link_tree(source: Path, destination: Path) -> None:
    """The chart folder for Helm to read, without copying it: ``destination`` is made anew and each
    entry of ``source`` (``.git`` left out) is a link to it - a folder too, unless k8slint writes in
    its copy (``charts/``, where dependencies are added) or it holds a ``values.schema.json`` (which
    :func:`_strip_remote_schemas` may replace in the copy) or a ``.git``: such folders are made
    anew, entry by entry. A link of the repository becomes a link to where it leads from its place in the
    repository (its text, copied, would be read from the render folder: ``../../x`` could name a file
    outside the repository). Helm reads through the links; nothing is ever written through one."""
    destination.mkdir(parents=True)
    with os.scandir(source) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            if entry.name == ".git":
                continue
            target = destination / entry.name
            if entry.is_symlink():  # to where it leads from the repository, not from the render folder
                os.symlink(os.path.realpath(entry.path), target)
            elif entry.is_dir() and (entry.name == "charts" or _rewritten_inside(entry.path)):
                _link_tree(Path(entry.path), target)
            else:
                os.symlink(os.path.abspath(entry.path), target)


def _planned_tree(chart_dir: Path, add: dict[str, Path]) -> tuple[dict, list] | None:
    """What :func:`_link_tree` (of the chart, then of each dependency under ``charts/<alias>``) and
    :func:`_strip_remote_schemas` will leave in the render folder, without making it: ({path in the
    folder: bytes of a file, ("dir",) or ("link", its text)}, [(schema path in the folder, what is
    dropped)] in the order the rewrite meets them), or None when it cannot be told beforehand (a
    folder made twice, or through a link). Used to key a cached answer before
    the folder is made (:func:`k8slint.render.cache.planned`): a wrong plan only misses."""
    import json

    tree: dict = {}
    kinds: dict[str, str] = {}  # path -> "dir" (made), "link-dir" (a link to a folder) or "link"

    def plan(source: Path, at: str) -> bool:
        if at in tree:
            return False  # mkdir would refuse it: the miss path says so
        parent = at.rpartition("/")[0]
        if parent and parent not in tree:
            if not plan_dir(parent):
                return False
        elif parent and kinds[parent] != "dir":
            return False  # through a link
        tree[at], kinds[at] = ("dir",), "dir"
        with os.scandir(source) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                if entry.name == ".git":
                    continue
                inner = f"{at}/{entry.name}"
                if entry.is_symlink():
                    real = os.path.realpath(entry.path)
                    tree[inner], kinds[inner] = ("link", real), "link-dir" if os.path.isdir(real) else "link"
                elif entry.is_dir() and (entry.name == "charts" or _rewritten_inside(entry.path)):
                    if not plan(Path(entry.path), inner):
                        return False
                else:
                    tree[inner] = ("link", os.path.abspath(entry.path))
                    kinds[inner] = "link-dir" if entry.is_dir() else "link"
        return True

    def plan_dir(at: str) -> bool:  # a parent mkdir(parents=True) makes
        parent = at.rpartition("/")[0]
        if parent and parent not in tree and not plan_dir(parent):
            return False
        if parent and kinds.get(parent) != "dir":
            return False
        tree[at], kinds[at] = ("dir",), "dir"
        return True

    top = chart_dir.name
    if not plan(chart_dir, top):
        return None
    for alias, local in add.items():
        if not plan(local, f"{top}/charts/{alias}"):
            return None
    rewritten: list = []

    children: dict[str, list[str]] = {}
    for path in tree:
        parent, _, name = path.rpartition("/")
        children.setdefault(parent, []).append(name)

    def walk(at: str) -> bool:  # os.walk's order, top-down, as _schema_files meets the schemas
        names = sorted(children.get(at, ()))
        schema = f"{at}/values.schema.json"
        if "values.schema.json" in names:
            if kinds[schema] == "link":
                try:
                    text = Path(tree[schema][1]).read_text(encoding="utf-8", errors="replace")
                except OSError:
                    text = None
                if text is not None:
                    data, error = load_json(text)
                    dropped: list[str] = []
                    clean = _drop_remote_refs(data, dropped) if error is None else {}
                    if error is not None:
                        dropped.append(f"the whole schema, which k8slint cannot read ({error.message}, line {error.line})")
                    if dropped:
                        tree[schema] = json.dumps(clean).encode("utf-8")
                        rewritten.append((schema, dropped))
        for name in names:
            inner = f"{at}/{name}"
            if name != ".git" and kinds[inner] == "dir" and not walk(inner):
                return False
        return True

    return (tree, rewritten) if walk(top) else None


def _packed_remote_schemas(folder: Path) -> list[Path]:
    """Vendored .tgz charts whose values.schema.json refers to the network (cannot be rewritten)."""
    import tarfile

    found = []
    charts = folder / "charts"
    for archive in sorted(charts.glob("*.tgz")) if charts.is_dir() else []:
        try:
            with tarfile.open(archive, "r:gz") as tar:
                for member in tar:
                    if member.isfile() and member.name.endswith("/values.schema.json") and member.size < 8 << 20:
                        data = tar.extractfile(member)
                        if data is not None and _remote_refs(data.read().decode("utf-8", "replace")):
                            found.append(archive)
                            break
        except (OSError, tarfile.TarError, EOFError):
            continue  # Helm reports a broken archive itself
    return found


def _helm_binary() -> str | None:
    override = os.environ.get("K8SLINT_HELM")
    if override:
        return override
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return shutil.which("helm", path=search)


def _parse_set(expressions: list[str]) -> dict:
    if not expressions:
        return {}
    try:
        from helm_python import parse_set_string  # type: ignore[import-not-found]
    except ImportError:
        parse_set_string = None
    out: dict = {}
    for expression in expressions:
        if parse_set_string is not None:
            out = deep_merge(out, parse_set_string(expression))
            continue
        for pair in expression.split(","):
            key, _, raw = pair.partition("=")
            node = out
            parts = key.split(".")
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            docs, _ = load_text(raw or '""')
            node[parts[-1]] = docs[0].data if docs else None
    return out


# A render answers (manifests, None, None), or (None, Helm's error text, None) to be explained, or
# (None, None, k8slint's own sentence) for a limit it hit.
Rendered = tuple["dict[str, str] | None", "str | None", "str | None"]


def _render_with_binary(binary: str, chart_dir: Path, values_file: Path, target: Target, settings) -> Rendered:
    cmd = [binary, "template", target.release_name, str(chart_dir), "--namespace", target.namespace or "default", "-f", str(values_file)]
    try:
        ran = run_bounded(cmd, timeout=budget(settings), max_output=settings.max_file_size, memory=settings.render_memory)
    except OSError as exc:
        raise RendererMissing(f"could not run {binary} (helm): {exc.strerror}") from None
    if ran.status != "ok":
        return None, None, limit_message("helm template", ran.status, settings)
    if ran.returncode != 0:
        return None, ran.stderr.replace("Error: ", "", 1), None
    text = ran.stdout.decode("utf-8", "replace")
    out: dict[str, str] = {}
    pieces = _SOURCE.split(text)
    for name, body in zip(pieces[1::2], pieces[2::2]):
        out[name] = out.get(name, "") + "\n---\n" + body
    return out, None, None


_WORKER = ["k8slint.render.helm_worker", "--serve"]


def _sdk_request(chart_dir: str, values: dict, target: Target) -> bytes:
    import json

    return json.dumps({"chart": chart_dir, "values": values, "name": target.release_name,
                       "namespace": target.namespace or "default"}).encode()  # ASCII, one line


def _render_with_sdk(chart_dir: Path, values: dict, target: Target, settings) -> Rendered:
    """Helm's Go SDK in a child process (k8slint.render.helm_worker), bounded in time and output."""
    request = _sdk_request(str(chart_dir), values, target)
    # An isolated interpreter (-I: no cwd or script folder on sys.path, no PYTHON* variables, no user
    # site), so nothing in the linted repository (a json.py, a .pyc, a .pth) can be imported by it;
    # it answers this render thread's next charts of this run too (its start-up paid once)
    ran = ask(settings, _WORKER, request, timeout=budget(settings),
              max_output=settings.max_file_size, memory=settings.render_memory)
    return _sdk_answer(ran, settings)


def _cached_sdk(chart_dir: Path, add: dict[str, Path], copied: bool, values: dict, target: Target,
                settings) -> tuple[Rendered, list] | None:
    """The SDK's cached answer for this render, found before its folder is made (a hit makes no
    folder, no link and no file), with the schemas the folder would have rewritten; else None."""
    from . import cache

    if getattr(process._SCOPE, "current", None) is None:
        return None  # no cache this run (or for this target): nothing to plan
    folder = os.path.join(tempfile.gettempdir(), "k8slint-planned")
    if copied:
        try:
            planned = _planned_tree(chart_dir, add)
        except OSError:  # the miss path meets it again and says what it says
            planned = None
        if planned is None:
            return None
        files, rewritten = planned
        chart = os.path.join(folder, chart_dir.name)
    else:  # Helm reads the chart where it is; the render's folder stays empty
        files, rewritten, chart = {}, [], str(chart_dir)
    ran = cache.planned([sys.executable, "-I", "-m", *_WORKER], folder, files, timeout=budget(settings),
                        max_output=settings.max_file_size, memory=settings.render_memory, network=False,
                        stdin=_sdk_request(chart, values, target))
    if ran is None:
        return None
    return _sdk_answer(ran, settings), rewritten


def _sdk_answer(ran, settings) -> Rendered:
    """What the worker's answer (fresh or cached) says: manifests, Helm's error, or a limit hit."""
    import json

    if ran.status != "ok":
        return None, None, limit_message("the Helm render", ran.status, settings)
    try:
        answer = json.loads(ran.stdout)
    except ValueError:  # its stderr may quote the chart's values: not shown
        return None, None, f"the Helm engine stopped without an answer (exit {ran.returncode})"
    if answer.get("missing"):
        raise RendererMissing(str(answer.get("error")))
    if "error" in answer:
        return None, str(answer["error"]), None
    return answer["manifests"], None, None


def render_chart(target: Target, settings, extra_values: tuple = ()) -> Render:
    """Render the target's chart; ``extra_values`` (mappings, e.g. an Argo CD Application's
    ``valuesObject``) are merged after the values files and before ``--set``."""
    result = Render(target)
    root: Path = settings.repo_root
    chart_dir = target.path if target.path.is_dir() else target.path.parent
    display = relative(chart_dir, root)
    meta, problem = _chart_yaml(chart_dir, display, settings)
    if problem or not isinstance(meta, YMap):
        result.failed = True
        result.problems.append(problem or Problem("render-error", f"{_under(display, 'Chart.yaml')} is not a mapping", Location(_under(display, "Chart.yaml"), 1)))
        return result
    chart_name = meta.get("name") if isinstance(meta.get("name"), str) else chart_dir.name
    if meta.get("type") == "library":
        result.notes.append(f"{display} is a library chart: nothing to render")
        return result

    values: dict = {}
    defaults, problem = _read_values_file(chart_dir / "values.yaml", _under(display, "values.yaml"), settings) if (chart_dir / "values.yaml").is_file() else ({}, None)
    if problem:
        result.problems.append(problem)
    merged_defaults = defaults if isinstance(defaults, dict) else {}
    for path in target.values:
        data, problem = _read_values_file(path, relative(path, root), settings)
        if problem:
            result.problems.append(problem)
            continue
        if data is not None and not isinstance(data, dict):
            result.problems.append(Problem("render-error", f"{relative(path, root)} must be a mapping of values", Location(relative(path, root), 1)))
            continue
        values = deep_merge(values, data or {})
    for data in extra_values:
        values = deep_merge(values, data)
    try:
        values = deep_merge(values, _parse_set(target.set_values))
    except Exception as exc:  # the SDK's own ValueError subclasses for bad --set syntax
        result.failed = True
        result.problems.append(Problem("render-error", f"--set could not be parsed: {exc}", Location(display, 1)))
        return result
    if any(p.rule == "render-error" for p in result.problems):
        result.failed = True
        return result

    add, problems = _resolve_dependencies(chart_dir, meta, deep_merge(merged_defaults, values), settings, display)
    if problems:
        result.failed = True
        result.problems.extend(problems)
        return result

    inside = [d for d in add.values() if d.resolve() == root.resolve() or root.resolve() in d.resolve().parents]
    unsafe = [link for folder in [chart_dir, *inside] for link in _unsafe_links(folder, root)]
    if unsafe:
        result.failed = True
        for link, why in unsafe[:20]:
            rel = relative(link, root)
            result.problems.append(Problem("render-error", f"{rel} {why}", Location(rel, 1)))
        return result

    origin_dirs: dict[str, Path] = {chart_name: chart_dir}
    packed = [p for folder in [chart_dir, *add.values()] for p in _packed_remote_schemas(folder)]
    if packed:
        result.failed = True
        for path in packed[:20]:
            rel = relative(path, root)
            result.problems.append(Problem(
                "render-error", f"{rel} holds a values.schema.json that refers to a schema on the network, which Helm "
                "would fetch; k8slint fetches nothing: unpack the chart under charts/", Location(rel, 1)))
        return result
    copied = bool(add) or any(_remote_schema(folder) for folder in [chart_dir, *add.values()])
    binary = _helm_binary()
    hit = _cached_sdk(chart_dir, add, copied, values, target, settings) if not binary else None

    def noted(rewritten) -> None:
        for alias, local in add.items():
            origin_dirs[f"{chart_name}/charts/{alias}"] = local
            result.notes.append(f"{display}: dependency {alias} taken from {relative(local, root)} (not downloaded)")
        for inner, dropped in rewritten:
            dropped = [d for d in dropped if not _META_SCHEMA_ID.fullmatch(d)]  # removed, but nothing is lost
            if not dropped:
                continue
            result.notes.append(f"{_under(display, inner)}: values validated without {', '.join(dropped[:3])} "
                                "(k8slint fetches nothing)")

    if hit is not None:
        (manifests, error, own), rewritten = hit
        if copied:
            noted([(schema.split("/", 1)[1], dropped) for schema, dropped in rewritten])
    else:
        process.child_allowed()  # a miss: no render folder made only to be dropped (see process.cache_only)
        manifests, error, own = _render_fresh(chart_dir, add, copied, binary, values, target, settings, noted)
    if manifests is None:  # in k8slint's words, at the template line or values key; Helm's text is never shown
        result.failed = True
        said: list = [(own, None)]
        if own is None:
            context = helm_errors.Context(chart_dir, chart_name, origin_dirs, root, settings.sources, list(target.values),
                                          target.label(), display)
            said = helm_errors.explain(error or "", context)
        for sentence, location in said:
            result.problems.append(Problem("render-error", helm_errors.cap(f"helm render of {target.label()} failed: {sentence}"),
                                           location or Location(_under(display, "Chart.yaml"), 1)))
        return result

    def origin_of(template: str) -> str:
        best = ""
        for prefix in origin_dirs:
            if template.startswith(prefix + "/") and len(prefix) > len(best):
                best = prefix
        base = origin_dirs.get(best, chart_dir)
        return relative(base / template[len(best) + 1 :], root) if best else template

    sources_of = _sources_recorder(chart_dir, chart_name, origin_dirs, target, root)
    for template in sorted(manifests):
        body = manifests[template]
        if template.endswith("NOTES.txt") or not body.strip():
            continue
        origin = origin_of(template)
        sources = sources_of(template)

        def make(data, doc, origin=origin, template=template, sources=sources) -> K8sObject:
            obj = K8sObject(data, f"{origin} (rendered)", doc.index)
            obj.origin = origin
            obj.helm_template = template
            obj.default_namespace = target.namespace
            if not target.namespace:  # the release namespace is chosen at install time
                obj.namespace_at_install = obj.namespace is None or not _literal_namespace(obj, settings)
            obj.helm_sources = sources
            return obj

        objects, problems = parse_stream(body, origin, make)
        ordinals: dict[str, int] = {}
        for obj in objects:  # lets the locator tell two Deployments of one template apart
            obj.helm_ordinal = ordinals.get(obj.kind, 0)
            ordinals[obj.kind] = obj.helm_ordinal + 1
        result.objects.extend(objects)
        for problem in problems:
            problem.message = f"rendered template {template}: {problem.message} (line in the rendered output)"
        result.problems.extend(problems)
    return result


def _render_fresh(chart_dir: Path, add: dict[str, Path], copied: bool, binary: str | None, values: dict,
                  target: Target, settings, noted) -> Rendered:
    """Render in a new temporary folder: the chart is linked there (with its dependencies under
    ``charts/``, schemas rewritten without network references) when ``copied``; ``noted`` is told
    which schemas were rewritten."""
    with scratch("k8slint-helm-") as tmp:
        render_dir = chart_dir
        if copied:
            render_dir = Path(tmp) / chart_dir.name
            _link_tree(chart_dir, render_dir)
            for alias, local in add.items():
                _link_tree(local, render_dir / "charts" / alias)
            noted([(schema.relative_to(render_dir).as_posix(), dropped) for schema, dropped in _strip_remote_schemas(render_dir)])
        if binary:
            import json

            values_file = Path(tmp) / "k8slint-values.json"
            values_file.write_text(json.dumps(values), encoding="utf-8")
            return _render_with_binary(binary, render_dir, values_file, target, settings)
        return _render_with_sdk(render_dir, values, target, settings)


def _sources_recorder(chart_dir: Path, chart_name: str, origin_dirs: dict[str, Path], target: Target, root: Path):
    """template name -> the HelmSources its values came from: the values.yaml of its chart and of
    each parent chart (under the subchart's key), then the target's values files and --set."""
    helpers = tuple(dict.fromkeys(relative(d, root) for d in origin_dirs.values()))
    made: dict[tuple, HelmSources] = {}

    def sources_of(template: str) -> HelmSources:
        rest = template[len(chart_name) + 1:] if template.startswith(chart_name + "/") else template
        chain: list[str] = []
        while rest.startswith("charts/") and "/" in rest[len("charts/"):]:
            alias, rest = rest[len("charts/"):].split("/", 1)
            chain.append(alias)
        key = tuple(chain)
        if key not in made:
            folders = [chart_dir]
            for depth, alias in enumerate(chain):
                local = origin_dirs.get(f"{chart_name}/charts/{alias}") if depth == 0 else None
                folders.append(local or folders[-1] / "charts" / alias)
            files = []
            for depth in range(len(folders) - 1, -1, -1):  # the subchart's own defaults first, the top chart's last
                values = folders[depth] / "values.yaml"
                if values.is_file():
                    files.append((relative(values, root), key[depth:]))
            files.extend((relative(path, root), key) for path in target.values)
            made[key] = HelmSources(relative(folders[-1], root), tuple(files),
                                    tuple((expression, key) for expression in target.set_values), helpers)
        return made[key]

    return sources_of


def _literal_namespace(obj: K8sObject, settings) -> bool:
    """Whether the chart writes this object's namespace literally (not from .Release.Namespace,
    rendered as the placeholder 'default' without a release namespace): a document of the
    template of the object's kind with a literal `namespace: <ns>` that is either the only
    document of that kind or names the object literally."""
    ns = obj.namespace
    literal_ns = re.compile(rf"^\s+namespace:\s*['\"]?{re.escape(ns)}['\"]?\s*(#.*)?$")
    kind_line = re.compile(rf"^kind:\s*['\"]?{re.escape(obj.kind)}['\"]?\s*$")
    name_line = re.compile(rf"^\s+name:\s*['\"]?{re.escape(obj.name)}['\"]?\s*(#.*)?$")
    chunks = _documents_of(obj.origin, settings)
    same_kind = [c for c in chunks if any(kind_line.match(line) for line in c)]
    for chunk in same_kind:
        if any(literal_ns.match(line) for line in chunk):
            if len(same_kind) == 1 or any(name_line.match(line) for line in chunk):
                return True
    return False


def _documents_of(origin: str, settings) -> list[list[str]]:
    """A template's lines split at its ``---`` lines, once per template and run (every object of
    the template asks)."""
    memo = settings.sources.memo
    key = ("helm-documents", origin)
    found = memo.get(key)
    if found is None:
        found = [[]]
        for line in settings.sources.lines(origin):
            if line.startswith("---"):
                found.append([])
            else:
                found[-1].append(line)
        memo[key] = found
    return found


ENV_VALUES_NAMES = {
    "production": ("values-prod.yaml", "values-production.yaml", "values-prd.yaml", "values-prod.yml", "values-production.yml"),
    "staging": ("values-staging.yaml", "values-stg.yaml", "values-stage.yaml", "values-staging.yml", "values-stg.yml"),
    "development": ("values-dev.yaml", "values-development.yaml", "values-local.yaml", "values-dev.yml"),
}


_VALUES_NAME = re.compile(r"values-(.+)\.ya?ml")


def env_values_files(chart: Path, aliases=None) -> list[Path]:
    """The chart's values files of environments, one target each: the first of ENV_VALUES_NAMES per
    environment, and every other ``values-<name>.yaml`` whose name is an environment alias
    (``values-qa.yaml``, ``values-preprod.yaml``, ``environment-aliases:`` of the config)."""
    from ..envs import normalize

    found = [f for env in ENVIRONMENTS if (f := env_values_file(chart, env))]
    fixed = {name for names in ENV_VALUES_NAMES.values() for name in names}
    try:
        names = sorted(p.name for p in chart.iterdir() if p.name not in fixed and _VALUES_NAME.fullmatch(p.name))
    except OSError:
        names = []
    found += [chart / name for name in names
              if normalize(_VALUES_NAME.fullmatch(name).group(1), aliases) and (chart / name).is_file()]
    return found


def env_values_file(chart: Path, env: str, aliases=None) -> Path | None:
    """The chart's values file for an environment (values-prod.yaml, values-staging.yaml, ..., else
    the first ``values-<alias>.yaml`` of that environment)."""
    for name in ENV_VALUES_NAMES.get(env, ()):
        if (chart / name).is_file():
            return chart / name
    if aliases is None:
        return None
    from ..envs import normalize

    return next((f for f in env_values_files(chart, aliases)
                 if normalize(_VALUES_NAME.fullmatch(f.name).group(1), aliases) == env), None)


def _chart_yaml(chart_dir: Path, display: str, settings) -> tuple[object, Problem | None]:
    """Chart.yaml's mapping, parsed once per run (``settings.sources``), else why it cannot be used."""
    rel = relative(chart_dir / "Chart.yaml", settings.repo_root)
    docs = settings.sources.docs(rel)
    if docs and isinstance(docs[0].data, YMap) and not settings.sources.errors(rel):  # fail closed on anything refused
        return docs[0].data, None
    return _read_yaml_file(chart_dir / "Chart.yaml", _under(display, "Chart.yaml"))


def chart_name(chart_dir: Path, settings) -> str:
    """The chart's name from its Chart.yaml (the default release name), else its folder name."""
    meta, _ = _chart_yaml(chart_dir, relative(chart_dir, settings.repo_root), settings)
    name = meta.get("name") if isinstance(meta, dict) else None
    return name if isinstance(name, str) else chart_dir.name


def _vendored_subchart(chart: Path, root: Path) -> bool:
    """A chart inside another chart's ``charts/`` folder (below ``root``): rendered by its parent.
    Charts in any other ``charts/`` folder (``charts/<name>/``, the most common layout) are units."""
    for parent in chart.parents:
        if parent != root and root not in parent.parents:
            return False
        if parent.name == "charts" and parent != root and (parent.parent / "Chart.yaml").is_file():
            return True
    return False


class HelmRenderer(Renderer):
    """A chart with an environment's values, rendered offline (see the module docstring)."""

    kind = "helm"

    def discover(self, found: list[Path], root: Path, settings) -> list[Unit]:
        """Every application chart not vendored under another chart's charts/, once per
        ``values-<env>.yaml`` it has (or once with its defaults when it has none)."""
        units: list[Unit] = []
        for chart in found:
            if _vendored_subchart(chart, root):
                continue
            try:
                head = (chart / "Chart.yaml").read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            if "type: library" in head:
                continue
            env_files = env_values_files(chart, settings.aliases)
            if env_files:
                units.extend(Unit("helm", chart, f) for f in env_files)
            else:
                units.append(Unit("helm", chart))
        return units

    def target(self, unit: Unit, settings, resolve_env, options) -> Target:
        """Values: the environment's values file (when the environment is known), then ``-f`` files;
        release name: --release-name, helm.release-name, else the chart's name."""
        from ..errors import TargetError

        root = settings.repo_root
        path, env_file = unit.path, unit.env_file
        display = relative(path, root)
        env, source = resolve_env(relative(env_file, root) if env_file else display)
        if source == "unresolved":  # `-f values-prod.yaml`: the values file names the environment
            from ..envs import from_path

            env, source = next(((found, "-f file name") for v in options.values if (found := from_path(Path(v).name, settings.aliases))),
                               (env, source))
        if env_file is None and env in ENVIRONMENTS:
            env_file = env_values_file(path, env, settings.aliases)
        if env_file is not None and not env_file.is_file():
            raise TargetError(f"values file {env_file}: no such file")
        for given in options.values:  # relative to the current directory, as `helm -f` takes them
            if not Path(given).is_file():
                beside = path / given
                hint = (f" (-f paths are taken from the current directory, as with helm; the chart's is {os.path.relpath(beside)})"
                        if not Path(given).is_absolute() and beside.is_file() else "")
                raise TargetError(f"values file {given}: no such file{hint}")
        given = [Path(v).resolve() for v in options.values]
        values = ([env_file] if env_file and env_file.resolve() not in given else []) + given
        from ..sensitive import shown_set_values

        return Target("helm", path, display, env, source, values, list(options.set_values),
                      options.release_name or settings.helm_release_name or chart_name(path, settings),
                      options.namespace or settings.helm_namespace, set_shown=shown_set_values(options.set_values))

    def render(self, target: Target, settings) -> Render:
        return render_chart(target, settings)

    def inputs(self, unit: Unit, settings) -> Inputs:
        """The chart folder, except the values files of the other environments."""
        chart = unit.path.resolve()
        own = unit.env_file.resolve() if unit.env_file else None
        others = {f.resolve() for f in env_values_files(unit.path, settings.aliases)} - {own}
        return Inputs(dirs={chart}, excluded=others)

    def source_file(self, target: Target) -> str:
        return f"{target.display}/Chart.yaml" if target.display != "." else "Chart.yaml"


RENDERER = HelmRenderer()
