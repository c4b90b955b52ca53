"""``attrs.evolve`` for the domain's own changes: only the changed fields are validated;
and :func:`built`, for a model the domain makes from values it already holds validated.

A frozen model was validated in full when it was built; a change carries the other fields
over as they are, so checking them again (every timeline entry, line and transaction of an
order, on each of a command's steps) is wasted work. Public constructors and loading
still validate everything; the test suite sets :data:`CHECK_EVERYTHING` so that every
model the domain builds is validated in full there too. A model's ``__carried__`` names
cached properties and the fields they are computed from: a change that leaves those
fields alone keeps the cached value.
"""

from __future__ import annotations

from collections.abc import Callable
from types import MemberDescriptorType
from typing import Any, TypeVar

import attrs

_T = TypeVar("_T")

CHECK_EVERYTHING = False
"""Validate every field of every revised or built model, changed or not; and (in
:mod:`orderflow.serialization`) check every document and event text written against the
plain JSON encoder's. The test suite's setting."""

_revisers: dict[tuple[type, tuple[str, ...]], Callable[..., Any]] = {}
_makers: dict[type, Callable[..., Any]] = {}


def _reviser(cls: type, names: tuple[str, ...]) -> Callable[..., Any]:
    """A function ``(old, *values)`` that copies ``cls`` with the fields ``names`` set to
    ``values`` and validated, and the cached values carried over that do not depend on
    them: generated once per class and set of names, as attrs generates ``__init__``."""
    fields = attrs.fields(cls)
    if any(f.converter is not None for f in fields) or hasattr(cls, "__attrs_post_init__"):
        raise TypeError(f"{cls.__name__} has converters or a post-init: use attrs.evolve")
    by_name = {f.name: f for f in fields}
    for name in names:
        if name not in by_name:
            raise TypeError(f"{cls.__name__} has no field {name!r}")
    values = {name: f"v{i}" for i, name in enumerate(names)}
    namespace: dict[str, Any] = {
        "_new": object.__new__,
        "_set": object.__setattr__,
        "_get": object.__getattribute__,
        "cls": cls,
    }
    lines = ["    new = _new(cls)"]
    lines += [_setter(namespace, cls, f.name, values.get(f.name, "old." + f.name)) for f in fields]
    for name in names:
        if by_name[name].validator is not None:
            namespace[f"f_{name}"] = by_name[name]
            namespace[f"c_{name}"] = by_name[name].validator
            lines.append(f"    c_{name}(new, f_{name}, {values[name]})")
    for name, sources in getattr(cls, "__carried__", {}).items():
        if sources.isdisjoint(names):
            # the slot itself: reading ``old.name`` would compute it
            lines += [
                "    try:",
                f"        _set(new, {name!r}, _get(old, {name!r}))",
                "    except AttributeError:",  # not computed yet
                "        pass",
            ]
    parameters = "".join(f", {values[name]}" for name in names)
    source = f"def revise(old{parameters}):\n" + "\n".join(lines) + "\n    return new\n"
    exec(compile(source, f"<orderflow revised {cls.__qualname__}>", "exec"), namespace)
    revise: Callable[..., Any] = namespace["revise"]
    _revisers[(cls, names)] = revise
    return revise


def slot(cls: type, name: str) -> Any:
    """The member descriptor of the slot ``name`` of ``cls``, if it has one."""
    for base in cls.__mro__:
        if name in base.__dict__:
            found = base.__dict__[name]
            return found if isinstance(found, MemberDescriptorType) else None
    return None


def _setter(namespace: dict[str, Any], cls: type, name: str, value: str) -> str:
    """A generated line setting field ``name`` of ``new`` to ``value``: through the slot's
    own setter when it has one (a third quicker than ``object.__setattr__``, which looks the
    name up on every call), else ``_set``."""
    found = slot(cls, name)
    if found is None:
        return f"    _set(new, {name!r}, {value})"
    namespace[f"s_{name}"] = found.__set__
    return f"    s_{name}(new, {value})"


def revised(instance: _T, **changes: Any) -> _T:
    """``instance`` with ``changes``, each changed field validated (and only those)."""
    key = (type(instance), tuple(changes))
    new: _T = (_revisers.get(key) or _reviser(*key))(instance, *changes.values())
    if CHECK_EVERYTHING:
        attrs.validate(new)  # type: ignore[arg-type]
        fresh = attrs.evolve(new)  # type: ignore[misc]  # nothing cached
        for name in getattr(key[0], "__carried__", {}):
            if getattr(fresh, name) != getattr(new, name):
                raise AssertionError(f"{name} carried over from a change it depends on")
    return new


def _maker(cls: type) -> Callable[..., Any]:
    """A constructor for ``cls`` taking its fields by keyword, defaults included, that
    runs no validator (one generated function, as :func:`_plan`'s copier)."""
    fields = attrs.fields(cls)
    if any(isinstance(f.default, attrs.Factory) for f in fields):  # type: ignore[arg-type]
        raise TypeError(f"{cls.__name__} has factory defaults: use its constructor")
    params = [f.name if f.default is attrs.NOTHING else f"{f.name}=_d_{f.name}" for f in fields]
    namespace: dict[str, Any] = {"_new": object.__new__, "_set": object.__setattr__, "cls": cls}
    lines = [_setter(namespace, cls, f.name, f.name) for f in fields]
    source = (
        f"def make(*, {', '.join(params)}):\n    new = _new(cls)\n"
        + "\n".join(lines)
        + "\n    return new\n"
    )
    namespace.update({f"_d_{f.name}": f.default for f in fields})
    exec(compile(source, f"<orderflow built {cls.__qualname__}>", "exec"), namespace)
    make: Callable[..., Any] = namespace["make"]
    _makers[cls] = make
    return make


def built(cls: type[_T], **fields: Any) -> _T:
    """A new ``cls`` of ``fields``, which the domain took from models already validated
    (a timeline entry from its event): no validator runs, unless :data:`CHECK_EVERYTHING`.
    Public constructors, and anything from outside, still validate everything."""
    new: _T = (_makers.get(cls) or _maker(cls))(**fields)
    if CHECK_EVERYTHING:
        attrs.validate(new)  # type: ignore[arg-type]
    return new
