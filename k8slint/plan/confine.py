"""The configuration is untrusted: it may narrow what a run does, never widen it.

The repository under check brings its own ``.k8slint.yaml`` (or ``[tool.k8slint]``), so a pull
request can change it. Two kinds of setting could let it reach past what the person running
k8slint asked for, and both are bounded here (SECURITY.md):

- paths (``targets:``, ``custom-rules:``, ``crds:``, ``baseline:``, ``helm.chart-search:``) must
  stay inside the repository root, symlinks resolved on the way; one outside is a configuration
  error that names the key and the path as written, never anything read from it;
- ``limits.*`` may only lower the defaults: a larger value (``render-timeout: .inf``) is clamped to
  the default with a note; only the command line raises a limit.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from ..errors import ConfigError

PATH_KEYS = ("targets", "custom-rules", "crds", "baseline", "helm.chart-search")
_FLAGS = {"render-timeout": "--render-timeout", "max-file-size": "--max-file-size", "max-objects": "--max-objects",
          "deadline": "--deadline", "render-memory": "--render-memory"}


def inside(path: Path, roots: list[Path]) -> bool:
    """Whether ``path``, every symlink on the way resolved, is one of ``roots`` or below one."""
    real = Path(os.path.realpath(path))
    for root in roots:
        top = Path(os.path.realpath(root))
        if real == top or top in real.parents:
            return True
    return False


def _listed(config, key: str) -> list:
    if key == "helm.chart-search":
        helm = config.get("helm", {})
        return list(helm.get("chart-search", []) or []) if isinstance(helm, dict) else []
    value = config.get(key)
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def confined_paths(config, base: Path, roots: list[Path], where: str) -> dict[str, list[Path]]:
    """Config key -> its paths (absolute, relative to the configuration's folder), each checked to
    stay inside ``roots``; a path outside is a ConfigError naming the key and the path as written."""
    out: dict[str, list[Path]] = {}
    for key in PATH_KEYS:
        paths = []
        for raw in _listed(config, key):
            text = str(raw)
            if "\x00" in text:
                raise ConfigError(f"{where}: {key}: a path with a NUL character cannot be used")
            path = Path(os.path.normpath(base / text))
            if not inside(path, roots):
                shown = text if len(text) <= 200 else text[:200] + "..."
                raise ConfigError(
                    f"{where}: {key}: {shown!r} is outside the repository (an absolute path, a '..' or a symlink "
                    "leading out); paths in the configuration must stay inside the repository root "
                    "(name anything else on the command line)")
            paths.append(path)
        out[key] = paths
    default_rules = base / ".k8slint" / "rules"
    if config.get("custom-rules") is None and default_rules.is_dir() and not inside(default_rules, roots):
        raise ConfigError(f"{where}: .k8slint/rules is a symlink that leaves the repository; k8slint does not follow it")
    return out


def bounded_limits(limits: dict, defaults: dict, where: str, notes: list[str]) -> dict:
    """``limits:`` from the configuration, each at most its default (a note for each one clamped)."""
    out = dict(defaults)
    for key, default in defaults.items():
        if key not in limits:
            continue
        value = limits[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (isinstance(value, float) and math.isnan(value)) \
                or value <= 0:
            raise ConfigError(f"{where}: limits.{key} must be a positive number")
        if value > default:
            shown = "infinite" if value == math.inf else _short(value)
            notes.append(f"limits.{key}: {shown} in {where} is above the default ({_short(default)}); the repository's "
                         f"configuration may only lower limits, so the default is used (raise it with {_FLAGS[key]})")
            continue
        out[key] = value
    return out


def _short(value) -> str:
    if isinstance(value, int) and value.bit_length() > 100:
        return f"a {value.bit_length()}-bit number"
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return text if len(text) <= 30 else text[:12] + f"... ({len(text)} digits)"
