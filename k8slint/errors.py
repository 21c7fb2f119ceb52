"""The one error type for "could not check": exit 2 with one sentence, never a traceback.

Every stage raises :class:`K8slintError` (or a subclass naming where it comes from) for input
it cannot use: a bad configuration or rule file, a path that does not exist, a baseline that is
not one, an unknown --format. ``k8slint.lint()`` lets it through to the caller; the command line
prints ``k8slint: error: <sentence>`` and exits 2. Anything else escaping is a bug.
"""

from __future__ import annotations


class K8slintError(Exception):
    """The run cannot check what it was asked to: the message is one sentence for the user."""


class ConfigError(K8slintError):
    """The configuration cannot be used; the message names the file and the key."""


class RuleError(K8slintError):
    """A rule file that cannot be used; the message names the file and the key."""


class TargetError(K8slintError):
    """A path that cannot be linted; the message says why and what to do."""


class BaselineError(K8slintError):
    """The baseline file cannot be used: one sentence."""


class RendererMissing(K8slintError):
    """The renderer a target needs (kustomize, Helm's engine) is not installed or cannot start: the
    run cannot check (exit 2). A renderer that runs and fails is a ``render-error`` finding instead."""
