"""Run-wide settings: command-line flags over the configuration file over defaults."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .config import Config

DEFAULT_MAX_FILE_SIZE = 16 * 1024 * 1024  # per file read and per rendered stream; ~300 MB of memory to load
DEFAULT_MAX_OBJECTS = 200_000
DEFAULT_RENDER_TIMEOUT = 120.0


@dataclass
class Settings:
    repo_root: Path
    config: Config = field(default_factory=Config)
    fail_on: str = "error"
    unknown_env: str = "production"
    allow_remote: bool = False
    render_timeout: float = DEFAULT_RENDER_TIMEOUT
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    max_objects: int = DEFAULT_MAX_OBJECTS
    chart_search: list[Path] = field(default_factory=list)
    kubernetes_version: str | None = None
    crds: list[Path] = field(default_factory=list)  # CustomResourceDefinition files/folders (config crds:, --crd)
    jobs: int = 0  # parallel renders; 0 = number of CPUs
    cache: dict = field(default_factory=dict, repr=False, compare=False)  # run-wide state templates keep across renders

    @classmethod
    def build(cls, repo_root: Path, config: Config, **flags) -> "Settings":
        limits = config.get("limits", {})
        helm = config.get("helm", {})
        base = config.file.parent if config.file else repo_root
        settings = cls(
            repo_root=repo_root,
            config=config,
            fail_on=config.get("fail-on", "error"),
            unknown_env=config.get("unknown-env", "production"),
            allow_remote=config.get("kustomize", {}).get("allow-remote", False),
            render_timeout=float(limits.get("render-timeout", DEFAULT_RENDER_TIMEOUT)),
            max_file_size=int(limits.get("max-file-size", DEFAULT_MAX_FILE_SIZE)),
            max_objects=int(limits.get("max-objects", DEFAULT_MAX_OBJECTS)),
            chart_search=[(base / p).resolve() for p in helm.get("chart-search", [])],
            kubernetes_version=config.get("kubernetes-version"),
            crds=[(base / p).resolve() for p in config.get("crds", [])],
        )
        for key, value in flags.items():
            if value is not None:
                setattr(settings, key, value)
        return settings
