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
from typing import Any, TypeVar

import attrs

_T = TypeVar("_T")
_get = object.__getattribute__
_set = object.__setattr__

CHECK_EVERYTHING = False
"""Validate every field of every revised model, changed or not (the test suite's setting)."""

_Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]
_Plan = tuple[
    Callable[[Any], Any],
    dict[str, tuple["attrs.Attribute[Any]", _Validator | None]],
    tuple[tuple[str, frozenset[str]], ...],
]
_plans: dict[type, _Plan] = {}
_makers: dict[type, Callable[..., Any]] = {}


def _plan(cls: type) -> _Plan:
    """A copier for ``cls`` (one generated function, as attrs generates ``__init__``), each
    field with its validator, and the cached values a change may carry over."""
    fields = attrs.fields(cls)
    if any(f.converter is not None for f in fields) or hasattr(cls, "__attrs_post_init__"):
        raise TypeError(f"{cls.__name__} has converters or a post-init: use attrs.evolve")
    lines = [f"    _set(new, {f.name!r}, old.{f.name})" for f in fields]
    source = "def copy(old):\n    new = _new(cls)\n" + "\n".join(lines) + "\n    return new\n"
    namespace: dict[str, Any] = {"_new": object.__new__, "_set": object.__setattr__, "cls": cls}
    exec(compile(source, f"<orderflow revised {cls.__qualname__}>", "exec"), namespace)
    carried = tuple(getattr(cls, "__carried__", {}).items())
    plan = (namespace["copy"], {f.name: (f, f.validator) for f in fields}, carried)
    _plans[cls] = plan
    return plan


def revised(instance: _T, **changes: Any) -> _T:
    """``instance`` with ``changes``, each changed field validated (and only those)."""
    copy, by_name, carried = _plans.get(type(instance)) or _plan(type(instance))
    new = copy(instance)
    for name, value in changes.items():
        if name not in by_name:
            raise TypeError(f"{type(instance).__name__} has no field {name!r}")
        _set(new, name, value)
    for name, value in changes.items():
        field, validator = by_name[name]
        if validator is not None:
            validator(new, field, value)
    for name, sources in carried:
        if sources.isdisjoint(changes):
            # the slot itself: reading ``instance.name`` would compute it; a try costs less
            # than suppress()
            try:  # noqa: SIM105
                _set(new, name, _get(instance, name))
            except AttributeError:  # not computed yet
                pass
    if CHECK_EVERYTHING:
        attrs.validate(new)
        fresh = attrs.evolve(new)  # nothing cached
        for name, _ in carried:
            if getattr(fresh, name) != getattr(new, name):
                raise AssertionError(f"{name} carried over from a change it depends on")
    typed: _T = new
    return typed


def _maker(cls: type) -> Callable[..., Any]:
    """A constructor for ``cls`` taking its fields by keyword, defaults included, that
    runs no validator (one generated function, as :func:`_plan`'s copier)."""
    fields = attrs.fields(cls)
    if any(isinstance(f.default, attrs.Factory) for f in fields):  # type: ignore[arg-type]
        raise TypeError(f"{cls.__name__} has factory defaults: use its constructor")
    params = [f.name if f.default is attrs.NOTHING else f"{f.name}=_d_{f.name}" for f in fields]
    lines = [f"    _set(new, {f.name!r}, {f.name})" for f in fields]
    source = (
        f"def make(*, {', '.join(params)}):\n    new = _new(cls)\n"
        + "\n".join(lines)
        + "\n    return new\n"
    )
    namespace: dict[str, Any] = {"_new": object.__new__, "_set": object.__setattr__, "cls": cls}
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
