"""The input rules: every string, count and number from outside is bounded, the same on every
store (the limits are restated here by hand from docs/reliability.md)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import attrs
import pytest

from orderflow import (
    Customer,
    InvalidAmount,
    InvalidText,
    InvalidTimestamp,
    LimitExceeded,
    Money,
    ShipmentEvent,
    ShipmentStatus,
    TaxLine,
    Tracking,
)
from orderflow.domain.limits import KEY, NAME, NOTE, TAG, URL, strings
from orderflow.testing import make_customer, make_draft, make_line, make_order

PARIS = timezone(timedelta(hours=1))


@pytest.mark.parametrize(
    ("rule", "limit"), [(NAME, 255), (TAG, 40), (NOTE, 5_000), (KEY, 255), (URL, 2_048)]
)
def test_a_string_may_be_as_long_as_its_limit_and_no_longer(rule, limit) -> None:
    prefix = "https://x.example/" if rule is URL else ""
    exact = prefix + "a" * (limit - len(prefix))
    assert rule.check(exact, "field") == exact
    with pytest.raises(
        InvalidText, match=f"field is {limit + 1:,} characters long; the limit is {limit:,}"
    ):
        rule.check(exact + "a", "field")


@pytest.mark.parametrize(
    ("character", "described"),
    [
        ("\x00", "a NUL character"),
        ("\ud800", "a lone surrogate \\(U\\+D800\\)"),
        ("\n", "the control character U\\+000A"),
        ("\x0b", "the control character U\\+000B"),
        ("\x1e", "the control character U\\+001E"),
        ("\x85", "the control character U\\+0085"),
        ("\u2028", "the control character U\\+2028"),
    ],
)
def test_a_one_line_field_refuses_nul_surrogates_controls_and_line_separators(
    character: str, described: str
) -> None:
    with pytest.raises(InvalidText, match=f"Customer.name holds {described} at position 3"):
        make_customer(name=f"Ada{character}")


def test_a_multi_line_field_takes_tabs_and_line_breaks_but_not_nul_or_other_controls() -> None:
    assert NOTE.check("Line 1\r\nLine 2\tend\u2028", "note") == "Line 1\r\nLine 2\tend\u2028"
    for refused in ("\x00", "\x0c", "\x1c", "\ud83d"):
        with pytest.raises(InvalidText):
            NOTE.check(f"a{refused}b", "note")


def test_any_other_unicode_is_taken_as_it_is() -> None:
    name = "Zoë 李 👩\u200d👩\u200d👧 Ōsaka"  # accents, CJK, an emoji joined by ZWJ
    assert make_customer(name=name).name == name


def test_a_tag_is_at_most_40_characters_and_holds_no_comma() -> None:
    with pytest.raises(InvalidText, match="holds ',', which a tag may not hold"):
        make_order(make_draft(tags=frozenset({"vip,gift"})))
    with pytest.raises(InvalidText, match="the limit is 40"):
        make_order(make_draft(tags=frozenset({"x" * 41})))


def test_an_order_holds_at_most_250_tags() -> None:
    tags = frozenset(f"t{n}" for n in range(251))
    with pytest.raises(LimitExceeded, match=r"OrderDraft\.tags holds 251 items; the limit is 250"):
        make_draft(tags=tags)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "file:///etc/passwd",
        "ftp://example.com/x",
        "https://user:secret@track.example/1",
        "https://",
        "//track.example/1",
    ],
)
def test_a_tracking_url_is_http_or_https_with_a_host_and_no_credentials(url: str) -> None:
    with pytest.raises(InvalidText, match="is not an http\\(s\\) URL"):
        Tracking(urls=(url,))


def test_a_tracking_url_over_http_or_https_is_taken() -> None:
    urls = ("https://track.example/AB1?x=1#top", "HTTP://la-poste.fr/suivi")
    assert Tracking(urls=urls).urls == urls


def test_a_bare_string_where_strings_are_expected_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="tags must be an iterable of str, not a single str"):
        strings("vip", "tags", TAG)
    assert strings(["vip", "gift"], "tags", TAG) == ("vip", "gift")
    with pytest.raises(TypeError, match="must be a str, got int"):
        strings(["vip", 7], "tags", TAG)


@pytest.mark.parametrize("rate", ["NaN", "sNaN", "Infinity", "-Infinity", "-0.01"])
def test_a_tax_rate_is_finite_and_not_negative(rate: str) -> None:
    with pytest.raises(InvalidAmount, match="a tax rate must be a finite decimal, not negative"):
        TaxLine("VAT", Decimal(rate), Money("1.00", "EUR"))


def test_a_tax_rate_of_zero_or_more_is_taken() -> None:
    assert TaxLine("VAT", Decimal("0"), Money("0", "EUR")).rate == 0
    assert TaxLine("VAT", Decimal("0.20"), Money("1", "EUR")).rate == Decimal("0.20")


def test_an_order_number_holds_in_a_signed_64_bit_integer() -> None:
    assert make_order(number=2**63 - 1).number == 9_223_372_036_854_775_807
    with pytest.raises(LimitExceeded, match=r"Order\.number is 9,223,372,036,854,775,808"):
        make_order(number=2**63)


def test_a_line_holds_at_most_a_million_units() -> None:
    assert make_line(quantity=1_000_000).quantity == 1_000_000
    with pytest.raises(
        LimitExceeded, match=r"LineItem\.quantity is 1,000,001; the limit is 1,000,000"
    ):
        make_line(quantity=1_000_001)


def test_a_stored_amount_is_at_most_ten_to_the_fifteen_minor_units() -> None:
    # 10^15 cents are 10^13 euros; 10^15 yen are 10^15 yen
    assert make_line(price="10000000000000.00").unit_price.minor_units == 10**15
    with pytest.raises(InvalidAmount, match="beyond the largest amount orderflow stores"):
        make_line(price="10000000000000.01")
    assert make_line(price="1000000000000000", currency="JPY").unit_price.minor_units == 10**15


def test_a_datetime_every_time_zone_can_show_is_taken_and_others_are_refused() -> None:
    late = datetime(9999, 12, 29, 23, 0, tzinfo=timezone.utc)
    assert ShipmentEvent(status=ShipmentStatus.IN_TRANSIT, at=late).at == late
    # 9999-12-31 23:00 UTC is year 10000 in Paris: no time zone east of UTC could show it
    for refused in (
        datetime(9999, 12, 31, 23, 0, tzinfo=timezone.utc),
        datetime(9999, 12, 30, 0, 30, tzinfo=PARIS) + timedelta(days=1),
        datetime(1, 1, 1, 12, 0, tzinfo=timezone.utc),
    ):
        with pytest.raises(InvalidTimestamp, match="too near the ends of the calendar"):
            ShipmentEvent(status=ShipmentStatus.IN_TRANSIT, at=refused)


def test_an_email_is_at_most_320_characters_but_its_form_is_not_checked_here() -> None:
    address = "a" * 64 + "@" + "b" * 251 + ".com"
    assert len(address) == 320
    assert make_customer(email=address).email == address
    # A malformed address is taken: its messages are dead-lettered as undeliverable instead.
    assert make_customer(email="a@x, b@y").email == "a@x, b@y"
    with pytest.raises(InvalidText, match=r"Customer\.email is 321 characters long"):
        make_customer(email=address + "m")


def test_the_rules_name_the_class_and_the_field() -> None:
    customer = make_customer()
    with pytest.raises(
        InvalidText, match=r"^Customer\.locale is 36 characters long; the limit is 35$"
    ):
        attrs.evolve(customer, locale="x" * 36)
    assert isinstance(customer, Customer)


def test_a_pre_order_date_whose_midnight_no_time_zone_could_show_is_refused() -> None:
    from datetime import date

    assert make_line(pre_order=date(9999, 12, 29)).pre_order == date(9999, 12, 29)
    for day in (date(1, 1, 1), date(1, 1, 2), date(9999, 12, 30), date(9999, 12, 31)):
        with pytest.raises(InvalidTimestamp, match=r"LineItem\.pre_order"):
            make_line(pre_order=day)
