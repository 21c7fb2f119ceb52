"""``assert:`` rules: a JSON Schema that each subject (object, pod spec or container) must satisfy."""

from __future__ import annotations

from typing import Any, Iterable

from ..model import K8sObject, Violation, fill_message


class Asserts:
    """Runs ``assert:`` rules; each rule's validator is built once per run."""

    def __init__(self) -> None:
        self._validators: dict[str, Any] = {}

    def run(self, rule, subject: Any, ctx) -> Iterable[Violation]:
        spec = rule.data["assert"]
        validator = self._validators.get(rule.id)
        if validator is None:
            import jsonschema

            cls = _linear(jsonschema.validators.validator_for(spec["schema"]))
            validator = cls(spec["schema"])
            self._validators[rule.id] = validator
        data, base, obj, container = _subject_data(subject)
        error = next(iter(sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))), None)
        if error is None:
            return ()
        rel = tuple(error.absolute_path) or tuple(spec.get("path", ()))
        field_path = ".".join(str(p) for p in rel) or "(object)"
        explanation = f"{field_path} fails {error.validator} {error.validator_value!r}" if not isinstance(error.validator_value, (dict, list)) else f"{field_path} fails {error.validator}"
        message = fill_message(spec["message"], dict(
            kind=obj.kind, name=obj.name, namespace=obj.namespace or "", container=container or "",
            env=ctx.env_phrase, error=explanation,
        ))
        return (Violation(message, base + rel, key=container or ""),)


def _subject_data(subject: Any) -> tuple[Any, tuple, K8sObject, str | None]:
    from ..workloads import Container, Workload

    if isinstance(subject, Container):
        return subject.data, subject.path, subject.obj, subject.name
    if isinstance(subject, Workload):
        return subject.spec, subject.path, subject.obj, None
    return subject.data, (), subject, None


def _linear(cls):
    """The validator class with ``pattern`` and ``patternProperties`` matched by RE2 (linear time:
    the patterns come with the rule files, which come with the repository)."""
    import jsonschema

    from .. import regex

    def pattern(validator, patrn, instance, schema):
        if validator.is_type(instance, "string") and not regex.search(patrn, instance):
            yield jsonschema.ValidationError(f"does not match {patrn!r}")

    def pattern_properties(validator, patterns, instance, schema):
        if not validator.is_type(instance, "object"):
            return
        for patrn, subschema in patterns.items():
            for key, value in instance.items():
                if regex.search(patrn, key):
                    yield from validator.descend(value, subschema, path=key, schema_path=patrn)

    return jsonschema.validators.extend(cls, {"pattern": pattern, "patternProperties": pattern_properties})
