"""Generated loaders and dumpers for the domain's frozen models and their documents.

A loader is one function per model, generated as attrs generates ``__init__``: it takes each field
from the object (through its cattrs hook, or as it is for plain JSON values), sets it,
then runs every validator of the model, as ``__init__`` does: inlined where the validator
offers a quick test (``_fields.QUICK``), the validator itself called when the test fails
(to refuse the value, saying why). Only the keyword-argument plumbing of ``cattrs`` and
``__init__`` is left out; a document that fails is loaded again by the detailed converter,
which says where.

A dumper is the other way: one function per model that builds the model's JSON object
from its fields, keys in sorted order (so ``json.dumps`` need not sort them), plain JSON
values as they are and the rest through the converter's hooks.
"""

from __future__ import annotations

from collections.abc import Callable
from types import NoneType, UnionType
from typing import Any, Union, get_origin

import attrs
import cattrs

from orderflow.domain._fields import QUICK

Hook = Callable[[Any, Any], Any]


def loadable(cls: Any) -> bool:
    """Can :func:`loader` build ``cls``? Frozen attrs models with no converter, post-init,
    ``init=False`` field or alias: every model of the domain."""
    if not (isinstance(cls, type) and attrs.has(cls)) or hasattr(cls, "__attrs_post_init__"):
        return False
    return all(
        f.init
        and f.converter is None
        and f.alias == f.name.lstrip("_") == f.name
        and not (isinstance(f.default, attrs.Factory) and f.default.takes_self)  # type: ignore[arg-type]
        for f in attrs.fields(cls)
    )


def loader(cls: type, converter: cattrs.Converter, *, as_is: Hook) -> Hook:
    """The loader of ``cls``; fields whose hook is ``as_is`` are taken as they are."""
    attrs.resolve_types(cls)
    fields = attrs.fields(cls)
    scope: dict[str, Any] = {
        "_cls": cls,
        "_new": object.__new__,
        "_set": object.__setattr__,
        "_names": frozenset(f.name for f in fields),
    }
    take, check = [], []
    for i, f in enumerate(fields):
        hook = converter.get_structure_hook(f.type)
        value = f"o[{f.name!r}]"
        if hasattr(hook, "member"):  # an optional value: None, or its member's hook
            scope[f"_h{i}"], scope[f"_t{i}"] = hook.member
            value = f"(None if (x{i} := {value}) is None else _h{i}(x{i}, _t{i}))"
        elif hook is not as_is:
            scope[f"_h{i}"], scope[f"_t{i}"] = hook, f.type
            value = f"_h{i}({value}, _t{i})"
        if f.default is not attrs.NOTHING:  # a default is the model's own value: no hook
            factory = isinstance(f.default, attrs.Factory)  # type: ignore[arg-type]
            scope[f"_d{i}"] = f.default.factory if factory else f.default
            if hook is as_is and not factory:
                value = f"o.get({f.name!r}, _d{i})"
            else:
                value = f"({value} if {f.name!r} in o else _d{i}{'()' if factory else ''})"
        take.append(f"    x{i} = {value}\n    _set(new, {f.name!r}, x{i})")
        if f.validator is None:
            continue
        scope[f"_v{i}"], scope[f"_a{i}"] = f.validator, f
        call = f"_v{i}(new, _a{i}, x{i})"
        quick = QUICK.get(f.validator)
        if quick is None:
            check.append(f"    {call}")
            continue
        expression, names = quick
        for name, bound in names.items():
            scope[f"_q{i}_{name}"] = bound
        accepted = expression.format(v=f"x{i}", **{name: f"_q{i}_{name}" for name in names})
        check.append(f"    if not ({accepted}):\n        {call}")
    source = "\n".join(
        [
            "def load(o, _):",
            "    if type(o) is not dict:",
            "        raise TypeError(f'expected a JSON object, got {type(o).__name__}')",
            "    if not o.keys() <= _names:",
            "        raise TypeError(f'unknown keys: {sorted(o.keys() - _names)}')",
            "    new = _new(_cls)",
            *take,
            *check,
            "    return new",
        ]
    )
    exec(compile(source, f"<orderflow loader {cls.__qualname__}>", "exec"), scope)
    built: Hook = scope["load"]
    return built


def dumper(
    cls: type, converter: cattrs.Converter, *, as_is: Callable[[Any], Any]
) -> Callable[[Any], dict[str, Any]]:
    """The dumper of ``cls``; fields whose unstructure hook is ``as_is`` are taken as they are."""
    attrs.resolve_types(cls)
    scope: dict[str, Any] = {}
    items = []
    for i, f in enumerate(sorted(attrs.fields(cls), key=lambda f: f.name)):
        hook = converter.get_unstructure_hook(f.type)
        value = f"o.{f.name}"
        member = optional_member(f.type)
        if hook is as_is:
            pass
        elif member is not None and (inner := converter.get_unstructure_hook(member)) is as_is:
            pass  # None or a plain value: as it is
        elif member is not None:
            scope[f"_h{i}"] = inner
            value = f"(None if (v{i} := o.{f.name}) is None else _h{i}(v{i}))"
        else:
            scope[f"_h{i}"] = hook
            value = f"_h{i}(o.{f.name})"
        items.append(f"        {f.name!r}: {value},")
    source = "\n".join(["def dump(o):", "    return {", *items, "    }"])
    exec(compile(source, f"<orderflow dumper {cls.__qualname__}>", "exec"), scope)
    built: Callable[[Any], dict[str, Any]] = scope["dump"]
    return built


def optional_member(t: Any) -> Any:
    """``X`` of ``X | None`` (or ``Optional[X]``), else None."""
    args: tuple[Any, ...] = getattr(t, "__args__", ())
    if get_origin(t) in (Union, UnionType) and len(args) == 2 and args[1] is NoneType:
        return args[0]
    return None
