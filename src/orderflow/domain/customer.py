"""The customer who placed the order, and the addresses they gave."""

from __future__ import annotations

import attrs

from orderflow.domain._fields import OPTIONAL_TEXT, TEXT


@attrs.frozen
class Customer:
    """Who placed the order; ``locale`` picks the language of their messages."""

    id: str = attrs.field(validator=TEXT)
    name: str = attrs.field(validator=TEXT)
    email: str | None = attrs.field(default=None, validator=OPTIONAL_TEXT)
    phone: str | None = attrs.field(default=None, validator=OPTIONAL_TEXT)
    locale: str = attrs.field(default="en", validator=TEXT)


@attrs.frozen
class Address:
    """A postal address; ``country_code`` is ISO 3166-1 alpha-2 (``"FR"``)."""

    name: str = attrs.field(validator=TEXT)
    line1: str = attrs.field(validator=TEXT)
    city: str = attrs.field(validator=TEXT)
    postal_code: str = attrs.field(validator=TEXT)
    country_code: str = attrs.field(validator=TEXT)
    line2: str | None = attrs.field(default=None, validator=OPTIONAL_TEXT)
    province: str | None = attrs.field(default=None, validator=OPTIONAL_TEXT)
    company: str | None = attrs.field(default=None, validator=OPTIONAL_TEXT)
    phone: str | None = attrs.field(default=None, validator=OPTIONAL_TEXT)
