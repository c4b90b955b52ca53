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

A :class:`Writer` goes straight to the JSON text: one function per model writes what
``json.dumps`` (compact) writes of its dumper's object, and the text of a model or tuple is
remembered by identity, so that saving an order again does not write again the lines,
timeline entries and fulfillments it shares (immutable, the very same objects) with the
order saved before.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from itertools import repeat
from types import NoneType, UnionType
from typing import Any, Union, get_origin

import attrs
import cattrs

from orderflow.domain._fields import QUICK
from orderflow.domain._revise import slot

Hook = Callable[[Any, Any], Any]
Write = Callable[[Any], str]
"""A value of some type to its JSON text."""


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
    """The loader of ``cls``; fields whose hook is ``as_is`` are taken as they are.

    An object holding as many keys as ``cls`` has fields (as orderflow writes them) is read
    key by key, a missing one raising: it holds another key. Any other object has its keys
    checked first, and each field it lacks takes its default.

    A hook may tell the loader how to do its work inline, saving a call per value:

    - ``hook.member = (hook, type)``: an optional value, None or what that hook gives;
    - ``hook.each = (hook, type)``: a tuple (``tuple[X, ...]``) of what that hook gives of
      each item of a list (other values go to the hook itself);
    - ``hook.quick = (expression, names)``: an expression of the value ``{v}`` (the
      other names bound to ``names``) that gives what the hook gives, or None when the hook
      must be called (say, a value not yet remembered); it may raise for a value the hook
      refuses, as a document that fails is loaded again by the detailed converter.
    """
    attrs.resolve_types(cls)
    fields = attrs.fields(cls)
    scope: dict[str, Any] = {
        "_cls": cls,
        "_new": object.__new__,
        "_set": object.__setattr__,
        "_names": frozenset(f.name for f in fields),
        "_absent": _ABSENT,
        "_tuple": tuple,
        "_map": map,
        "_list": list,
    }
    full: list[str] = []  # every key there
    some: list[str] = []  # defaults for the keys not there
    put, check = [], []
    for i, f in enumerate(fields):
        hook = converter.get_structure_hook(f.type)
        if hook is as_is:
            taken = [f"        x{i} = o[{f.name!r}]"]
        else:
            taken = [f"        v{i} = o[{f.name!r}]"]
            taken += _structure(scope, hook, f.type, f"v{i}", f"x{i}", f"{i}", "        ", as_is)
        full += taken
        if f.default is attrs.NOTHING:
            some += taken
        else:  # a default is the model's own value: no hook
            factory = isinstance(f.default, attrs.Factory)  # type: ignore[arg-type]
            scope[f"_d{i}"] = f.default.factory if factory else f.default
            some += [
                f"        v{i} = o.get({f.name!r}, _absent)",
                f"        if v{i} is _absent:",
                f"            x{i} = _d{i}{'()' if factory else ''}",
                "        else:",
            ]
            if hook is as_is:
                some.append(f"            x{i} = v{i}")
            else:
                some += _structure(
                    scope, hook, f.type, f"v{i}", f"x{i}", f"{i}", "            ", as_is
                )
        member = slot(cls, f.name)
        if member is None:
            put.append(f"    _set(new, {f.name!r}, x{i})")
        else:  # the slot's own setter: no lookup of the name (the model is frozen to others)
            scope[f"_s{i}"] = member.__set__
            put.append(f"    _s{i}(new, x{i})")
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
            f"    if len(o) == {len(fields)}:",
            *full,
            "    else:",
            "        if not o.keys() <= _names:",
            "            raise TypeError(f'unknown keys: {sorted(o.keys() - _names)}')",
            *some,
            "    new = _new(_cls)",
            *put,
            *check,
            "    return new",
        ]
    )
    exec(compile(source, f"<orderflow loader {cls.__qualname__}>", "exec"), scope)
    built: Hook = scope["load"]
    built.source = source  # type: ignore[attr-defined]  # for the curious, and tests
    return built


_ABSENT = object()
"""A key the object does not have."""


def _structure(
    scope: dict[str, Any], hook: Any, t: Any, v: str, x: str, at: str, indent: str, as_is: Hook
) -> list[str]:
    """Lines that set ``x`` to what ``hook`` gives of the JSON value in ``v``, inlining what
    the hook says it does (see :func:`loader`); names bound in ``scope`` end in ``at``."""
    if hasattr(hook, "member"):  # an optional value: None, or its member's hook
        inner, member = hook.member
        if inner is as_is:
            return [f"{indent}{x} = {v}"]
        return [
            f"{indent}if {v} is None:",
            f"{indent}    {x} = None",
            f"{indent}else:",
            *_structure(scope, inner, member, v, x, f"{at}m", indent + "    ", as_is),
        ]
    scope[f"_h{at}"], scope[f"_t{at}"] = hook, t
    fallback = f"_h{at}({v}, _t{at})"
    if hasattr(hook, "each"):  # a tuple of a list's items, each by its hook
        inner, member = hook.each
        if inner is as_is:
            made = f"_tuple({v})"
        else:
            scope[f"_h{at}i"], scope[f"_r{at}"] = inner, repeat(member)
            made = f"_tuple(_map(_h{at}i, {v}, _r{at}))"
        return [f"{indent}{x} = {made} if type({v}) is _list else {fallback}"]
    if hasattr(hook, "quick"):
        expression, names = hook.quick
        for name, bound in names.items():
            scope[f"_q{at}_{name}"] = bound
        made = expression.format(v=v, **{name: f"_q{at}_{name}" for name in names})
        return [
            f"{indent}{x} = {made}",
            f"{indent}if {x} is None:",
            f"{indent}    {x} = {fallback}",
        ]
    return [f"{indent}{x} = {fallback}"]


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
    built.model = cls  # type: ignore[attr-defined]  # a Writer writes such a model itself
    return built


COMPACT = json.JSONEncoder(separators=(",", ":"))
"""``json.dumps(..., separators=(",", ":"))`` without a new encoder per call."""
SPACED = json.JSONEncoder()
"""What ``json.dumps(...)`` uses, separators ``", "`` and ``": "``."""

_string: Callable[[str], str] = json.encoder.encode_basestring_ascii


def plain_writer(encoder: json.JSONEncoder) -> Write:
    """The JSON text ``encoder`` (ASCII, no indent) writes of a JSON value (what a converter
    gives): the common cases written here, the rest by the encoder itself."""
    if not encoder.ensure_ascii or encoder.indent is not None:
        raise ValueError("a writer writes ASCII text on one line")
    comma, encode = encoder.item_separator, encoder.encode

    def plain(value: Any) -> str:
        cls = value.__class__
        if cls is str:
            return _string(value)
        if value is None:
            return "null"
        if value is True:
            return "true"
        if value is False:
            return "false"
        if cls is int:
            return int.__repr__(value)
        if cls is list:
            return "[" + comma.join([plain(item) for item in value]) + "]"
        text: str = encode(value)
        return text

    return plain


plain = plain_writer(COMPACT)
"""The JSON text :data:`COMPACT` writes of a JSON value."""


def homogeneous_tuple(t: Any) -> bool:
    """Is ``t`` ``tuple[X, ...]``?"""
    args: tuple[Any, ...] = getattr(t, "__args__", ())
    return get_origin(t) is tuple and len(args) == 2 and args[1] is Ellipsis


REMEMBERED = 32768
"""How many texts a :class:`Writer` remembers; all are forgotten when one more comes. An
order of 100 lines holds about 350 texts: 8,192 were forgotten again and again by a worker
saving 40 such orders in turn (the scaling benchmark's 100-line orders then cost 2.35x the
50-line ones), so that the whole gain went."""
REMEMBERED_CHARACTERS = 1 << 22
"""How long its texts may be in all (4 Mi characters: as many bytes, the text being ASCII);
all are forgotten when they are longer. A text longer than 1/64 of it is not remembered."""


class Writer:
    """The JSON text of values of a converter's types: exactly what ``encoder.encode``
    (:data:`COMPACT` unless said) gives of what the converter unstructures them to, when
    each model's dumper writes its
    keys sorted, tuples as lists (``tuple[X, ...]``, each item by ``X``'s hook) and an
    optional field as None or its member's hook gives it, as :func:`dumper` does.

    ``texts`` writes some types directly (each as the converter's hook and the encoder
    would). Models and tuples are immutable, as are the types (or generic origins) in
    ``immutable``: the text of each one written is remembered by its identity, in one
    table bounded by ``size`` entries and ``characters`` of text. An entry holds the value
    itself (so that its ``id`` is not reused while it is remembered) and the writer that
    wrote it (the same value may be written as two types: ``()``); a text is given only
    when both are the very ones asked for. Threads may share a writer: each step is one
    dict operation, and a race at worst forgets or misses a text, never gives a wrong one.
    The types must not be recursive."""

    def __init__(
        self,
        converter: cattrs.Converter,
        *,
        as_is: Callable[[Any], Any],
        texts: Mapping[Any, Write],
        immutable: tuple[type, ...] = (),
        encoder: json.JSONEncoder = COMPACT,
        size: int = REMEMBERED,
        characters: int = REMEMBERED_CHARACTERS,
    ) -> None:
        self._converter = converter
        self._as_is = as_is
        self._plain = plain if encoder is COMPACT else plain_writer(encoder)
        self._comma, self._colon = encoder.item_separator, encoder.key_separator
        if not {*self._comma, *self._colon} <= {",", ":", " "}:  # written into f-strings
            raise ValueError(f"separators {self._comma!r}, {self._colon!r}: only , : and spaces")
        self._seen: dict[int, tuple[object, Write, str]] = {}
        self._size = size
        self._characters = characters
        self._longest = characters // 64
        self._held = 0
        self._immutable = immutable
        self._writers: dict[Any, Write] = {
            t: self._remembered(write) if self._is_immutable(t) else write
            for t, write in texts.items()
        }

    def __call__(self, t: Any) -> Write:
        """The writer of values of type ``t`` (of a field, or an item of a tuple)."""
        write = self._writers.get(t)
        if write is None:
            write = self._writers[t] = self._writer(t)
        return write

    @property
    def remembered(self) -> int:
        """How many texts it remembers now."""
        return len(self._seen)

    def document(self, cls: type) -> Write:
        """The writer of model ``cls``, not remembering (a new document each time)."""
        if getattr(self._converter.get_unstructure_hook(cls), "model", None) is not cls:
            raise TypeError(f"{cls.__qualname__} is not unstructured by its dumper")
        return self._model(cls)

    def _writer(self, t: Any) -> Write:
        hook = self._converter.get_unstructure_hook(t)
        plain = self._plain
        if hook is self._as_is:
            return plain
        if getattr(hook, "model", None) is t:
            return self._remembered(self._model(t))
        if homogeneous_tuple(t):
            item = self(t.__args__[0])

            comma = self._comma

            def write_list(items: tuple[Any, ...]) -> str:
                return "[" + comma.join([item(value) for value in items]) + "]"

            remembered = self._remembered(write_list)
            return lambda items: remembered(items) if items else "[]"  # () is everyone's
        if self._is_immutable(t):
            return self._remembered(lambda value: plain(hook(value)))
        return lambda value: plain(hook(value))

    def _is_immutable(self, t: Any) -> bool:
        return t in self._immutable or get_origin(t) in self._immutable

    def _model(self, cls: Any) -> Write:
        """One function writing a ``cls``: its fields in sorted order, as its dumper."""
        attrs.resolve_types(cls)
        scope: dict[str, Any] = {"_p": self._plain, "_s": _string, "_str": str, "_null": "null"}
        take, fields = [], []
        for i, f in enumerate(sorted(attrs.fields(cls), key=lambda f: f.name)):
            hook = self._converter.get_unstructure_hook(f.type)
            member = optional_member(f.type)
            take.append(f"    v{i} = o.{f.name}")
            if hook is self._as_is or (
                member is not None and self._converter.get_unstructure_hook(member) is self._as_is
            ):  # strings (most values) written here, the rest by plain()
                text = f"_s(v{i}) if v{i}.__class__ is _str else _p(v{i})"
            elif member is not None:
                scope[f"_w{i}"] = self(member)
                text = f"_null if v{i} is None else _w{i}(v{i})"
            else:
                scope[f"_w{i}"] = self(f.type)
                text = f"_w{i}(v{i})"
            # a field's name needs no escaping
            fields.append(f'"{f.name}"{self._colon}{{{text}}}')
        body = self._comma.join(fields)
        source = "\n".join(["def write(o):", *take, "    return f'{{" + body + "}}'"])
        exec(compile(source, f"<orderflow writer {cls.__qualname__}>", "exec"), scope)
        built: Write = scope["write"]
        return built

    def _remembered(self, write: Write) -> Write:
        seen, size, longest = self._seen, self._size, self._longest

        def remembered(value: Any) -> str:
            entry = seen.get(id(value))
            if entry is not None and entry[0] is value and entry[1] is write:
                return entry[2]
            text = write(value)
            if len(text) <= longest:
                if len(seen) >= size or self._held >= self._characters:
                    seen.clear()
                    self._held = 0
                seen[id(value)] = (value, write, text)
                self._held += len(text)
            return text

        return remembered


def optional_member(t: Any) -> Any:
    """``X`` of ``X | None`` (or ``Optional[X]``), else None."""
    args: tuple[Any, ...] = getattr(t, "__args__", ())
    if get_origin(t) in (Union, UnionType) and len(args) == 2 and args[1] is NoneType:
        return args[0]
    return None
