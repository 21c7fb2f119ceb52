"""The console script ``k8slint``: ``--version`` answered before the command line loads.

``k8slint --version`` (or ``-V``) alone prints what click's version option prints, byte for
byte, without importing click (~30-40 ms, most of the run); everything else goes to
:func:`k8slint.cli.run`. Shell completion (``_K8SLINT_COMPLETE``) always goes to click.
"""

from __future__ import annotations

import os
import sys

from . import __version__

VERSION_FLAGS = ("--version", "-V")


def version_only(args: list[str]) -> bool:
    """Whether the command line is just the version flag (with anything else click decides:
    ``--version --bogus`` is a usage error there, not a version)."""
    return len(args) == 1 and args[0] in VERSION_FLAGS and "_K8SLINT_COMPLETE" not in os.environ


def print_version() -> int:
    """Write ``k8slint X.Y.Z`` as click's version option does; the exit code (1 on a closed
    pipe, as click's)."""
    out = sys.stdout
    if out is None:  # no stdout at all: click writes nothing and exits 0
        return 0
    try:
        out.write(f"k8slint {__version__}\n")
        out.flush()
    except BrokenPipeError:
        return 1
    return 0


def run() -> None:  # console-script entry
    if version_only(sys.argv[1:]):
        os._exit(print_version())  # written and flushed: end as the command line's runs do (cli._exit_now)
    from .cli import run as cli_run

    cli_run()
