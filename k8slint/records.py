"""Dataclasses whose ``__init__`` is written in the source, not compiled at import.

``@dataclass`` writes the text of a class's ``__init__``, ``__repr__`` and ``__eq__`` (and a
frozen class's ``__setattr__``, ``__delattr__`` and ``__hash__``) and compiles it with ``exec``
when the module is imported: 0.4 ms a class, 0.8 ms a frozen one, in every process, ~15 ms of a
one-file check's start-up for the ~30 classes it imports. ``record`` makes the same class
without compiling anything: the class writes its own ``__init__`` (plain assignments, as fast
per object as the generated one), and ``record`` adds ``__repr__``, ``__eq__`` and, for a
frozen class, ``__hash__``, ``__setattr__`` and ``__delattr__`` that behave as the generated
ones (fields with ``repr=False``/``compare=False`` left out as dataclasses leave them out). The
class is still a dataclass (``dataclasses.fields``, ``replace`` and ``asdict`` work on it).

A field with a ``default_factory`` takes ``FACTORY`` as its ``__init__`` default and makes a new
value when it is given that::

    @record
    class Box:
        name: str
        items: list = field(default_factory=list)

        def __init__(self, name, items=FACTORY):
            self.name = name
            self.items = [] if items is FACTORY else items

A frozen record's ``__init__`` sets its fields with ``object.__setattr__`` (as the generated one
does). ``record`` checks at import that ``__init__`` takes exactly the fields, in order, with
their defaults (``FACTORY`` for a factory), so a field added without its parameter fails at
once; ``tests/test_records.py`` checks every record against the dataclass ``@dataclass`` would
make of it (the values ``__init__`` sets, defaults and factories, repr, equality, hashing,
frozenness).
"""

from __future__ import annotations

import dataclasses
from _thread import get_ident
from operator import attrgetter
from typing import Any, Callable

__all__ = ["FACTORY", "record"]


class _Factory:
    """The default of a field with a ``default_factory`` (shown as dataclasses show it)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<factory>"


FACTORY: Any = _Factory()


def record(cls: type | None = None, /, *, frozen: bool = False, slots: bool = False) -> Any:
    """``@dataclass`` (with ``frozen`` / ``slots``) for a class that writes its own ``__init__``."""

    def wrap(cls: type) -> type:
        return _process(cls, frozen, slots)

    return wrap if cls is None else wrap(cls)


def _process(cls: type, frozen: bool, slots: bool) -> type:
    init = cls.__dict__.get("__init__")
    if init is None:
        raise TypeError(f"record {cls.__qualname__} must define __init__")
    for name in ("__repr__", "__eq__", "__hash__", "__setattr__", "__delattr__"):
        if name in cls.__dict__ and not (name == "__hash__" and cls.__dict__[name] is None):
            raise TypeError(f"record {cls.__qualname__} must not define {name}")
    cls = dataclasses.dataclass(init=False, repr=False, eq=False, slots=slots)(cls)
    fields = dataclasses.fields(cls)
    _check_init(cls, cls.__dict__["__init__"], fields)
    shown = tuple(f.name for f in fields if f.repr)
    compared = tuple(f.name for f in fields if f.compare)
    key = _getter(compared)

    def __repr__(self: Any) -> str:  # noqa: N807 - a dataclass's repr, guarded against recursion as it is
        mark = (id(self), get_ident())
        if mark in _repr_running:
            return "..."
        _repr_running.add(mark)
        try:
            inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
            return f"{self.__class__.__qualname__}({inner})"
        finally:
            _repr_running.discard(mark)

    def __eq__(self: Any, other: Any) -> Any:  # noqa: N807
        if other.__class__ is self.__class__:
            return key(self) == key(other)
        return NotImplemented

    _method(cls, __repr__)
    _method(cls, __eq__)
    if frozen:
        hashed = _getter(tuple(f.name for f in fields if (f.compare if f.hash is None else f.hash)))
        names = frozenset(f.name for f in fields)

        def __hash__(self: Any) -> int:  # noqa: N807
            return hash(hashed(self))

        def __setattr__(self: Any, name: str, value: Any) -> None:  # noqa: N807
            if type(self) is cls or name in names:
                raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
            super(cls, self).__setattr__(name, value)

        def __delattr__(self: Any, name: str) -> None:  # noqa: N807
            if type(self) is cls or name in names:
                raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
            super(cls, self).__delattr__(name)

        for method in (__hash__, __setattr__, __delattr__):
            _method(cls, method)
    else:
        cls.__hash__ = None  # type: ignore[assignment] - compared by value, so unhashable (as a dataclass)
    return cls


_repr_running: set[tuple[int, int]] = set()


def _getter(names: tuple[str, ...]) -> Callable[[Any], tuple]:
    """The tuple of ``names``' values (always a tuple, as the generated methods compare)."""
    if len(names) >= 2:
        return attrgetter(*names)
    if len(names) == 1:
        one = attrgetter(names[0])
        return lambda self: (one(self),)
    return lambda self: ()


def _method(cls: type, fn: Callable) -> None:
    fn.__qualname__ = f"{cls.__qualname__}.{fn.__name__}"
    fn.__module__ = cls.__module__
    setattr(cls, fn.__name__, fn)


def _check_init(cls: type, init: Callable, fields: tuple[dataclasses.Field, ...]) -> None:
    """``init`` takes the fields in order, with their defaults: a few attribute reads, no inspect."""
    code = init.__code__
    params = code.co_varnames[1:code.co_argcount]
    names = tuple(f.name for f in fields)
    if params != names or code.co_kwonlyargcount or code.co_flags & 0x0C:  # no *args / **kwargs
        raise TypeError(f"record {cls.__qualname__}: __init__ must take exactly {names}")
    expected = []
    for f in fields:
        if f.default is not dataclasses.MISSING:
            expected.append(f.default)
        elif f.default_factory is not dataclasses.MISSING:
            expected.append(FACTORY)
        elif expected:
            raise TypeError(f"record {cls.__qualname__}: a field without a default after one with a default")
    defaults = init.__defaults__ or ()
    if len(defaults) != len(expected) or not all(_same(a, b) for a, b in zip(defaults, expected)):
        raise TypeError(f"record {cls.__qualname__}: __init__ defaults must be the fields' defaults")


def _same(given: Any, default: Any) -> bool:
    """The default itself, or an equal value of its type (``frozenset()`` is a new object each time)."""
    return given is default or (type(given) is type(default) and given == default)
