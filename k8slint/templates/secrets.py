"""Secret templates: no plaintext Secret objects in the deploy repo."""

from __future__ import annotations

from typing import Iterator

from ..model import K8sObject, Violation
from . import template


def is_sops_encrypted(obj: K8sObject) -> bool:
    """A SOPS file keeps a top-level `sops:` block and ENC[...] values."""
    if not isinstance(obj.data.get("sops"), dict):
        return False
    for key in ("data", "stringData"):
        values = obj.data.get(key)
        if isinstance(values, dict):
            for value in values.values():
                if isinstance(value, str) and value and not value.startswith("ENC["):
                    return False
    return True


@template(scope="object")
def no_plaintext_secret(obj: K8sObject, params: dict, ctx) -> Iterator[Violation]:
    """A core/v1 Secret with data or stringData values. Only key names are reported."""
    if obj.kind != "Secret" or obj.api_version != "v1" or is_sops_encrypted(obj):
        return
    ns = f"{obj.namespace}/" if obj.namespace else ""
    for field in ("data", "stringData"):
        values = obj.data.get(field)
        if not isinstance(values, dict):
            continue
        keys = sorted(str(k) for k, v in values.items() if v not in (None, ""))
        if keys:
            shown = ", ".join(keys[:10]) + (f" and {len(keys) - 10} more" if len(keys) > 10 else "")
            yield Violation(
                f"Secret {ns}{obj.name} commits plaintext {field} (keys: {shown}; values not shown): "
                "commit a SealedSecret or ExternalSecret instead",
                (field,),
                key=field,
            )
