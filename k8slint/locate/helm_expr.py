"""Small readings of Go template text for the Helm locator: the terms of a command, the head of
a pipeline, declared variables, --set keys, a values path followed from a context, and Helm's
merge of values files. Nothing is evaluated beyond what these names say."""

from __future__ import annotations

import re
from typing import Any

ROOT = ("root",)  # the context "." holds at the top of a template: .Values, .Chart, .Release...


def merge(base: dict, override: dict) -> dict:
    """Helm's coalescing of values files: maps merge, everything else replaces, null deletes."""
    out = dict(base)
    for key, value in override.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def set_pairs(expression: str) -> list[tuple[tuple, str]]:
    """'a.b=1,c[0].d=x' -> [(('a','b'), '1'), (('c',0,'d'), 'x')] (Helm's --set key syntax, simply)."""
    out = []
    for pair in re.split(r"(?<!\\),", expression):
        key, _, raw = pair.partition("=")
        steps: list = []
        for part in re.split(r"(?<!\\)\.", key.strip()):
            part = part.replace("\\.", ".")
            found = re.match(r"^([^\[]*)((?:\[\d+\])*)$", part)
            if not found:
                steps.append(part)
                continue
            if found.group(1):
                steps.append(found.group(1))
            steps.extend(int(i) for i in re.findall(r"\[(\d+)\]", found.group(2)))
        if steps:
            out.append((tuple(steps), raw))
    return out


def split_terms(text: str) -> list[str]:
    """Split a template command into terms, keeping strings and parenthesized groups whole."""
    out, buf, depth, quote = [], "", 0, ""
    for ch in text:
        if quote:
            buf += ch
            if ch == quote:
                quote = ""
            continue
        if ch in "\"`":
            quote = ch
            buf += ch
        elif ch == "(":
            depth += 1
            buf += ch
        elif ch == ")":
            depth -= 1
            buf += ch
        elif ch.isspace() and depth <= 0:
            if buf:
                out.append(buf)
            buf = ""
        else:
            buf += ch
    if buf:
        out.append(buf)
    return out


def pipeline_head(text: str) -> str:
    """The first command of a pipeline (up to a '|' outside strings and parentheses)."""
    depth, quote = 0, ""
    for index, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"`":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            return text[:index].strip()
    return text.strip()


def truthy(value: Any) -> bool:
    return value not in (None, False, 0, "", {}, []) and value == value


def split_image(image: str) -> tuple[str, str | None, str | None]:
    digest = None
    if "@" in image:
        image, digest = image.split("@", 1)
    slash, colon = image.rfind("/"), image.rfind(":")
    if colon > slash:
        return image[:colon], image[colon + 1:], digest
    return image, None, digest


def declared(expr: str) -> tuple[list[str], str]:
    """'$i, $v := .Values.x' -> (['$i', '$v'], '.Values.x')."""
    found = re.match(r"^((?:\$\w+\s*,\s*)?\$\w+)\s*:=\s*(.*)$", expr.strip(), re.S)
    if not found:
        return [], expr.strip()
    return [v.strip() for v in found.group(1).split(",")], found.group(2).strip()


def range_expr(expr: str) -> str:
    return pipeline_head(declared(expr)[1])


def descend(base: Any, fields: list[str]) -> Any:
    for position, name in enumerate(fields):
        if base is None:
            return None
        if base == ROOT:
            if name == "Values":
                base = ("values", ())
            elif name == "Chart":
                return ("chart", fields[position + 1] if position + 1 < len(fields) else "")
            else:
                return None
        elif base[0] == "values":
            base = ("values", base[1] + (name,))
        elif base[0] == "dict":
            base = base[1].get(name)
        else:
            return None
    return base
