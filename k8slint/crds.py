"""Custom resource schemas: shipped in ``schemas/crds/``, from ``--crd`` files, or from the render.

A CustomResourceDefinition's ``openAPIV3Schema`` (per version) is turned into a strict JSON
Schema (draft 2020-12) the way the API server reads it:

- an object that lists ``properties`` rejects other fields (``additionalProperties: false``),
  unless ``x-kubernetes-preserve-unknown-fields: true`` (kubectl's strict field validation,
  kubeconform ``-strict``); an object with no ``properties`` keeps what it is given;
- ``x-kubernetes-int-or-string`` accepts an integer or a string;
- ``nullable: true`` accepts null (other nulls are dropped before validation, as the server
  prunes them);
- ``anyOf``/``oneOf``/``allOf``/``not`` only validate values: their branches never make
  fields unknown (a structural schema declares every field outside them);
- OpenAPI's boolean ``exclusiveMinimum``/``exclusiveMaximum`` become JSON Schema numbers;
- CEL rules (``x-kubernetes-validations``), list/map topology hints, descriptions and
  defaults are dropped;
- ``metadata`` is checked as ObjectMeta (name, labels and annotations as strings, no unknown
  keys), as the server does for every custom resource.

``tools/gen_crd_schemas.py`` writes the shipped files with exactly this function, so the
shipped schemas and the CRD reader give the same verdicts.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from .digests import sha256
from .errors import K8slintError
from .resources import schemas_dir

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

OBJECT_META: dict = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string"},
        "generateName": {"type": "string"},
        "namespace": {"type": "string"},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
        "finalizers": {"type": "array", "items": {"type": "string"}},
        "ownerReferences": {"type": "array", "items": {"type": "object"}},
        "managedFields": {"type": "array", "items": {"type": "object"}},
        "uid": {"type": "string"},
        "resourceVersion": {"type": "string"},
        "generation": {"type": "integer"},
        "selfLink": {"type": "string"},
        "creationTimestamp": {"type": "string"},
        "deletionTimestamp": {"type": "string"},
        "deletionGracePeriodSeconds": {"type": "integer"},
    },
}

# JSON Schema keywords kept as they are (value validation); everything else is converted or dropped.
_KEEP = {
    "enum", "pattern", "minLength", "maxLength", "minimum", "maximum", "multipleOf",
    "minItems", "maxItems", "uniqueItems", "minProperties", "maxProperties", "required",
}
_EMBEDDED = {"apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"}}


class CRDError(K8slintError):
    """A --crd path or file that cannot be used: one sentence naming it."""


def to_json_schema(openapi: dict) -> dict:
    """A CRD version's ``openAPIV3Schema`` -> a self-contained strict JSON Schema."""
    schema = _convert(openapi, structural=True)
    schema.setdefault("type", "object")
    props = schema.setdefault("properties", {})
    props["apiVersion"] = {"type": "string"}
    props["kind"] = {"type": "string"}
    props["metadata"] = OBJECT_META
    if isinstance(openapi, dict) and "properties" in openapi and not openapi.get("x-kubernetes-preserve-unknown-fields"):
        schema["additionalProperties"] = False
    return {"$schema": SCHEMA_DIALECT, **schema}


def _convert(node: Any, structural: bool) -> dict:
    if not isinstance(node, dict):
        return {}
    out: dict = {}
    for key, value in node.items():
        if key in _KEEP or key == "type":
            out[key] = _plain(value)
        elif key == "properties" and isinstance(value, dict):
            out["properties"] = {name: _convert(sub, structural) for name, sub in value.items()}
        elif key == "items":
            if isinstance(value, dict):
                out["items"] = _convert(value, structural)
            elif isinstance(value, list) and value:  # OpenAPI tuple form, not allowed in CRDs: take the first
                out["items"] = _convert(value[0], structural)
        elif key == "additionalProperties":
            out["additionalProperties"] = value if isinstance(value, bool) else _convert(value, structural)
        elif key in ("anyOf", "oneOf", "allOf") and isinstance(value, list):
            out[key] = [_convert(branch, structural=False) for branch in value]
        elif key == "not":
            out["not"] = _convert(value, structural=False)
    for bound, limit in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if node.get(bound) is True and limit in node:
            out[bound] = out.pop(limit)
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        if "anyOf" not in out:
            out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if node.get("x-kubernetes-embedded-resource") and "properties" in out:
        for name, sub in _EMBEDDED.items():
            out["properties"].setdefault(name, sub)
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"] if isinstance(out["type"], str) else [*out["type"], "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    if structural and "properties" in out and "additionalProperties" not in out \
            and not node.get("x-kubernetes-preserve-unknown-fields"):
        out["additionalProperties"] = False
    return out


def _plain(value: Any) -> Any:
    """Plain dicts and lists (a render's CRD is made of the loader's YMap/YList)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class CrdVersion:
    """One served version of a CustomResourceDefinition: its kind, plural, schema and where it was defined."""

    group: str
    version: str
    kind: str
    plural: str
    openapi: Any  # the version's openAPIV3Schema (None: the CRD gives no schema)
    origin: str  # where it came from, for messages

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}"

    @property
    def crd_name(self) -> str:
        return f"{self.plural}.{self.group}"


def crd_versions(crd: Any, origin: str) -> list[CrdVersion]:
    """Every version of a CustomResourceDefinition (apiextensions v1 or v1beta1) with its schema."""
    if not isinstance(crd, dict) or crd.get("kind") != "CustomResourceDefinition":
        return []
    spec = crd.get("spec")
    if not isinstance(spec, dict):
        return []
    names = spec.get("names") if isinstance(spec.get("names"), dict) else {}
    group, kind = spec.get("group"), names.get("kind")
    if not isinstance(group, str) or not isinstance(kind, str):
        return []
    plural = names.get("plural") if isinstance(names.get("plural"), str) else kind.lower() + "s"
    shared = spec.get("validation", {}).get("openAPIV3Schema") if isinstance(spec.get("validation"), dict) else None
    versions = spec.get("versions")
    out = []
    if isinstance(versions, list) and versions:
        for item in versions:
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                continue
            schema = item.get("schema", {}).get("openAPIV3Schema") if isinstance(item.get("schema"), dict) else None
            out.append(CrdVersion(group, item["name"], kind, plural, schema if schema is not None else shared, origin))
    elif isinstance(spec.get("version"), str):  # apiextensions v1beta1 with one version
        out.append(CrdVersion(group, spec["version"], kind, plural, shared, origin))
    return out


def shipped_file_name(group: str, version: str, kind: str) -> str:
    return f"{kind.lower()}_{group}_{version}.json"


@functools.lru_cache(maxsize=None)
def shipped_schema(group: str, version: str, kind: str) -> dict | None:
    """The schema k8slint ships for a custom resource, or None."""
    path = schemas_dir() / "crds" / shipped_file_name(group, version, kind)
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        return None


def digest(schema: Any) -> str:
    return sha256(json.dumps(schema, sort_keys=True, default=str).encode()).hexdigest()[:24]


# -- CRDs a user points at (--crd, crds: in config) ----------------------------------------------
_CRD_SUFFIXES = (".yaml", ".yml", ".json")


def _crd_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in _CRD_SUFFIXES
                      and not any(part.startswith(".") for part in p.relative_to(path).parts))
    raise CRDError(f"--crd {path}: no such file or directory")


def load_crd_paths(paths: Iterable[Path], display: Any = str) -> dict[tuple[str, str, str], CrdVersion]:
    """(group, version, kind) -> CrdVersion from files and folders of CRDs; later paths win."""
    from .load import decode, load_text

    found: dict[tuple[str, str, str], CrdVersion] = {}
    for base in paths:
        for path in _crd_files(Path(base)):
            name = display(path)
            try:
                raw = path.read_bytes()
            except OSError as exc:
                raise CRDError(f"--crd {name}: cannot be read ({exc.strerror})") from None
            text, error = decode(raw)
            if error is not None:
                raise CRDError(f"--crd {name}:{error.line}: {error.message}")
            docs, errors = load_text(text)
            if errors:
                raise CRDError(f"--crd {name}:{errors[0].line}: {errors[0].message}")
            for doc in docs:
                items = doc.data.get("items") if isinstance(doc.data, dict) and str(doc.data.get("kind", "")).endswith("List") else [doc.data]
                for item in items if isinstance(items, list) else []:
                    for version in crd_versions(item, f"from {name}"):
                        found[(version.group, version.version, version.kind)] = version
    return found
