"""Helm templates read as what they are written as: YAML lines with Go template actions in them.

A template is not YAML, but its lines have YAML's shape, and that shape is enough to follow a
rendered path back to the line that wrote it. :func:`parse` turns a template file into a
skeleton per document: keys (``image:``), list items (``- name: web``) and *splices*, actions
that put in lines the template does not show (``{{ include "x.labels" . | nindent 4 }}``,
``{{ toYaml .Values.resources | nindent 12 }}``), each with the ``if``/``with``/``range`` blocks
around it. ``define`` bodies are skeletons of their own, looked up by name. Nothing is executed:
the text is only read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_ACTION = re.compile(r"\{\{(.*?)\}\}", re.S)
_COMMENT = re.compile(r"\{\{-?\s*/\*.*?\*/\s*-?\}\}", re.S)
_KEY = re.compile(r"""^(?P<key>"[^"]*"|'[^']*'|\{\{.*?\}\}|[^\s#'"{\[\]][^:#]*?)\s*:(?=\s|$)""")
_BLOCK = re.compile(r"^[|>][0-9+-]*\s*(?:#.*)?$")
_CONTROL = re.compile(r"^(else\s+if|else\s+with|if|else|end|range|with|define|block|break|continue)\b\s*(.*)$", re.S)
_INDENT = re.compile(r"\bn?indent\s+(\d+)")
_ACTION_KEY = re.compile(r"^\{\{.*?\}\}\s*:")
_DOCUMENT = re.compile(r"^---(\s|$)")
_HEAD = re.compile(r"^(?:\{\{.*?\}\}\s*)+")
MAX_LINES = 20_000
MAX_LINE = 4_000  # a longer line (or action run over lines) is text to the skeleton, not structure


@dataclass(eq=False, slots=True)
class Frame:
    """An open ``if``/``with``/``range``/``define`` block, as seen by the lines inside it."""

    kind: str  # if, with, range, define
    expr: str  # the condition, the with/range pipeline, or the define's name
    line: int
    conds: tuple = ()  # ((expression, wanted truth), ...) that must hold for the lines of this branch
    chain: tuple = ()  # the conditions of this if/else-if chain so far
    otherwise: bool = False  # the else branch of a with/range


@dataclass(eq=False, slots=True)
class Node:
    """One structural line: a key, a list item, or a splice; the root of a document has line 0."""

    line: int
    indent: int  # column of the key or dash; for a splice, the column its content lands at
    key: str | None = None  # the key as written (quotes removed); may hold an action (a dynamic key)
    value: str = ""  # the text after "key:" or "- ", actions included
    item: bool = False  # starts a list item
    splice: str = ""  # the action of a splice, without the braces
    guards: tuple = ()  # open frames around the line, outermost first
    block: bool = False  # the value is a block scalar (| or >)
    children: list = field(default_factory=list)
    parent: "Node | None" = None
    end: int = 0  # for a define's root: the line of its closing end

    def name_line(self) -> int:
        """A list item's ``name:`` line when it has a literal one (``- name: web``), else its own."""
        for child in self.children:
            if child.key == "name" and not child.splice:
                return child.line
        return self.line

    def literal_name(self) -> str | None:
        for child in self.children:
            if child.key == "name" and not child.splice:
                return unquote(child.value) if child.value and "{{" not in child.value else None
        return None


@dataclass
class Skeleton:
    docs: list  # one root Node per document (split at ---)
    defines: dict  # define name -> root Node of its body (line = the define line, end = its end line)


def unquote(text: str) -> str:
    if text and text[0] not in "'\" \t" and text[-1] not in "'\" \t":
        return text
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def splice_column(action: str, leading: int) -> int:
    found = _INDENT.search(action)
    return int(found.group(1)) if found else leading


def is_structured(action: str) -> bool:
    """An action on a key's line that writes a block of YAML lines under the key (rather than a value)."""
    return bool(_INDENT.search(action))


def control(action: str) -> tuple[str, str] | None:
    found = _CONTROL.match(action)
    if not found:
        return None
    word = found.group(1)
    if " " in word or len(word) > 8 or not word.isalpha():  # "else  if", "else\tif": one space
        word = " ".join(word.split())
    return word, found.group(2).strip()


def inner(action_text: str) -> str:
    """'{{- include "x" . | nindent 4 }}' -> 'include "x" . | nindent 4'."""
    text = action_text
    if text.startswith("-"):
        text = text[1:]
    if text.endswith("-"):
        text = text[:-1]
    return text.strip()


class _Builder:
    def __init__(self) -> None:
        self.frames: list[Frame] = []
        self.docs: list[Node] = [Node(0, -1)]
        self.defines: dict[str, Node] = {}
        self.open: list[Node] = [self.docs[0]]
        self.saved: list[tuple[list[Node], Node]] = []  # (open nodes, define root) while inside define
        self.block: int | None = None  # the indentation a block scalar's content must exceed
        self._guards: tuple | None = None  # guards() until the frames change

    # -- control flow ----------------------------------------------------------------------
    def apply(self, word: str, arg: str, line: int) -> None:
        frames = self.frames
        self._guards = None
        if word == "if":
            frames.append(Frame("if", arg, line, ((arg, True),), (arg,)))
        elif word in ("else if", "else with"):
            top = frames.pop() if frames and frames[-1].kind in ("if", "with") else Frame("if", "", line)
            conds = tuple((e, False) for e in top.chain) + ((arg, True),)
            frames.append(Frame(top.kind if word == "else with" else "if", arg, line, conds, top.chain + (arg,)))
        elif word == "else":
            if frames and frames[-1].kind in ("if", "with", "range"):
                top = frames.pop()
                conds = tuple((e, False) for e in top.chain) if top.kind == "if" else ((top.expr, False),)
                frames.append(Frame(top.kind, top.expr, line, conds, top.chain, otherwise=True))
        elif word in ("with", "range"):
            frames.append(Frame(word, arg, line, ((arg, True),), (arg,)))
        elif word in ("define", "block"):
            name = re.match(r'"([^"]*)"', arg)
            frames.append(Frame("define", name.group(1) if name else arg, line))
            root = Node(line, -1)
            if name:
                self.defines.setdefault(name.group(1), root)
            self.saved.append((self.open, root))
            self.open = [root]
            self.block = None
        elif word == "end":
            if not frames:
                return
            top = frames.pop()
            if top.kind == "define" and self.saved:
                opened, root = self.saved.pop()
                root.end = line
                self.open = opened
                self.block = None

    def guards(self) -> tuple:
        found = self._guards
        if found is None:
            found = self._guards = tuple(f for f in self.frames if f.kind != "define")
        return found

    # -- structure ---------------------------------------------------------------------------
    def attach(self, node: Node) -> None:
        stack = self.open
        column = node.indent
        while len(stack) > 1:
            top = stack[-1]
            if top.indent < column:
                break
            if (top.indent == column and (node.item or node.splice) and top.key is not None and not top.item
                    and not top.value and not top.splice):
                break  # a compact sequence: "key:" and its "- " items in one column
            stack.pop()
        parent = stack[-1]
        node.parent = parent
        parent.children.append(node)
        stack.append(node)

    def new_document(self, line: int) -> None:
        root = Node(line, -1)
        self.docs.append(root)
        self.open = [root]
        self.block = None

    def actions(self, text: str, line: int, leading: int, structural: bool) -> None:
        """Apply the control actions of a line; on an action-only line, outputs become splices."""
        for found in _ACTION.finditer(text):
            action = inner(found.group(1))
            parsed = control(action)
            if parsed is not None:
                self.apply(parsed[0], parsed[1], line)
            elif structural and action and not re.match(r"^\$[\w]*\s*:?=", action) and self.block is None:
                self.attach(Node(line, splice_column(action, leading), splice=action, guards=self.guards()))

    def yaml_line(self, stripped: str, line: int, leading: int) -> None:
        guards = self.guards()
        column = leading
        rest = stripped
        if rest == "-" or rest.startswith("- "):
            item = Node(line, column, item=True, guards=guards)
            self.attach(item)
            after = rest[1:].lstrip()
            column = column + len(rest) - len(after)
            rest = after
            if not rest:
                return
            found = _KEY.match(rest) if not rest.startswith("{{") or _ACTION_KEY.match(rest) else None
            if found is None:
                item.value = rest
                if _BLOCK.match(rest):
                    item.block = True
                    self.block = item.indent
                return
        found = _KEY.match(rest)
        if found is None:
            return  # a line the skeleton does not need (a flow item continuation, text)
        key = unquote(found.group("key"))
        value = rest[found.end():].strip()
        node = Node(line, column, key=key, value=value, guards=guards)
        self.attach(node)
        if value and _BLOCK.match(value):
            node.block = True
            self.block = column
            return
        if not value.startswith("{{"):
            return
        actions = _ACTION.findall(value)
        if len(actions) == 1 and _ACTION.sub("", value).strip() == "":
            action = inner(actions[0])
            if control(action) is None and is_structured(action):
                node.value = ""
                child = Node(line, splice_column(action, column + 2), splice=action, guards=guards)
                child.parent = node
                node.children.append(child)


def parse(text: str) -> Skeleton:
    builder = _Builder()
    lines = text.splitlines()[:MAX_LINES]
    number = 0
    while number < len(lines):
        raw = lines[number]
        first = number + 1
        number += 1
        braces = "{{" in raw
        # an action may run over several lines: join them
        while braces and raw.count("{{") > raw.count("}}") and number < len(lines) and number - first < 200 and len(raw) < MAX_LINE:
            raw += "\n" + lines[number]
            number += 1
        if len(raw) > MAX_LINE:
            continue
        if braces and "/*" in raw:
            raw = _COMMENT.sub("", raw)
        stripped = raw.strip()
        if not stripped:
            continue
        leading = len(raw) - len(raw.lstrip(" "))
        braces = "{{" in stripped
        bare = _ACTION.sub("", stripped).strip() if braces else stripped
        if builder.block is not None:
            if not bare or leading > builder.block:
                builder.actions(stripped, first, leading, structural=False)
                continue
            builder.block = None
        if bare.startswith("#") and not stripped.startswith("{{"):
            continue
        if stripped.startswith("---") and _DOCUMENT.match(stripped) and not builder.saved:
            builder.new_document(first)
            builder.actions(stripped, first, leading, structural=False)
            continue
        if not bare:
            builder.actions(stripped, first, leading, structural=True)
            continue
        if stripped.startswith("{{"):  # control actions before the YAML text on one line
            head = _HEAD.match(stripped)
            if head and all(control(inner(a)) is not None for a in _ACTION.findall(head.group(0))):
                builder.actions(head.group(0), first, leading, structural=False)
                leading += head.end()
                stripped = stripped[head.end():]
                if not stripped.strip():
                    continue
        builder.yaml_line(stripped, first, leading)
        if "{{" not in stripped:
            continue
        tail = [inner(a) for a in _ACTION.findall(stripped)]
        for action in tail:  # if/end inside a YAML line (balanced ones cancel out)
            parsed = control(action)
            if parsed is not None:
                builder.apply(parsed[0], parsed[1], first)
    return Skeleton(builder.docs, builder.defines)


def local_guards(node: Node, parent: Node | None) -> tuple:
    """The frames around ``node`` that are not around its parent (an ``if`` or ``range`` that wraps
    just this item)."""
    outer = set(map(id, parent.guards)) if parent is not None else set()
    return tuple(f for f in node.guards if id(f) not in outer)
