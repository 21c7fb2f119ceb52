"""Find, read and validate the configuration (.k8slint.yaml or [tool.k8slint] in pyproject.toml)."""

from __future__ import annotations

from dataclasses import field
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..load import decode, load_text
from ..records import FACTORY, record

CONFIG_NAMES = (".k8slint.yaml", ".k8slint.yml")


@record
class Config:
    """A repository's ``.k8slint.yaml`` as loaded (line-aware data), and the file it came from."""

    data: dict = field(default_factory=dict)
    file: Path | None = None

    def __init__(self, data: dict = FACTORY, file: Path | None = None) -> None:
        self.data = {} if data is FACTORY else data
        self.file = file

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def rule(self, rule_id: str) -> dict:
        value = self.data.get("rules", {}).get(rule_id, {})
        return value if isinstance(value, dict) else {}


def find_config(start: Path, stop: Path | None = None) -> Path | None:
    """The nearest .k8slint.yaml (or pyproject.toml with [tool.k8slint]) from ``start`` upwards."""
    start = start if start.is_dir() else start.parent
    for directory in [start, *start.parents]:
        for name in CONFIG_NAMES:
            if (directory / name).is_file():
                return directory / name
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file() and "[tool.k8slint" in pyproject.read_text(encoding="utf-8", errors="replace"):
            return pyproject
        if (directory / ".git").exists() or (stop is not None and directory == stop):
            return None
    return None


def _read(path: Path) -> dict:
    if path.name == "pyproject.toml":
        import tomllib

        try:
            data = tomllib.loads(path.read_text(encoding="utf-8")).get("tool", {}).get("k8slint", {})
        except (tomllib.TOMLDecodeError, OSError) as exc:
            raise ConfigError(f"{path}: {exc}") from None
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{path}: not valid UTF-8 (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})") from None
        except RecursionError:
            raise ConfigError(f"{path}: nesting too deep to read") from None
        except ValueError:  # tomllib's int() of more than 4,300 digits
            raise ConfigError(f"{path}: an integer with more than 4,300 digits") from None
        return data
    try:
        text, error = decode(path.read_bytes())
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
    if error:
        raise ConfigError(f"{path}:{error.line}: {error.message}")
    docs, errors = load_text(text)
    if errors:
        raise ConfigError(f"{path}:{errors[0].line}: {errors[0].message}")
    if not docs:
        return {}
    if len(docs) > 1 or not isinstance(docs[0].data, dict):
        raise ConfigError(f"{path}: the configuration must be one YAML mapping")
    return docs[0].data


def load_config(path: Path | None) -> Config:
    if path is None:
        return Config()
    data = _read(path)
    if data:
        from ..validate import errors

        problems = errors(data, "config.schema.json")
        if problems:
            raise ConfigError(f"{path}: " + "; ".join(problems))
    return Config(data=data, file=path)
