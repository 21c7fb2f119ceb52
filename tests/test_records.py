"""Every ``@record`` class behaves as the dataclass ``@dataclass`` would make of it.

``k8slint.records.record`` keeps a class a dataclass but takes its ``__init__`` from the source
and adds repr, equality, hashing and frozenness without compiling code at import. Each record
of k8slint is compared here with the dataclass ``dataclasses.make_dataclass`` builds from the
same fields (defaults, factories, ``repr=``/``compare=`` flags, frozen, slots, ``__post_init__``):
the same signature, the values ``__init__`` sets (given by position, by keyword, or left to
their defaults), a new value from each factory per object, the same repr, the same answers to
``==`` and ``hash``, the same errors on assigning to or deleting from a frozen one.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import re
from pathlib import Path

import pytest

from k8slint.records import FACTORY, record

PACKAGE = Path(__file__).resolve().parent.parent / "k8slint"


def _record_classes() -> list[type]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        names = re.findall(r"^@record(?:\([^)]*\))?\nclass (\w+)", source, re.M)
        if not names:
            continue
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        module = importlib.import_module(".".join(parts))
        found.extend(getattr(module, name) for name in names)
    return found


RECORDS = _record_classes()


class Marker:
    """A value equal only to itself, with a repr that says which field it was made for."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"


# values a __post_init__ reads (Finding keeps a copy of its object, names shortened)
GIVEN = {"object": lambda: {"kind": "Deployment", "name": "api"}, "message": lambda: "the message"}


def _frozen(cls: type) -> bool:
    return "__setattr__" in cls.__dict__


def _reference(cls: type) -> type:
    """The dataclass ``@dataclass`` makes of ``cls``'s fields."""
    specs = []
    for f in dataclasses.fields(cls):
        kw = {"repr": f.repr, "compare": f.compare, "hash": f.hash}
        if f.default is not dataclasses.MISSING:
            kw["default"] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            kw["default_factory"] = f.default_factory
        elif "__slots__" in cls.__dict__:
            pass
        specs.append((f.name, f.type, dataclasses.field(**kw)))
    namespace = {"__post_init__": cls.__post_init__} if hasattr(cls, "__post_init__") else {}
    ref = dataclasses.make_dataclass(cls.__name__, specs, namespace=namespace, frozen=_frozen(cls),
                                     slots="__slots__" in cls.__dict__)
    ref.__qualname__ = cls.__qualname__
    return ref


def _args(cls: type) -> dict:
    return {f.name: GIVEN[f.name]() if (f.name in GIVEN and hasattr(cls, "__post_init__")) else Marker(f.name)
            for f in dataclasses.fields(cls)}


def _required(cls: type) -> dict:
    return {name: value for name, value in _args(cls).items()
            if next(f for f in dataclasses.fields(cls) if f.name == name).default is dataclasses.MISSING
            and next(f for f in dataclasses.fields(cls) if f.name == name).default_factory is dataclasses.MISSING}


def _parameters(cls: type) -> str:
    return str(inspect.signature(cls.__init__).replace(return_annotation=inspect.Signature.empty))


def _values(obj) -> list:
    return [getattr(obj, f.name) for f in dataclasses.fields(obj)]


def test_records_are_found():
    names = {c.__qualname__ for c in RECORDS}
    assert {"Location", "K8sObject", "Finding", "Report", "Run", "Document", "Settings", "Options"} <= names
    assert len(RECORDS) >= 28


@pytest.mark.parametrize("cls", RECORDS, ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_a_record_is_the_dataclass_of_its_fields(cls):
    ref = _reference(cls)
    assert dataclasses.is_dataclass(cls)
    assert _parameters(cls) == _parameters(ref)
    assert cls.__match_args__ == ref.__match_args__
    assert ("__slots__" in cls.__dict__) == ("__slots__" in ref.__dict__)

    args = _args(cls)
    post = hasattr(cls, "__post_init__")
    ours, theirs = cls(*args.values()), ref(*args.values())
    by_name = cls(**args)
    for f in dataclasses.fields(cls):
        if post:
            assert getattr(ours, f.name) == getattr(theirs, f.name) == getattr(by_name, f.name), f.name
        else:
            assert getattr(ours, f.name) is args[f.name] is getattr(by_name, f.name), f.name
    assert repr(ours) == repr(theirs)
    assert ours == by_name and not (ours != by_name)
    assert ours.__eq__(object()) is NotImplemented
    assert (ours == theirs) is False  # another class, as two dataclasses

    # defaults and factories: the same values, a new one from a factory for every object
    required = _required(cls)
    first, second, theirs_default = cls(**required), cls(**required), ref(**required)
    assert _values(first) == _values(theirs_default)
    assert repr(first) == repr(theirs_default)
    for f in dataclasses.fields(cls):
        if f.default_factory is not dataclasses.MISSING:
            assert getattr(first, f.name) is not getattr(second, f.name), f.name
            assert type(getattr(first, f.name)) is type(f.default_factory()), f.name

    # equality and hashing field by field: a field left out of comparison is left out of both
    for f in dataclasses.fields(cls):
        changed = dict(args, **{f.name: Marker(f.name + "-other")}) if not (post and f.name in GIVEN) else None
        if changed is None:
            continue
        assert (cls(**changed) == ours) == (ref(**changed) == theirs), f.name
    if ref.__hash__ is None:
        assert cls.__hash__ is None
    else:
        assert hash(ours) == hash(theirs)
        assert hash(ours) == hash(by_name)

    replaced = dataclasses.replace(ours, **{dataclasses.fields(cls)[0].name: args[dataclasses.fields(cls)[0].name]})
    assert replaced == ours

    if _frozen(cls):
        name = dataclasses.fields(cls)[0].name
        for action in (lambda o: setattr(o, name, 1), lambda o: delattr(o, name), lambda o: setattr(o, "extra", 1)):
            with pytest.raises(dataclasses.FrozenInstanceError) as mine:
                action(ours)
            with pytest.raises(dataclasses.FrozenInstanceError) as reference:
                action(theirs)
            assert str(mine.value) == str(reference.value)
    else:
        name = dataclasses.fields(cls)[0].name
        setattr(ours, name, "set")
        assert getattr(ours, name) == "set"


def test_a_recursive_record_shows_dots_as_a_dataclass_does():
    @record
    class Node:
        """A node that may hold itself."""

        items: list = dataclasses.field(default_factory=list)

        def __init__(self, items: list = FACTORY) -> None:
            self.items = [] if items is FACTORY else items

    node = Node()
    node.items.append(node)
    assert repr(node) == "test_a_recursive_record_shows_dots_as_a_dataclass_does.<locals>.Node(items=[...])"


@pytest.mark.parametrize("init, error", [
    ("def __init__(self, a): self.a = a", "must take exactly"),  # a field missing
    ("def __init__(self, b, a=1): self.a = a", "must take exactly"),  # in another order
    ("def __init__(self, a, b=2): self.a = a", "defaults must be"),  # another default
    ("def __init__(self, a, b=1, *rest): self.a = a", "must take exactly"),
    ("def __init__(self, a, b=1, **more): self.a = a", "must take exactly"),
    (None, "must define __init__"),
])
def test_an_init_that_does_not_take_the_fields_fails_at_import(init, error):
    namespace: dict = {}
    body = f"    {init}\n" if init else "    pass\n"
    exec(f"class Box:\n    a: int\n    b: int = 1\n{body}", {}, namespace)  # noqa: S102 - a class made in the test
    box = namespace["Box"]
    box.__module__ = __name__
    with pytest.raises(TypeError, match=error):
        record(box)


def test_a_record_may_not_define_what_it_adds():
    class Box:
        a: int

        def __init__(self, a: int) -> None:
            self.a = a

        def __repr__(self) -> str:
            return "box"

    with pytest.raises(TypeError, match="must not define __repr__"):
        record(Box)


def test_no_dataclass_is_compiled_by_a_one_file_check(tmp_path):
    """A check of one plain file imports no class that ``@dataclass`` compiles methods for."""
    import subprocess
    import sys

    (tmp_path / "a.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata: {}\n")
    script = (
        "import dataclasses, sys\n"
        "made = []\n"
        "real = dataclasses._process_class\n"
        "def spy(cls, init, repr, eq, *rest):\n"
        "    if init or repr or eq:\n"
        "        made.append(cls.__module__ + '.' + cls.__qualname__)\n"
        "    return real(cls, init, repr, eq, *rest)\n"
        "dataclasses._process_class = spy\n"
        "from k8slint.api import lint\n"
        "lint([sys.argv[1]], repo_root=sys.argv[2], cache=False)\n"
        "print(sorted(m for m in made if m.startswith('k8slint.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path / "a.yaml"), str(tmp_path)],
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
