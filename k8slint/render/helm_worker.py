"""Render one chart with Helm's Go SDK in a child process (``python -m k8slint.render.helm_worker``).

The parent gives it ``{"chart", "values", "name", "namespace"}`` as JSON on stdin and reads
``{"manifests": {...}}`` or ``{"error": "..."}`` from stdout. Running the SDK out of process lets
the parent stop a template that loops or eats memory (limits.render-timeout) and keeps a Go
runtime crash from taking the whole run down; the child also starts with the no-network
environment, so the Go runtime never sees a usable proxy.
"""

from __future__ import annotations

import json
import sys


def main() -> int:
    request = json.load(sys.stdin)
    try:
        from helm_python import Chart  # type: ignore[import-not-found]
        from helm_python.errors import HelmError  # type: ignore[import-not-found]
    except ImportError:
        answer = {"error": "no Helm found: install k8slint with its renderers (pip install 'k8slint[render]') or put helm on PATH",
                  "missing": True}
    else:
        try:
            with Chart.load(request["chart"]) as chart:
                answer = {"manifests": chart.render(request["values"], name=request["name"], namespace=request["namespace"])}
        except HelmError as exc:
            answer = {"error": str(exc)}
    json.dump(answer, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
