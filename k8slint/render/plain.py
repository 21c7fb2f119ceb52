"""Plain YAML: one file, every YAML file of a directory, or a rendered stream on stdin."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..load import decode
from ..model import K8sObject, Location, Target
from ..sources import SKIP_DIRS, relative
from . import Problem, Render, Renderer
from .stream import objects_from_documents, parse_stream

YAML_SUFFIXES = (".yaml", ".yml")


def _yaml_files(directory: Path) -> list[Path]:
    found: list[Path] = []
    seen: set[tuple[int, int]] = set()
    for dirpath, dirnames, filenames in os.walk(directory, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith(YAML_SUFFIXES) and not name.startswith("."):  # .k8slint.yaml, .gitlab-ci.yml...
                path = Path(dirpath) / name
                try:
                    stat = path.stat()
                except OSError:
                    found.append(path)  # reported as unreadable below
                    continue
                if (stat.st_dev, stat.st_ino) not in seen:
                    seen.add((stat.st_dev, stat.st_ino))
                    found.append(path)
    return found


def load_file(path: Path, display: str, settings, result: Render) -> None:
    """Read one file into ``result``: objects with exact lines, or a parse-error finding."""
    try:
        if path.is_symlink() and not _inside(path, settings.repo_root):
            result.problems.append(
                Problem("parse-error", f"{display} is a symlink that leaves the repository; not followed", Location(display, 1))
            )
            return
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):  # a FIFO or device named *.yaml would block or never end
            result.problems.append(Problem("parse-error", f"{display} is not a regular file; not read", Location(display, 1)))
            return
        size = info.st_size
        if size > settings.max_file_size:
            result.problems.append(
                Problem(
                    "parse-error",
                    _too_big(display, size, settings),
                    Location(display, 1),
                )
            )
            return
        docs = settings.sources.parsed(display)
        if docs is not None:  # already parsed this run (GitOps discovery reads a stream that holds Flux objects)
            objects, problems = objects_from_documents(docs, (), display, lambda data, doc: _made(data, doc, display))
            result.objects.extend(objects)
            result.problems.extend(problems)
            return
        raw = path.read_bytes()
    except OSError as exc:
        result.problems.append(Problem("parse-error", f"{display} cannot be read: {exc.strerror or exc}", Location(display, 1)))
        return
    load_bytes(raw, display, result)


def _made(data, doc, display: str) -> K8sObject:
    obj = K8sObject(data, display, doc.index)
    obj.origin = display
    return obj


def load_bytes(raw: bytes, display: str, result: Render) -> None:
    text, error = decode(raw)
    if error:
        result.problems.append(Problem("parse-error", error.message, Location(display, error.line)))
        return

    objects, problems = parse_stream(text, display, lambda data, doc: _made(data, doc, display))
    result.objects.extend(objects)
    result.problems.extend(problems)


def _too_big(what: str, size: int | None, settings) -> str:
    actual = f" ({size:,} bytes)" if size is not None else ""
    return (f"{what}{actual} is over limits.max-file-size ({settings.max_file_size:,} bytes): not checked; "
            "raise it with --max-file-size or limits.max-file-size")


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except (ValueError, OSError, RuntimeError):
        return False


def render_plain(target: Target, settings) -> Render:
    result = Render(target)
    if target.kind == "stdin":
        data = target.stdin_data or b""
        if len(data) > settings.max_file_size:
            result.problems.append(Problem("parse-error", _too_big("standard input", None, settings), Location("<stdin>", 1)))
            return result
        load_bytes(data, "<stdin>", result)
        return result
    if target.kind == "file":
        load_file(target.path, target.display, settings, result)
        return result
    for path in target.files or _yaml_files(target.path):
        load_file(path, relative(path, settings.repo_root), settings, result)
    return result


class PlainRenderer(Renderer):
    """Plain YAML: a file, every YAML file of a folder, or a rendered stream on stdin."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def render(self, target: Target, settings) -> Render:
        return render_plain(target, settings)

    def target(self, unit, settings, resolve_env, options) -> Target:
        found = super().target(unit, settings, resolve_env, options)
        found.files = list(unit.files)
        return found

    def inputs(self, unit, settings):
        from . import Inputs

        if unit.files:
            return Inputs(files={p.resolve() for p in unit.files})
        return Inputs() if self.kind == "stdin" else super().inputs(unit, settings)

    def source_file(self, target: Target) -> str:
        return "<stdin>" if target.kind == "stdin" else target.display


RENDERERS = {kind: PlainRenderer(kind) for kind in ("file", "dir", "stdin")}
