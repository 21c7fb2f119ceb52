import os
import sys

# `python -m k8slint` puts the working directory first on sys.path, and the working directory is
# usually the repository being linted: nothing from it may be imported, and a *.dist-info folder
# planted there must not register k8slint.templates entry points.
if sys.path and sys.path[0] in ("", os.getcwd()):
    sys.path.pop(0)

from .entry import run  # noqa: E402

run()
