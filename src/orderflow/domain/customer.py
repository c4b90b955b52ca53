"""The customer who placed the order, and the addresses they gave."""

from __future__ import annotations

import attrs

from orderflow.domain._fields import optional_text, text
from orderflow.domain.limits import EMAIL, ID, LOCALE, NAME, PHONE


@attrs.frozen
class Customer:
    """Who placed the order; ``locale`` picks the language of their messages."""

    id: str = attrs.field(validator=text(ID))
    name: str = attrs.field(validator=text(NAME))
    email: str | None = attrs.field(default=None, validator=optional_text(EMAIL))
    """Taken as given: a malformed address never refuses an order, its messages are
    dead-lettered as undeliverable instead."""
    phone: str | None = attrs.field(default=None, validator=optional_text(PHONE))
    locale: str = attrs.field(default="en", validator=text(LOCALE))


@attrs.frozen
class Address:
    """A postal address; ``country_code`` is ISO 3166-1 alpha-2 (``"FR"``)."""

    name: str = attrs.field(validator=text(NAME))
    line1: str = attrs.field(validator=text(NAME))
    city: str = attrs.field(validator=text(NAME))
    postal_code: str = attrs.field(validator=text(NAME))
    country_code: str = attrs.field(validator=text(NAME))
    line2: str | None = attrs.field(default=None, validator=optional_text(NAME))
    province: str | None = attrs.field(default=None, validator=optional_text(NAME))
    company: str | None = attrs.field(default=None, validator=optional_text(NAME))
    phone: str | None = attrs.field(default=None, validator=optional_text(PHONE))
