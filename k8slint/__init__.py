"""k8slint: policy-as-code linter for Kubernetes deploy repositories.

    import k8slint

    report = k8slint.lint(["infra/k8s/overlays/production"], env="production")
    for finding in report.findings:
        print(finding.location.file, finding.location.line, finding.rule, finding.message)

``lint``, ``targets``, ``Report`` and ``K8slintError`` are imported on first use, so that
``k8slint --version`` loads nothing but the command line.
"""

__version__ = "0.1.0"

__all__ = ["K8slintError", "Report", "__version__", "lint", "targets"]

_LAZY = {"lint": "api", "targets": "api", "Report": "report", "K8slintError": "errors"}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'k8slint' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"k8slint.{module}"), name)
