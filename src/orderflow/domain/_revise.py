"""``attrs.evolve`` for the domain's own changes: only the changed fields are validated.

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
