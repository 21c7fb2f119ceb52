"""The render cache: a renderer's answer (kustomize's or Helm's output, or its error) kept in the
user's cache folder (:mod:`k8slint.plan.cache`), so that a target none of whose inputs changed is
not rendered again.

What is cached is what a renderer child returned (:class:`~k8slint.render.process.Ran`: its
exit status, output and error text), never objects: k8slint parses and explains it exactly as it
would a fresh answer, so a cached run and an uncached one write the same report byte for byte,
and a change to k8slint's own reading of renders needs no new key. Beside a kustomize answer the
loader's documents and load errors are kept in builtin types (:meth:`Scope.loaded`,
:mod:`k8slint.load.kept`), under a key of the output's digest and the loader's identity (its
source, PyYAML's version, the interpreter), checked by a digest before ``marshal`` reads them;
a hit rebuilds what the loader would make of the output, without parsing it.

The key of one renderer run is a hash of

- every file the target's renderer can read (:meth:`Renderer.inputs`, plus Helm values files):
  each regular file under its folders and each file it names, by path and exact bytes; a target
  with an input that cannot be hashed (unreadable, larger than ``limits.max-file-size``, too
  many files, a symbolic link leaving the repository or naming a folder) is not cached;
- the target (kind, path, environment, values files, ``--set``, release name, namespace, the
  Application deploying it), the repository root, k8slint's version, the limits that change an
  answer (output size, memory);
- the command run and its input, with the run's temporary folders named by their order, and
  the bytes of every file in those folders (the kustomize wrapper, the values file handed to
  Helm, a chart copied with its local dependencies); the kustomize wrapper is keyed by the text
  it will hold before its folder is made (:func:`planned`), so a hit makes no folder;
- the renderer itself: the executable's path, size, modification time and inode (a new kubectl,
  kustomize or helm is a new key), or, for Helm's SDK worker, the interpreter and every file of
  the ``helm_python`` package; the environment passed to the child (``PATH``, locale).

Nothing is cached with ``--allow-remote`` (what a remote base holds can change), nor a render
stopped by a limit, a signal or a crash (an exit status other than 0 and 1). An answer that took longer than the time the current run gives a render is
rendered again. Entries are plain bytes checked by a digest; a corrupt entry is ignored and
written again. The folder holds at most :data:`MAX_BYTES`; the least recently used entries go
first.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from ..digests import blake2b  # not hashlib: its OpenSSL load is a tenth of a warm run's start
from .process import Ran

KIND = "render"
MAX_BYTES = 256 * 1024 * 1024  # the whole render cache, least recently used entries dropped first
MAX_FILES = 20_000  # a target reading more files than this is not cached
MAX_INPUT = 512 * 1024 * 1024  # nor one reading more bytes than this
MAX_KEPT = 8 * 1024 * 1024  # an output longer than this (characters) has no loaded form kept: a form is ~0.9x its text
_MAGIC = b"k8slint-render-1\n"
_KEPT = b"k8slint-loaded-1\n"  # a loaded form (k8slint.load.kept)
_LOCK = threading.Lock()


class Uncacheable(Exception):
    """An input that cannot be hashed: the target is rendered without the cache."""


def _digest(*parts) -> str:
    h = blake2b(digest_size=32)
    for part in parts:
        data = part if isinstance(part, bytes) else repr(part).encode("utf-8", "surrogateescape")
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


class Run:
    """What one run's renders share: the file digests already computed, whether anything was
    written (the folder is pruned once, at the end)."""

    def __init__(self, settings, store, relocated: bool = False) -> None:
        self.settings = settings
        self.store = store  # the user's cache folder: read(kind, name), write(kind, name, data), prune_size(kind, n)
        self.root = Path(os.path.realpath(settings.repo_root))
        # A relocated run (the --diff-base revision, checked out in a new temporary folder each
        # run) keys its files by their place in the repository, and names the folder in what a
        # renderer is given and answers by a token (its path, and its path from the temporary
        # folder, which is how a kustomize wrapper there names it). Otherwise the root is in the key.
        self.tokens: list[str] = []
        if relocated:
            top = os.path.realpath(tempfile.gettempdir())
            if not str(self.root).startswith(top + os.sep):
                raise Uncacheable("a relocated tree outside the temporary folder")
            self.tokens = [str(self.root), os.path.relpath(self.root, top)]
        self.allowed = [self.root, *(Path(os.path.realpath(p)) for p in getattr(settings, "named", ()))]
        self.files: dict[str, tuple] = {}  # file -> (size, digest)
        self.trees: dict[str, dict] = {}  # an input path -> what is under it (see _entry)
        self.programs: dict[tuple[str, str], tuple] = {}  # (program, PATH) -> its identity, looked up once a run
        self.written = False

    def shown(self, path: str) -> str:
        """How a path is part of a key: as it is, or, in a relocated run, from the root."""
        if self.tokens and (path == self.tokens[0] or path.startswith(self.tokens[0] + os.sep)):
            return "<root>" + path[len(self.tokens[0]):]
        return path

    def program_identity(self, program: str, path: str) -> tuple:
        """:func:`_program_identity`, once a run (every target's render runs the same renderer)."""
        key = (program, path)
        found = self.programs.get(key)
        if found is None:
            found = self.programs[key] = _program_identity(program, path)
        return found

    def allowed_path(self, real: Path) -> bool:
        from ..sources import within

        return any(within(real, top) for top in self.allowed)

    def file_digest(self, path) -> tuple:
        """(size, digest) of a regular file's bytes, once per run; Uncacheable when it cannot be read
        or is larger than limits.max-file-size."""
        path = os.fspath(path)
        found = self.files.get(path)
        if found is not None:
            return found
        try:
            handle = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        except OSError as exc:
            raise Uncacheable(f"{path}: {exc.strerror}") from None
        try:
            info = os.fstat(handle)
            if not stat.S_ISREG(info.st_mode):
                raise Uncacheable(f"{path}: not a regular file")
            if info.st_size > self.settings.max_file_size:
                raise Uncacheable(f"{path}: over limits.max-file-size")
            h = blake2b(digest_size=32)
            size = 0
            while chunk := os.read(handle, 1 << 20):
                size += len(chunk)
                if size > self.settings.max_file_size:
                    raise Uncacheable(f"{path}: over limits.max-file-size")
                h.update(chunk)
        except OSError as exc:
            raise Uncacheable(f"{path}: {exc.strerror}") from None
        finally:
            os.close(handle)
        found = (size, h.hexdigest())
        self.files[path] = found
        return found

    def finish(self) -> None:
        if self.written:
            self.store.prune_size(KIND, MAX_BYTES)


def _entry(path: str, run: Run, out: dict) -> None:
    """Add ``path`` (a file or a folder, recursively) to ``out``: path -> (size, digest), a folder's
    names, a link's text and target; Uncacheable for what cannot be hashed."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        out[path] = None  # named but missing: the renderer says so; a file appearing is a new key
        return
    except OSError as exc:
        raise Uncacheable(f"{path}: {exc.strerror}") from None
    if stat.S_ISLNK(info.st_mode):
        real = Path(os.path.realpath(path))
        if not run.allowed_path(real):
            raise Uncacheable(f"{path}: a symbolic link leaving the repository")
        if os.path.isdir(real):
            raise Uncacheable(f"{path}: a symbolic link to a folder")
        out[path] = ("link", os.readlink(path), _file_or_missing(real, run))
        return
    if stat.S_ISDIR(info.st_mode):
        if not run.allowed_path(Path(os.path.realpath(path))):
            raise Uncacheable(f"{path}: outside the repository")
        try:
            names = sorted(os.listdir(path))
        except OSError as exc:
            raise Uncacheable(f"{path}: {exc.strerror}") from None
        out[path] = ("dir", tuple(names))
        for name in names:
            if name == ".git":
                continue  # a render reads nothing there unless a file names it (then it is hashed by name)
            _entry(os.path.join(path, name), run, out)
            if len(out) > MAX_FILES:
                raise Uncacheable("too many files")
        return
    if stat.S_ISREG(info.st_mode):
        out[path] = run.file_digest(path)
        return
    raise Uncacheable(f"{path}: not a regular file or folder")


def _tree(path: str, run: Run) -> dict:
    """What :func:`_entry` finds at ``path``, once per run (overlays share their bases)."""
    found = run.trees.get(path)
    if found is None:
        found = {}
        _entry(path, run, found)
        run.trees[path] = found
    return found


def _file_or_missing(path: Path, run: Run):
    try:
        return run.file_digest(path)
    except Uncacheable:
        if not path.exists():
            return None
        raise


def target_key(target, settings, run: Run) -> str:
    """The digest of everything a target's render reads and is given; Uncacheable if it has none."""
    from .. import __version__
    from . import Unit, renderer

    if settings.allow_remote:
        raise Uncacheable("--allow-remote: a remote base can change")
    if target.deployed_by:
        inputs = renderer("gitops").inputs(Unit("gitops", target.path, name=target.deployed_by), settings)
    elif target.kind in ("kustomize", "helm"):
        inputs = renderer(target.kind).inputs(Unit(target.kind, target.path), settings)
    else:
        raise Uncacheable("not rendered by a child process")
    found: dict = {}
    for path in {os.path.abspath(p) for p in [*inputs.dirs, *inputs.files, *target.values]}:
        found.update(_tree(path, run))
    if len(found) > MAX_FILES:
        raise Uncacheable("too many files")
    if sum(v[0] for v in found.values() if v and isinstance(v[0], int)) > MAX_INPUT:
        raise Uncacheable("too many bytes")
    listing = sorted((run.shown(p), v) for p, v in found.items())
    what = (target.kind, run.shown(str(target.path)), target.display, target.env, [run.shown(str(v)) for v in target.values],
            list(target.set_values), target.release_name, target.namespace, target.deployed_by)
    return _digest(__version__, run.shown(str(run.root)), what, settings.max_file_size, settings.render_memory, listing)


class Scope:
    """One target's render: its key, and the temporary folders its renderer made (by order)."""

    def __init__(self, run: Run, key: str) -> None:
        self.run = run
        self.key = key
        self.scratch: list[str] = []
        self.private: str | None = None  # the folder of the child last run (never part of a key)

    @property
    def folders(self) -> list[str]:
        """The paths named by tokens: a relocated root's, then this render's temporary folders."""
        return self.run.tokens + self.scratch

    # -- the key of one child run -------------------------------------------------------------

    def call_key(self, command: list[str], stdin: bytes | None, memory, max_output: int, network: bool,
                 planned: tuple[str, dict] | None = None) -> str:
        """The key of running ``command``; ``planned``: (folder, {path in it: bytes of a file, ("dir",)
        or ("link", its text)}), a temporary folder the renderer will be given, keyed as it will be
        once made and written."""
        from .process import _LAUNCHER, child_env

        if network:
            raise Uncacheable("network allowed")
        program = command[0]
        python_module = command[:3] == [sys.executable, "-I", "-m"]
        env = child_env("~")
        env_key = sorted((k, v) for k, v in env.items() if not v.startswith("~"))
        identity = _python_identity(command[3]) if python_module else self.run.program_identity(program, env["PATH"])
        folders = self.folders + ([planned[0]] if planned is not None else [])
        scratch_files = []
        for index, folder in enumerate(self.scratch):
            if os.path.isdir(folder):
                found: dict = {}
                for name in sorted(os.listdir(folder)):
                    _scratch_entry(Path(folder) / name, found, folders)
                scratch_files.append((index, sorted((os.path.relpath(p, folder), v) for p, v in found.items())))
        if planned is not None:  # the folder not made yet, by the files it will hold (as _scratch_entry sees them)
            scratch_files.append((len(self.scratch), sorted((name, _planned_entry(data, folders))
                                                            for name, data in planned[1].items())))
        stdin_tokens = _split(stdin.decode("utf-8", "surrogateescape"), folders) if stdin is not None else None
        linked = self._linked(scratch_files, folders)  # none for a kustomize wrapper: its keys stay as they were
        return _digest(self.key, [_split(part, folders) for part in command], stdin_tokens, memory, max_output,
                       identity, env_key, _LAUNCHER, os.path.realpath(tempfile.gettempdir()), scratch_files,
                       *([linked] if linked else []))

    def _linked(self, scratch_files: list, folders: list[str]) -> list:
        """What the links of the temporary folders lead to (a Helm chart's files and its dependency
        charts, linked, not copied): every file under each target, by path and bytes, as the
        target's own inputs are keyed; Uncacheable for a target outside the repository."""
        targets = set()
        for _, entries in scratch_files:
            for _, value in entries:
                if isinstance(value, tuple) and value[:1] == ("link",):
                    tokens = value[1]
                    if any(isinstance(t, int) and t >= len(self.run.tokens) for t in tokens):
                        continue  # into a temporary folder: keyed there
                    text = _join(tokens, folders)
                    if not os.path.isabs(text):
                        raise Uncacheable("a relative link in a render folder")
                    targets.add(text)
        found: dict = {}
        for target in sorted(targets):
            found.update(_tree(target, self.run))
        return sorted((self.run.shown(p), v) for p, v in found.items())

    def answer(self, command: list[str], stdin, timeout: float, max_output: int, memory, network: bool, run) -> Ran:
        """``run()`` (a renderer child), or its answer from the cache; called by process.run_bounded."""
        try:
            name = self.call_key(command, stdin, memory, max_output, network)
        except (Uncacheable, OSError, ValueError):
            return run()
        found = self.load(name, timeout)
        if found is not None:
            return found
        started = time.monotonic()
        ran = run()
        self.store(name, ran, time.monotonic() - started)
        return ran

    def planned(self, command: list[str], folder: str, files: dict, timeout: float, max_output: int,
                memory, network: bool, stdin: bytes | None = None) -> Ran | None:
        """The cached answer of ``command`` run (given ``stdin``) with ``folder`` (not made yet)
        holding ``files``, or None: then the caller makes the folder and runs it (``answer`` keys it
        the same way), so a hit makes no folder and writes no file."""
        try:
            name = self.call_key(command, stdin, memory, max_output, network, planned=(folder, files))
        except (Uncacheable, OSError, ValueError):
            return None
        return self.load(name, timeout, [*self.folders, folder])

    def keep(self, command: list[str], folder: str, files: dict, ran: Ran, elapsed: float, max_output: int,
             memory, network: bool, stdin: bytes | None = None) -> None:
        """Keep ``ran`` as the answer of what :meth:`planned` looks up (an answer made another way:
        a kustomize target built in a group, :mod:`k8slint.render.kustomize_batch`)."""
        try:
            name = self.call_key(command, stdin, memory, max_output, network, planned=(folder, files))
        except (Uncacheable, OSError, ValueError):
            return
        self.store(name, ran, elapsed, [*self.folders, folder])

    # -- entries ------------------------------------------------------------------------------

    def load(self, name: str, timeout: float, folders: list[str] | None = None) -> Ran | None:
        data = self.run.store.read(KIND, name)
        if data is None:
            return None
        try:
            ran, elapsed = _decode(data, name, self.folders if folders is None else folders)
        except (ValueError, TypeError, KeyError, IndexError, UnicodeDecodeError):
            return None  # corrupt: rendered and written again
        if elapsed > timeout:
            return None  # it might not finish within this run's limit
        return ran

    def store(self, name: str, ran: Ran, elapsed: float, folders: list[str] | None = None) -> None:
        if ran.status != "ok" or ran.returncode not in (0, 1, None):
            return  # a limit, a signal, a crash (Go's panic is exit 2), a renderer that could not start: not an answer to keep
        # (None: a kept worker's one-line answer, process.ask; it exits only when it breaks)
        if folders is None:
            folders = self.folders + ([self.private] if self.private else [])
        self.run.store.write(KIND, name, _encode(name, ran, elapsed, folders))
        self.run.written = True

    # -- loaded forms -------------------------------------------------------------------------

    def loaded(self, text: str) -> list | None:
        """What :func:`k8slint.load.iter_load` makes of ``text`` (an answer's output), rebuilt from
        its kept form (:mod:`k8slint.load.kept`) or loaded and kept; None when it cannot be keyed."""
        from ..load import iter_load, kept

        if len(text) > MAX_KEPT:
            return None  # loaded one document at a time, as without the cache
        try:
            name = _digest("loaded", kept.identity(), blake2b(text.encode("utf-8", "surrogatepass"), digest_size=32).digest())
        except (OSError, UnicodeEncodeError):
            return None
        data = self.run.store.read(KIND, name)
        if data is not None:
            items = _unkept(data, name)
            if items is not None:
                return items
        items = list(iter_load(text))
        body = kept.dump(items)
        if body is not None:
            check = blake2b(body, digest_size=32).hexdigest().encode("ascii")
            self.run.store.write(KIND, name, _KEPT + check + b"\n" + name.encode("ascii") + b"\n" + body)
            self.run.written = True
        return items


def _scratch_entry(path: Path, out: dict, folders: list[str]) -> None:
    """A file k8slint wrote for the child, by its text with the folders it names as tokens."""
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        out[path] = ("link", _split(os.readlink(path), folders))
    elif stat.S_ISDIR(info.st_mode):
        out[path] = ("dir",)
        for name in sorted(os.listdir(path)):
            _scratch_entry(path / name, out, folders)
    elif stat.S_ISREG(info.st_mode):
        out[path] = _scratch_bytes(path.read_bytes(), folders)
    else:
        raise Uncacheable(f"{path}: not a regular file")


def _planned_entry(data, folders: list[str]):
    """A planned file, folder or link, as :func:`_scratch_entry` will see it once made."""
    if isinstance(data, bytes):
        return _scratch_bytes(data, folders)
    if data == ("dir",):
        return data
    if isinstance(data, tuple) and len(data) == 2 and data[0] == "link" and isinstance(data[1], str):
        return ("link", _split(data[1], folders))
    raise Uncacheable("a planned entry that is no file, folder or link")


def _scratch_bytes(data: bytes, folders: list[str]) -> str:
    if folders and any(f.encode("utf-8", "surrogateescape") in data for f in folders):
        return _digest(_split(data.decode("utf-8", "surrogateescape"), folders))
    return blake2b(data, digest_size=32).hexdigest()


_IDENTITIES: dict = {}


def _program_identity(program: str, path: str) -> tuple:
    """Which executable would run: its real path, size, modification time, inode."""
    import shutil

    found = shutil.which(program, path=path)
    if found is None:
        raise Uncacheable(f"{program}: not found")
    real = os.path.realpath(found)
    info = os.stat(real)
    return real, info.st_size, info.st_mtime_ns, info.st_ino, info.st_dev, info.st_ctime_ns


def _python_identity(module: str) -> tuple:
    """The interpreter, the module's file, and every file of the Helm SDK package it loads."""
    with _LOCK:
        found = _IDENTITIES.get(module)
        if found is not None:
            return found
    import importlib.util

    files = []
    for name in (module, "helm_python"):
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        if spec is None or spec.origin is None:
            files.append((name, None))
            continue
        top = Path(spec.origin).parent if spec.submodule_search_locations else Path(spec.origin)
        # (bytecode caches left out: the interpreter writes them on first use, which is no new engine)
        paths = sorted(p for p in top.rglob("*") if p.is_file() and "__pycache__" not in p.parts) if top.is_dir() else [top]
        for p in paths:
            info = p.stat()
            files.append((str(p), info.st_size, info.st_mtime_ns, info.st_ino))
    identity = (_program_identity(sys.executable, os.defpath + os.pathsep + os.path.dirname(sys.executable)), tuple(files))
    with _LOCK:
        _IDENTITIES[module] = identity
    return identity


def _split(text: str, folders: list[str]) -> list:
    """``text`` as literal pieces and indices (into ``folders``) of the folder paths it names."""
    if not folders or not any(f in text for f in folders):
        return [text]
    import re

    pattern = re.compile("|".join(re.escape(f) for f in sorted(folders, key=len, reverse=True)))
    out: list = []
    at = 0
    for match in pattern.finditer(text):
        out.append(text[at:match.start()])
        out.append(folders.index(match.group(0)))
        at = match.end()
    out.append(text[at:])
    return out


def _join(tokens: list, folders: list[str]) -> str:
    parts = []
    for token in tokens:
        if isinstance(token, int):
            # a folder of the render that answered; this run's one, or (a child's own folder, which a
            # cached answer never made) a name that is no folder
            parts.append(folders[token] if token < len(folders) else os.path.join(tempfile.gettempdir(), "k8slint-cached"))
        elif isinstance(token, str):
            parts.append(token)
        else:
            raise TypeError("token")
    return "".join(parts)


def _encode(name: str, ran: Ran, elapsed: float, folders: list[str]) -> bytes:
    import json

    stdout = _split(ran.stdout.decode("utf-8", "surrogateescape"), folders)
    stderr = _split(ran.stderr, folders)
    header = {"key": name, "returncode": ran.returncode, "elapsed": elapsed, "stdout": stdout, "stderr": stderr}
    body = json.dumps(header, ensure_ascii=True, separators=(",", ":")).encode("ascii")
    return _MAGIC + blake2b(body, digest_size=32).hexdigest().encode("ascii") + b"\n" + body


def _decode(data: bytes, name: str, folders: list[str]) -> tuple[Ran, float]:
    import json

    if not data.startswith(_MAGIC):
        raise ValueError("magic")
    check, _, body = data[len(_MAGIC):].partition(b"\n")
    if blake2b(body, digest_size=32).hexdigest().encode("ascii") != check:
        raise ValueError("digest")
    header = json.loads(body)
    if header["key"] != name:
        raise ValueError("key")
    returncode = header["returncode"]
    if returncode is not None and type(returncode) is not int:
        raise TypeError("returncode")
    elapsed = float(header["elapsed"])
    stdout = _join(header["stdout"], folders).encode("utf-8", "surrogateescape")
    stderr = _join(header["stderr"], folders)
    return Ran("ok", returncode, stdout, stderr), elapsed



def _unkept(data: bytes, name: str) -> list | None:
    """The items of a kept loaded form, or None (not one, corrupt, another key): its digest is
    checked before marshal reads it."""
    from ..load import kept

    if not data.startswith(_KEPT):
        return None
    check, _, rest = data[len(_KEPT):].partition(b"\n")
    key, _, body = rest.partition(b"\n")
    if key != name.encode("ascii") or blake2b(body, digest_size=32).hexdigest().encode("ascii") != check:
        return None
    return kept.rebuild(body)


# -- the render stage's side ------------------------------------------------------------------

def planned(command: list[str], folder: str, files: dict, *, timeout: float, max_output: int,
            memory, network: bool, stdin: bytes | None = None) -> Ran | None:
    """In a cache scope (this thread's render), the cached answer of ``command`` given ``stdin`` and
    the temporary ``folder`` holding ``files`` (a kustomize wrapper, a chart's render folder: not
    made yet), or None (no scope, no entry): see :meth:`Scope.planned`."""
    from . import process

    current = getattr(process._SCOPE, "current", None)
    if current is None:
        return None
    return current.planned(command, folder, files, timeout, max_output, memory, network, stdin)


def keep(command: list[str], folder: str, files: dict, ran: Ran, elapsed: float, *, timeout: float, max_output: int,
         memory, network: bool, stdin: bytes | None = None) -> None:
    """In a cache scope (this thread's render), keep ``ran`` as the answer :func:`planned` finds for
    the same call (see :meth:`Scope.keep`); ``timeout`` is unused (the call's limits are passed whole)."""
    from . import process

    current = getattr(process._SCOPE, "current", None)
    if current is not None:
        current.keep(command, folder, files, ran, elapsed, max_output, memory, network, stdin)


def loaded(text: str) -> list | None:
    """In a cache scope (this thread's render), the documents and load errors of ``text`` (a
    cached or cacheable answer's output) as ``iter_load`` yields them, from their kept form when
    the cache holds it (see :meth:`Scope.loaded`); None otherwise (the caller loads the text)."""
    from . import process

    current = getattr(process._SCOPE, "current", None)
    return None if current is None else current.loaded(text)


@contextmanager
def scope(target, run: Run | None):
    """Render ``target`` in this thread with the cache (``run`` None: without it)."""
    from . import process

    if run is None:
        yield
        return
    try:
        key = target_key(target, run.settings, run)
    except (Uncacheable, OSError, RuntimeError, ValueError):
        key = None
    if key is None:
        yield
        return
    current = Scope(run, key)
    process._SCOPE.current = current
    try:
        yield
    finally:
        process._SCOPE.current = None


def start(settings, store, relocated: bool = False) -> Run | None:
    """The cache of one run's renders in ``store`` (:mod:`k8slint.plan.cache`, which the caller
    hands in: the render stage does not import the plan's), or None when it is off
    (K8SLINT_NO_CACHE=1, --allow-remote). ``relocated``: the tree is a temporary checkout
    (--diff-base), keyed without its place."""
    if store.disabled() or settings.allow_remote:
        return None
    try:
        return Run(settings, store, relocated)
    except Uncacheable:
        return None
