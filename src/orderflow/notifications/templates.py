"""Message templates: Jinja2 in its sandbox, one file per template and language.

A template file (``fr/shipping_confirmation.jinja``) holds up to four blocks: ``subject``,
``text``, ``html`` and ``sms``. Each block is rendered on its own: ``html`` with autoescape
(so a customer's name or note can never inject markup), the others as plain text. Every
environment uses ``StrictUndefined``: a misspelt variable is an error, never a blank. The
sandbox is the immutable one: a template cannot change the lists and dicts it is given
(``order.lines.clear()`` is refused), so one event's context serves every message safely.
The HTML body is then set in ``layout.html.jinja``, which a host may override too.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
from jinja2 import (
    BytecodeCache,
    ChoiceLoader,
    DictLoader,
    PackageLoader,
    StrictUndefined,
    Template,
    TemplateError,
    TemplateNotFound,
    meta,
)
from jinja2.bccache import Bucket
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEnvironment
from markupsafe import Markup

from orderflow.errors import NotificationError
from orderflow.ports.messaging import Channel

_PARSER = SandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
LAYOUT = "layout.html.jinja"
BLOCKS: Mapping[Channel, tuple[str, ...]] = {
    "email": ("subject", "text"),
    "sms": ("sms",),
    "webhook": ("subject", "text"),
}
"""The blocks a template needs for each channel (email also uses ``html`` when present)."""


@attrs.frozen
class Rendered:
    subject: str
    text: str
    html: str | None = None


def path(name: str, locale: str) -> str:
    return f"{locale}/{name}.jinja"


class _Compiled(BytecodeCache):
    """Compiled templates kept for the life of the process, by path and source checksum:
    every :class:`Templates` compiles the built-in files once, not once per instance."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_TEXT, _HTML = _Compiled(), _Compiled()


@functools.lru_cache(maxsize=512)
def _reads(source: str) -> frozenset[str]:
    return frozenset(meta.find_undeclared_variables(_PARSER.parse(source)))


class Templates:
    """The built-in templates, under the host's ``overrides`` (file path -> source)."""

    def __init__(self, overrides: Mapping[str, str] | None = None) -> None:
        loader = ChoiceLoader(
            [DictLoader(dict(overrides or {})), PackageLoader("orderflow.notifications")]
        )
        options: dict[str, Any] = {
            "loader": loader,
            "undefined": StrictUndefined,
            "trim_blocks": True,
            "lstrip_blocks": True,
        }
        self._text = ImmutableSandboxedEnvironment(
            autoescape=False, bytecode_cache=_TEXT, **options
        )
        self._html = ImmutableSandboxedEnvironment(autoescape=True, bytecode_cache=_HTML, **options)
        self._paths = frozenset(loader.list_templates())

    def names(self) -> frozenset[str]:
        """Every template name, in any language."""
        return frozenset(
            p.split("/", 1)[1].removesuffix(".jinja")
            for p in self._paths
            if p.count("/") == 1 and not p.rsplit("/", 1)[1].startswith("_")
        )

    def locales(self, name: str) -> tuple[str, ...]:
        """The languages ``name`` is written in."""
        return tuple(sorted(p.split("/")[0] for p in self._paths if p.endswith(f"/{name}.jinja")))

    def pick(self, name: str, wanted: Sequence[str]) -> str | None:
        """The first of ``wanted`` locales (``fr-CA`` also tries ``fr``) ``name`` exists in."""
        written = set(self.locales(name))
        for locale in wanted:
            for candidate in (locale, locale.replace("_", "-").split("-")[0].lower()):
                if candidate in written:
                    return candidate
        return None

    def blocks(self, name: str, locale: str) -> frozenset[str]:
        """The blocks ``name`` in ``locale`` defines."""
        where = path(name, locale)
        try:
            return frozenset(self._text.get_template(where).blocks)
        except TemplateError as error:
            raise _error(where, error) from None

    def variables(self, name: str, locale: str) -> frozenset[str]:
        """The context names ``name`` in ``locale`` reads (partials' own names excluded)."""
        where = path(name, locale)
        try:
            source, _, _ = self._text.loader.get_source(self._text, where)  # type: ignore[union-attr]
            return _reads(source)
        except TemplateError as error:
            raise _error(where, error) from None

    def render(
        self, name: str, locale: str, channel: Channel, context: Mapping[str, Any]
    ) -> Rendered:
        """Render ``name`` in ``locale`` for ``channel``; :class:`NotificationError` if it
        lacks a block the channel needs or fails to render."""
        where = path(name, locale)
        try:
            text = self._text.get_template(where)
            missing = [block for block in BLOCKS[channel] if block not in text.blocks]
            if missing:
                raise NotificationError(
                    f"template {where} has no {' or '.join(missing)} block, needed for {channel}"
                )
            if channel == "sms":
                return Rendered(subject="", text=one_line(_block(text, "sms", context)))
            subject = one_line(_block(text, "subject", context))
            body = _paragraphs(_block(text, "text", context))
            html = None
            if channel == "email" and "html" in text.blocks:
                markup = self._html.get_template(where)
                layout = self._html.get_template(LAYOUT)
                html = layout.render(
                    {**context, "subject": subject, "body": Markup(_block(markup, "html", context))}
                )
        except TemplateError as error:
            raise _error(where, error) from None
        return Rendered(subject=subject, text=body, html=html)


def _error(where: str, error: TemplateError) -> NotificationError:
    if isinstance(error, TemplateNotFound):
        return NotificationError(f"template {where}: {error.message} not found")
    line = getattr(error, "lineno", None) or _template_line(error)
    at = f" line {line}" if line else ""
    return NotificationError(f"template {where}{at}: {error.message}")


def _block(template: Template, block: str, context: Mapping[str, Any]) -> str:
    try:
        return "".join(template.blocks[block](template.new_context(dict(context))))
    except Exception:
        template.environment.handle_exception()  # re-raises, pointing at template lines


_BREAKS = re.compile(r"[ \x00-\x1f\x7f-\x9f\u2028\u2029]+")
"""Spaces, controls (C0, DEL, C1: tab, line feed, vertical tab, form feed, the file, group
and record separators, next line...) and the Unicode line and paragraph separators."""
_SURROGATES = re.compile(r"[\ud800-\udfff]")


def one_line(text: str) -> str:
    """``text`` as one line that any header takes: every run of spaces, controls and line
    separators becomes one space, a lone surrogate U+FFFD; no-break spaces inside stay
    (``"12,50 €"``)."""
    return _SURROGATES.sub("\ufffd", _BREAKS.sub(" ", text)).strip()


def _paragraphs(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def _template_line(error: BaseException) -> int | None:
    """The template line a render error came from: Jinja points the traceback's template
    frames at template lines (a syntax error carries its own ``lineno``)."""
    line, tb = None, error.__traceback__
    while tb is not None:
        if not tb.tb_frame.f_code.co_filename.endswith(".py"):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
