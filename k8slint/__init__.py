"""k8slint: policy-as-code linter for Kubernetes deploy repositories."""

__version__ = "0.1.0"
