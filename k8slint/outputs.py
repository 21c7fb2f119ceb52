"""Where a run writes (``--output``, ``--write-baseline``): never over what it reads, atomically,
checked before the check starts.

- :func:`refuse_inputs`: an output that is a file the run reads (a manifest, a values file, the
  configuration, a rule file, the baseline being read) is refused with one sentence, before anything
  is written; ``--write-baseline`` may not name a configuration file nor replace a file that is not a
  k8slint baseline;
- :func:`check_writable`: an output that cannot be written is exit 2 before the check starts (and
  before anything reaches stdout);
- :func:`atomic`: an output is written to a temporary file in its own folder and renamed over the
  target when complete, so a failed run never leaves half a report (or half a baseline).
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

from .errors import K8slintError

CONFIG_NAMES = (".k8slint.yaml", ".k8slint.yml", "pyproject.toml")
BASELINE_FORMAT = "k8slint-baseline/"  # any version: v1 (per target) or v2


def _real(path: str | Path) -> Path:
    return Path(os.path.realpath(os.path.abspath(path)))


def check_writable(path: str, option: str) -> None:
    """Exit 2 (a K8slintError) now if ``path`` cannot be written: no folder, a folder, no permission."""
    real = _real(path)
    folder = real.parent
    if real.is_dir():
        raise K8slintError(f"{option} {path}: is a folder, not a file")
    if not folder.is_dir():
        raise K8slintError(f"{option} {path}: the folder {folder.name or folder} does not exist")
    if real.exists() and not real.is_file():
        raise K8slintError(f"{option} {path}: is not a regular file; k8slint writes only regular files")
    if not os.access(folder, os.W_OK | os.X_OK) or (real.exists() and not os.access(real, os.W_OK)):
        raise K8slintError(f"{option} {path}: cannot write (permission denied)")


def refuse_inputs(path: str, option: str, reads) -> None:
    """Exit 2 if ``path`` is a file the run reads: ``reads(real_path) -> str | None`` says what it is."""
    real = _real(path)
    if not real.is_file():
        return
    what = reads(real)
    if what:
        raise K8slintError(f"{option} {path}: is {what} this run reads; k8slint does not write over its input "
                           "(write the report elsewhere)")


def refuse_baseline_target(path: str, config_file: Path | None) -> None:
    """--write-baseline may not replace a configuration file, nor a file that is not a baseline."""
    real = _real(path)
    if real.name in CONFIG_NAMES or (config_file is not None and real == _real(config_file)):
        raise K8slintError(f"--write-baseline {path}: is a configuration file; write the baseline to its own file "
                           "(e.g. .k8slint-baseline.json) and name it under baseline: in .k8slint.yaml")
    if real.is_file():
        try:
            with open(real, "rb") as stream:
                head = stream.read(4096)
        except OSError:
            return  # check_writable reports it
        if head.strip() and BASELINE_FORMAT.encode() not in head:
            raise K8slintError(f"--write-baseline {path}: exists and is not a k8slint baseline; k8slint does not "
                               "replace it (remove it first, or choose another file)")


@contextmanager
def atomic(path: str | Path):
    """A text stream for ``path``: written to a temporary file beside it, renamed over ``path`` only
    when the block completes; on an error the temporary file is removed and ``path`` is untouched."""
    import tempfile

    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    fd, temp = tempfile.mkstemp(prefix=f".{target.name[:50]}.", suffix=".k8slint-tmp", dir=folder)
    try:
        umask = os.umask(0)
        os.umask(umask)
        try:
            mode = os.stat(target).st_mode & 0o7777 if target.exists() else 0o666 & ~umask
        except OSError:
            mode = 0o666 & ~umask
        os.fchmod(fd, mode)
        with open(fd, "w", encoding="utf-8", newline="\n") as stream:
            yield stream
        os.replace(temp, target)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
