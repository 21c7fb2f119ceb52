"""Render charts with Helm's Go SDK in a child process (``python -m k8slint.render.helm_worker``).

The parent sends ``{"chart", "values", "name", "namespace"}`` as one line of JSON on stdin and
reads ``{"manifests": {...}}`` or ``{"error": "..."}`` as one line from stdout; the worker answers
request after request until its stdin closes (``--serve``), or one request read to the end of
stdin without it. Running the SDK out of process lets the parent stop a template that loops or
eats memory (limits.render-timeout, limits.render-memory: the worker is killed and the next
request gets a new one) and keeps a Go runtime crash from taking the whole run down; the child
also starts with the no-network environment, so the Go runtime never sees a usable proxy.
"""

from __future__ import annotations

import json
import sys


def _renderer():
    """(render(request) -> answer): the SDK loaded once."""
    try:
        from helm_python import Chart  # type: ignore[import-not-found]
        from helm_python.errors import HelmError  # type: ignore[import-not-found]
    except ImportError:
        def missing(request: dict) -> dict:
            return {"error": "no Helm found: install k8slint with its renderers (pip install 'k8slint[render]') or put helm on PATH",
                    "missing": True}
        return missing

    def render(request: dict) -> dict:
        try:
            with Chart.load(request["chart"]) as chart:
                return {"manifests": chart.render(request["values"], name=request["name"], namespace=request["namespace"])}
        except HelmError as exc:
            return {"error": str(exc)}

    return render


def main(argv: list[str]) -> int:
    render = _renderer()
    if "--serve" not in argv:
        json.dump(render(json.load(sys.stdin)), sys.stdout)
        return 0
    out = sys.stdout
    for line in sys.stdin.buffer:  # ASCII JSON (ensure_ascii): one request per line, one answer per line
        out.write(json.dumps(render(json.loads(line))))
        out.write("\n")
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
