"""The two template languages of ApplicationSets, as Argo CD evaluates them.

* fasttemplate (``goTemplate`` off): ``{{ key }}`` looks ``key`` up in the flat parameter map;
  a key that is not there is left as written.
* Go ``text/template`` (``goTemplate: true``): fields (``.path.basename``), variables, pipelines,
  ``if``/``else``/``with``/``range``, Go's builtins and the Sprig and Argo CD functions ApplicationSets
  use. Values print as Go prints them (a map as ``map[k:v]``, a missing key as ``<no value>``);
  ``missingkey=error`` makes a missing key an error, as it does in Argo CD.

Anything outside that subset raises :class:`TemplateError` with one sentence: the caller notes
the ApplicationSet as not followed rather than guessing. Nothing here runs code or reads files.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import re
from typing import Any, Callable

import yaml


class TemplateError(Exception):
    """The template cannot be evaluated (as Argo CD would fail), or uses something unsupported."""


class Unsupported(TemplateError):
    """The template uses a construct this evaluator does not implement."""


_MISSING = object()  # Go's "no value" (a missing map entry)
MAX_OUTPUT = 1 << 20
MAX_STEPS = 200_000

# ---------------------------------------------------------------- fasttemplate


_FAST = re.compile(r"\{\{(.*?)\}\}", re.S)


def fast(text: str, params: dict[str, str]) -> str:
    """Argo CD's fasttemplate substitution: ``{{ key }}`` -> params[key], else unchanged."""
    if "{{" not in text:
        return text

    def replace(match: re.Match) -> str:
        tag = match.group(1).strip()
        value = params.get(tag)
        return match.group(0) if not tag or value is None else str(value)

    return _FAST.sub(replace, text)


# ---------------------------------------------------------------- values as Go prints them


def go_string(value: Any) -> str:
    if value is _MISSING or value is None:
        return "<no value>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    if isinstance(value, (int, str)):
        return str(value)
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{_inner(value[k])}" for k in sorted(value, key=str)) + "]"
    if isinstance(value, (list, tuple)):
        return "[" + " ".join(_inner(v) for v in value) + "]"
    return str(value)


def _inner(value: Any) -> str:
    return "<nil>" if value is None or value is _MISSING else go_string(value)


def truthy(value: Any) -> bool:
    if value is _MISSING or value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, (str, list, tuple, dict)):
        return len(value) > 0
    return True


def _type_name(value: Any) -> str:
    if value is None or value is _MISSING:
        return "interface {}"
    return {str: "string", bool: "bool", int: "int", float: "float64", list: "[]interface {}",
            dict: "map[string]interface {}"}.get(type(value), type(value).__name__)


# ---------------------------------------------------------------- lexer/parser

_ACTION = re.compile(r"\{\{(-\s)?(.*?)(\s-)?\}\}", re.S)
_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<str>"(?:[^"\\\n]|\\.)*")
  | (?P<raw>`[^`]*`)
  | (?P<char>'(?:[^'\\]|\\.)+')
  | (?P<decl>:=|=)
  | (?P<pipe>\|)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<comma>,)
  | (?P<var>\$[A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)
  | (?P<field>(?:\.[A-Za-z0-9_]+)+|\.)
  | (?P<num>[-+]?(?:0[xX][0-9a-fA-F]+|\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+))
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<after>\.[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)
""", re.X)


class _Node:
    __slots__ = ()


class _Text(_Node):
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


class _Action(_Node):
    __slots__ = ("pipe",)

    def __init__(self, pipe: "_Pipe") -> None:
        self.pipe = pipe


class _Branch(_Node):
    __slots__ = ("kind", "pipe", "body", "other")

    def __init__(self, kind: str, pipe: "_Pipe", body: list, other: list) -> None:
        self.kind, self.pipe, self.body, self.other = kind, pipe, body, other


class _Pipe:
    __slots__ = ("decl", "assign", "commands")

    def __init__(self, decl: list[str], assign: bool, commands: list[list]) -> None:
        self.decl, self.assign, self.commands = decl, assign, commands


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match:
            raise Unsupported(f"unexpected {text[pos:pos + 12]!r} in template action {{{{{text.strip()}}}}}")
        kind = match.lastgroup
        if kind != "ws":
            out.append((kind, match.group(0)))
        pos = match.end()
    return out


def _commands(tokens: list[tuple[str, str]], i: int, nested: bool, action: str) -> tuple[list[list], int]:
    """Commands separated by ``|`` up to the end (or the ``)`` closing a parenthesised pipeline)."""
    commands: list[list] = [[]]
    while i < len(tokens):
        kind, value = tokens[i]
        if kind == "rparen":
            if not nested:
                raise TemplateError(f"unexpected ')' in {{{{{action}}}}}")
            return commands, i + 1
        if kind == "pipe":
            commands.append([])
        elif kind == "lparen":
            sub, i = _commands(tokens, i + 1, True, action)
            commands[-1].append(("sub", sub))
            continue
        elif kind in ("decl", "comma"):
            raise Unsupported(f"cannot read {{{{{action}}}}}")
        elif kind == "after" and not commands[-1]:
            raise Unsupported(f"cannot read {{{{{action}}}}}")
        else:
            commands[-1].append((kind, value))
        i += 1
    if nested:
        raise TemplateError(f"unclosed '(' in {{{{{action}}}}}")
    return commands, i


def _parse_pipe(tokens: list[tuple[str, str]], action: str) -> _Pipe:
    decl: list[str] = []
    assign = False
    cut = next((i for i, t in enumerate(tokens) if t[0] == "decl"), None)  # `$x := ...`, `$i, $v := ...`
    if cut is not None and cut > 0 and all(t[0] in ("var", "comma") for t in tokens[:cut]):
        decl = [t[1] for t in tokens[:cut] if t[0] == "var"]
        assign = tokens[cut][1] == "="
        tokens = tokens[cut + 1:]
    commands, _ = _commands(tokens, 0, False, action)
    if any(not c for c in commands):
        raise TemplateError(f"missing value for command in {{{{{action}}}}}")
    return _Pipe(decl, assign, commands)


@functools.lru_cache(maxsize=4096)
def _parse(text: str) -> tuple:
    """Template text -> tuple of nodes (cached: an ApplicationSet renders the same strings for
    every parameter set)."""
    pieces: list[tuple[str, str]] = []  # ("text", s) / ("action", s)
    pos = 0
    for match in _ACTION.finditer(text):
        chunk = text[pos:match.start()]
        if match.group(1):
            chunk = chunk.rstrip()
        pieces.append(("text", chunk))
        pieces.append(("action", match.group(2).strip()))
        pos = match.end()
        if match.group(3):
            rest = text[pos:]
            pos += len(rest) - len(rest.lstrip())
    pieces.append(("text", text[pos:]))
    root: list = []
    stack: list[tuple[str, _Branch | None, list]] = [("root", None, root)]
    for kind, value in pieces:
        body = stack[-1][2]
        if kind == "text":
            if value:
                body.append(_Text(value))
            continue
        if value.startswith("/*"):
            continue
        word = value.split(None, 1)[0] if value else ""
        rest = value[len(word):].strip()
        if word in ("if", "with", "range"):
            branch = _Branch(word, _parse_pipe(_tokens(rest), value), [], [])
            body.append(branch)
            stack.append((word, branch, branch.body))
        elif word == "else":
            if len(stack) < 2:
                raise TemplateError("unexpected {{else}}")
            _, branch, _ = stack[-1]
            if rest.startswith(("if ", "with ")):
                inner_word = rest.split(None, 1)[0]
                inner = _Branch(inner_word, _parse_pipe(_tokens(rest[len(inner_word):].strip()), value), [], [])
                branch.other.append(inner)
                stack[-1] = (stack[-1][0], branch, branch.other)
                stack.append(("chain", inner, inner.body))
            else:
                stack[-1] = (stack[-1][0], branch, branch.other)
        elif word == "end":
            if len(stack) < 2:
                raise TemplateError("unexpected {{end}}")
            while stack[-1][0] == "chain":
                stack.pop()
            stack.pop()
        elif word in ("define", "template", "block", "break", "continue"):
            raise Unsupported(f"{{{{{word}}}}} is not supported")
        else:
            body.append(_Action(_parse_pipe(_tokens(value), value)))
    if len(stack) != 1:
        raise TemplateError(f"unexpected EOF: {{{{{stack[-1][0]}}}}} has no {{{{end}}}}")
    return tuple(root)


# ---------------------------------------------------------------- evaluation


class _State:
    def __init__(self, root: Any, missing_error: bool, funcs: dict[str, Callable]) -> None:
        self.root = root
        self.missing_error = missing_error
        self.funcs = funcs
        self.scopes: list[dict[str, Any]] = [{"$": root}]
        self.steps = 0
        self.size = 0

    def tick(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise TemplateError("template evaluation takes too many steps")

    def lookup(self, name: str) -> Any:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        raise TemplateError(f"undefined variable: {name}")

    def assign(self, name: str, value: Any) -> None:
        for scope in reversed(self.scopes):
            if name in scope:
                scope[name] = value
                return
        raise TemplateError(f"undefined variable: {name}")


def _field(state: _State, value: Any, names: list[str], shown: str) -> Any:
    for name in names:
        if isinstance(value, dict):
            if name in value:
                value = value[name]
                continue
            if state.missing_error:
                raise TemplateError(f'executing {shown}: map has no entry for key "{name}"')
            value = _MISSING
            continue
        if value is _MISSING or value is None:
            raise TemplateError(f"nil pointer evaluating interface {{}}.{name}")
        raise TemplateError(f"can't evaluate field {name} in type {_type_name(value)}")
    return value


def _operand(state: _State, dot: Any, token: tuple) -> Any:
    kind, value = token
    if kind == "field":
        return dot if value == "." else _field(state, dot, value[1:].split("."), value)
    if kind == "var":
        name, _, rest = value.partition(".")
        base = state.lookup(name)
        return _field(state, base, rest.split("."), value) if rest else base
    if kind == "str":
        return json.loads(value)
    if kind == "raw":
        return value[1:-1]
    if kind == "char":
        return ord(json.loads('"' + value[1:-1].replace('"', '\\"') + '"'))
    if kind == "num":
        try:
            return int(value, 0)
        except ValueError:
            return float(value)
    if kind == "ident":
        if value in ("true", "false"):
            return value == "true"
        if value == "nil":
            return None
        return _call(state, value, [])
    raise Unsupported(f"cannot evaluate {value!r}")


def _run_command(state: _State, dot: Any, command: list, piped: Any, has_piped: bool) -> Any:
    state.tick()
    # field access after a parenthesised value: (...).a.b
    items: list = []
    for token in command:
        if token[0] == "after":
            if not items:
                raise Unsupported("field access on nothing")
            prev = items.pop()
            items.append(("value", _field(state, _value_of(state, dot, prev), token[1][1:].split("."), token[1])))
        else:
            items.append(token)
    head = items[0]
    if head[0] == "ident" and head[1] not in ("true", "false", "nil"):
        args = [_value_of(state, dot, t) for t in items[1:]]
        if has_piped:
            args.append(piped)
        return _call(state, head[1], args)
    if len(items) > 1 or has_piped:
        raise TemplateError(f"can't give argument to non-function {head[1] if head[0] != 'value' else 'value'}")
    return _value_of(state, dot, head)


def _value_of(state: _State, dot: Any, token: tuple) -> Any:
    if token[0] == "value":
        return token[1]
    if token[0] == "sub":
        return _evaluate(state, dot, token[1])
    return _operand(state, dot, token)


def _evaluate(state: _State, dot: Any, commands: list[list]) -> Any:
    result, has = None, False
    for command in commands:
        result = _run_command(state, dot, command, result, has)
        has = True
    return result


def _pipeline(state: _State, dot: Any, pipe: _Pipe) -> Any:
    result = _evaluate(state, dot, pipe.commands)
    if pipe.decl:
        if pipe.assign:
            state.assign(pipe.decl[-1], result)
        else:
            state.scopes[-1][pipe.decl[-1]] = result
    return result


def _call(state: _State, name: str, args: list) -> Any:
    fn = state.funcs.get(name)
    if fn is None:
        raise Unsupported(f'function "{name}" is not supported')
    try:
        return fn(*[None if a is _MISSING else a for a in args])
    except TemplateError:
        raise
    except (TypeError, ValueError, KeyError, IndexError, ZeroDivisionError, AttributeError) as exc:
        raise TemplateError(f"error calling {name}: {exc}") from None


def _emit(state: _State, out: list[str], text: str) -> None:
    state.size += len(text)
    if state.size > MAX_OUTPUT:
        raise TemplateError("template output is larger than 1 MiB")
    out.append(text)


def _walk(state: _State, nodes, dot: Any, out: list[str]) -> None:
    for node in nodes:
        state.tick()
        if isinstance(node, _Text):
            _emit(state, out, node.text)
        elif isinstance(node, _Action):
            value = _pipeline(state, dot, node.pipe)
            if not node.pipe.decl:
                _emit(state, out, go_string(value))
        elif isinstance(node, _Branch):
            state.scopes.append({})
            try:
                if node.kind == "range":
                    _range(state, node, dot, out)
                    continue
                value = _pipeline(state, dot, node.pipe)
                if truthy(value):
                    _walk(state, node.body, value if node.kind == "with" else dot, out)
                else:
                    _walk(state, node.other, dot, out)
            finally:
                state.scopes.pop()


def _range(state: _State, node: _Branch, dot: Any, out: list[str]) -> None:
    decl = node.pipe.decl
    value = _evaluate(state, dot, node.pipe.commands)
    if isinstance(value, dict):
        items = [(k, value[k]) for k in sorted(value, key=str)]
    elif isinstance(value, (list, tuple)):
        items = list(enumerate(value))
    elif isinstance(value, int) and not isinstance(value, bool):
        items = ((i, i) for i in range(value)) if value > 0 else []  # lazily: the step limit stops a huge one
    elif value is None or value is _MISSING:
        items = []
    else:
        raise TemplateError(f"range can't iterate over {go_string(value)}")
    if isinstance(items, list) and not items:
        _walk(state, node.other, dot, out)
        return
    for key, item in items:
        state.tick()
        if len(decl) == 1:
            state.scopes[-1][decl[0]] = item
        elif len(decl) == 2:
            state.scopes[-1][decl[0]] = key
            state.scopes[-1][decl[1]] = item
        _walk(state, node.body, item, out)


def render(text: str, params: dict, *, missing_error: bool = False) -> str:
    """Evaluate Go template ``text`` with ``params`` as dot (Argo CD's goTemplate)."""
    if "{{" not in text:
        return text
    nodes = _parse(text)
    state = _State(params, missing_error, FUNCS)
    out: list[str] = []
    try:
        _walk(state, nodes, params, out)
    except RecursionError:
        raise TemplateError("template nests too deeply") from None
    return "".join(out)


# ---------------------------------------------------------------- functions


def sanitize_name(name: str) -> str:
    """Argo CD's ``normalize``/``basenameNormalized``: a DNS-1123 subdomain-safe name."""
    name = re.sub(r"[^-a-z0-9.]", "-", str(name).lower())[:253]
    return name.strip("-.")


def _slugify(text: str, max_size: int = 50, enable_smart_truncate: bool = True) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")
    if len(slug) > max_size:
        slug = slug[:max_size]
        if enable_smart_truncate and "-" in slug:
            slug = slug.rsplit("-", 1)[0]
    return slug.strip("-")


def _to_yaml(value: Any) -> str:
    if value is None or value is _MISSING:
        return "null"
    return yaml.safe_dump(_plain(value), default_flow_style=False, sort_keys=True).rstrip("\n")


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _to_json(value: Any) -> str:
    return json.dumps(_plain(value), separators=(",", ":"), sort_keys=True)


def _from_yaml(text: str) -> Any:
    try:
        data = yaml.safe_load(str(text))
    except yaml.YAMLError as exc:
        return {"Error": str(exc).splitlines()[0]}
    return data if isinstance(data, dict) else {}


def _from_yaml_array(text: str) -> Any:
    try:
        data = yaml.safe_load(str(text))
    except yaml.YAMLError as exc:
        return [str(exc).splitlines()[0]]
    return data if isinstance(data, list) else []


def _printf(fmt: str, *args: Any) -> str:
    out, index = [], 0

    def take() -> Any:
        nonlocal index
        if index >= len(args):
            return _MISSING
        index += 1
        return args[index - 1]

    for match in re.finditer(r"%([-+# 0]*)(\d*)(?:\.(\d+))?([a-zA-Z%])|[^%]+|%", fmt):
        if not match.group(0).startswith("%") or match.group(0) == "%":
            out.append(match.group(0))
            continue
        verb = match.group(4)
        if verb == "%":
            out.append("%")
            continue
        value = take()
        if value is _MISSING:
            out.append(f"%!{verb}(MISSING)")
            continue
        if verb in "sv":
            text = go_string(value)
        elif verb == "q":
            text = json.dumps(go_string(value))
        elif verb == "d":
            text = str(int(value)) if isinstance(value, (int, float)) and not isinstance(value, bool) else f"%!d({_type_name(value)}={go_string(value)})"
        elif verb in "fFeEgG":
            precision = match.group(3)
            text = format(float(value), f".{precision or 6}{verb}") if verb not in "gG" else go_string(float(value))
        elif verb == "t":
            text = go_string(value)
        elif verb in "xX":
            text = format(int(value), verb) if isinstance(value, int) else str(value).encode().hex()
        else:
            raise Unsupported(f"printf verb %{verb} is not supported")
        width = match.group(2)
        if width and int(width) > MAX_OUTPUT:
            _too_big()
        if width:
            text = text.ljust(int(width)) if "-" in match.group(1) else text.rjust(int(width))
        out.append(text)
    if index < len(args):
        out.append("%!(EXTRA " + ", ".join(f"{_type_name(a)}={go_string(a)}" for a in args[index:]) + ")")
    return "".join(out)


def _index(value: Any, *keys: Any) -> Any:
    for key in keys:
        if isinstance(value, dict):
            value = value.get(key) if key in value else None
        elif isinstance(value, (list, tuple, str)):
            if not isinstance(key, int) or not 0 <= key < len(value):
                raise TemplateError(f"error calling index: index out of range: {key}")
            value = value[key]
        elif value is None:
            raise TemplateError("error calling index: index of untyped nil")
        else:
            raise TemplateError(f"error calling index: can't index item of type {_type_name(value)}")
    return value


def _eq(a: Any, *others: Any) -> bool:
    return any(a == b for b in others)


def _default(default: Any, given: Any = None) -> Any:
    return given if truthy(given) else default


def _trunc(n: int, text: str) -> str:
    text = str(text)
    return text[:n] if n >= 0 else text[n:]


def _num(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return int(value)
    try:
        return int(str(value), 10)
    except ValueError:
        return 0


def _title(text: str) -> str:
    return re.sub(r"(^|\s)(\S)", lambda m: m.group(1) + m.group(2).upper(), str(text))


def _and(*args: Any) -> Any:
    for arg in args:
        if not truthy(arg):
            return arg
    return args[-1] if args else None


def _or(*args: Any) -> Any:
    for arg in args:
        if truthy(arg):
            return arg
    return args[-1] if args else None


def _dict(*pairs: Any) -> dict:
    return {str(pairs[i]): pairs[i + 1] if i + 1 < len(pairs) else "" for i in range(0, len(pairs), 2)}


def _coalesce(*args: Any) -> Any:
    return next((a for a in args if truthy(a)), None)


def _ternary(yes: Any, no: Any, condition: Any) -> Any:
    return yes if truthy(condition) else no


def _too_big() -> str:
    raise TemplateError("template output is larger than 1 MiB")


def _sized(text: str) -> str:
    return text if len(text) <= MAX_OUTPUT else _too_big()


def _indent(n: int, text: str) -> str:
    if int(n) * (str(text).count("\n") + 1) > MAX_OUTPUT:
        _too_big()
    pad = " " * int(n)
    return pad + str(text).replace("\n", "\n" + pad)


def _split_list(sep: str, text: str) -> list:
    return str(text).split(sep)


def _join(sep: str, items: Any) -> str:
    return sep.join(go_string(i) for i in (items or []))


def _substr(start: int, end: int, text: str) -> str:
    text = str(text)
    if start < 0:
        return text[:end]
    if end < 0 or end > len(text):
        return text[start:]
    return text[start:end]


FUNCS: dict[str, Callable] = {
    # Go's builtins
    "and": _and, "or": _or, "not": lambda a: not truthy(a), "len": lambda v: len(v or ()), "index": _index,
    "eq": _eq, "ne": lambda a, b: a != b, "lt": lambda a, b: a < b, "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b, "print": lambda *a: "".join(go_string(x) for x in a),
    "println": lambda *a: " ".join(go_string(x) for x in a) + "\n", "printf": _printf,
    "urlquery": lambda *a: __import__("urllib.parse").parse.quote_plus("".join(go_string(x) for x in a)),
    # Argo CD's own
    "normalize": sanitize_name, "slugify": _slugify, "toYaml": _to_yaml, "fromYaml": _from_yaml,
    "fromYamlArray": _from_yaml_array,
    # Sprig (the text functions ApplicationSets use)
    "default": _default, "empty": lambda v: not truthy(v), "coalesce": _coalesce, "ternary": _ternary,
    "lower": lambda s: str(s).lower(), "upper": lambda s: str(s).upper(), "title": _title,
    "trim": lambda s: str(s).strip(), "trimAll": lambda c, s: str(s).strip(c),
    "trimPrefix": lambda p, s: str(s)[len(p):] if str(s).startswith(p) else str(s),
    "trimSuffix": lambda p, s: str(s)[:-len(p)] if p and str(s).endswith(p) else str(s),
    "replace": lambda old, new, s: str(s).replace(old, new), "contains": lambda sub, s: sub in str(s),
    "hasPrefix": lambda p, s: str(s).startswith(p), "hasSuffix": lambda p, s: str(s).endswith(p),
    "quote": lambda *a: " ".join(json.dumps(go_string(x)) for x in a if x is not None),
    "squote": lambda *a: " ".join(f"'{go_string(x)}'" for x in a if x is not None),
    "trunc": _trunc, "substr": _substr, "repeat": lambda n, s: _sized(str(s) * int(n)) if int(n) * len(str(s)) <= MAX_OUTPUT else _too_big(), "nospace": lambda s: re.sub(r"\s", "", str(s)),
    "join": _join, "splitList": _split_list, "list": lambda *a: list(a), "dict": _dict,
    "get": lambda d, k: (d or {}).get(k, ""), "hasKey": lambda d, k: k in (d or {}), "keys": lambda *ds: [k for d in ds for k in d],
    "toString": go_string, "toJson": _to_json, "toPrettyJson": lambda v: json.dumps(_plain(v), indent=2, sort_keys=True),
    "b64enc": lambda s: base64.b64encode(str(s).encode()).decode(), "b64dec": lambda s: base64.b64decode(str(s)).decode("utf-8", "replace"),
    "sha256sum": lambda s: hashlib.sha256(str(s).encode()).hexdigest(), "sha1sum": lambda s: hashlib.sha1(str(s).encode()).hexdigest(),
    "int": _num, "atoi": _num, "int64": _num, "toDecimal": _num, "add": lambda *a: sum(_num(x) for x in a),
    "add1": lambda a: _num(a) + 1, "sub": lambda a, b: _num(a) - _num(b), "mul": lambda *a: functools.reduce(lambda x, y: x * y, [_num(x) for x in a], 1),
    "div": lambda a, b: int(_num(a) / _num(b)), "mod": lambda a, b: _num(a) % _num(b),
    "max": lambda *a: max(_num(x) for x in a), "min": lambda *a: min(_num(x) for x in a),
    "indent": _indent, "nindent": lambda n, s: "\n" + _indent(n, s), "kebabcase": lambda s: re.sub(r"(?<!^)(?=[A-Z])", "-", str(s)).lower().replace("_", "-"),
    "snakecase": lambda s: re.sub(r"(?<!^)(?=[A-Z])", "_", str(s)).lower().replace("-", "_"),
    "first": lambda v: v[0] if v else None, "last": lambda v: v[-1] if v else None, "rest": lambda v: list(v[1:]) if v else [],
    "initial": lambda v: list(v[:-1]) if v else [], "uniq": lambda v: list(dict.fromkeys(v or [])),
    "has": lambda item, v: item in (v or []), "splitn": lambda sep, n, s: {f"_{i}": p for i, p in enumerate(str(s).split(sep, int(n) - 1))},
    "split": lambda sep, s: {f"_{i}": p for i, p in enumerate(str(s).split(sep))},
}
