"""Money: ISO 4217 minor units, banker's rounding, no floats, one currency at a time."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderflow.domain.money import Money
from orderflow.errors import CurrencyMismatch, InvalidAmount, UnknownCurrency


@pytest.mark.parametrize(("currency", "decimals"), [("JPY", 0), ("EUR", 2), ("USD", 2), ("KWD", 3)])
def test_amounts_are_quantized_to_the_currency_minor_unit(currency: str, decimals: int) -> None:
    money = Money("7", currency)

    assert money.amount == Decimal(7)
    assert money.amount.as_tuple().exponent == -decimals


def test_amounts_keep_exactly_as_many_decimals_as_the_currency_allows() -> None:
    assert str(Money("19.9", "EUR")) == "19.90 EUR"
    assert str(Money("1.5", "KWD")) == "1.500 KWD"
    assert str(Money(100, "JPY")) == "100 JPY"


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("0.125", "EUR", "0.12"),  # half to the even cent: 2 is even
        ("0.135", "EUR", "0.14"),  # half to the even cent: 4 is even
        ("0.1251", "EUR", "0.13"),  # above half rounds up
        ("2.5", "JPY", "2"),
        ("3.5", "JPY", "4"),
        ("0.0005", "KWD", "0.000"),
        ("0.0015", "KWD", "0.002"),
        ("-0.125", "EUR", "-0.12"),
    ],
)
def test_rounding_to_the_minor_unit_is_half_even(amount: str, currency: str, expected: str) -> None:
    assert Money(amount, currency).amount == Decimal(expected)


def test_minor_units_count_cents_yen_and_fils() -> None:
    assert Money("19.99", "EUR").minor_units == 1999
    assert Money("500", "JPY").minor_units == 500
    assert Money("1.234", "KWD").minor_units == 1234
    assert Money.from_minor(1999, "EUR") == Money("19.99", "EUR")
    assert Money.from_minor(-5, "KWD") == Money("-0.005", "KWD")


def test_a_float_amount_is_refused_with_advice_to_pass_a_str() -> None:
    with pytest.raises(TypeError, match="str"):
        Money(19.99, "EUR")  # type: ignore[arg-type]


def test_a_bool_amount_is_refused() -> None:
    with pytest.raises(TypeError, match="bool"):
        Money(True, "EUR")


@pytest.mark.parametrize(
    "amount", ["NaN", "nan", "sNaN", "Infinity", "-inf", Decimal("NaN"), Decimal("-Infinity")]
)
def test_nan_and_infinities_are_refused(amount: str | Decimal) -> None:
    with pytest.raises(InvalidAmount, match="finite"):
        Money(amount, "EUR")


def test_a_string_that_is_not_a_number_is_refused() -> None:
    with pytest.raises(InvalidAmount, match="not a number"):
        Money("twelve", "EUR")


def test_an_amount_too_large_for_exact_arithmetic_is_refused_as_an_invalid_amount() -> None:
    # 10**30 euros need 33 significant digits in cents: more than Decimal's 28-digit context.
    with pytest.raises(InvalidAmount):
        Money("1e30", "EUR")


def test_rounding_a_tiny_negative_amount_gives_a_plain_zero() -> None:
    assert str(Money("-0.001", "EUR")) == "0.00 EUR"
    assert str(-Money.zero("EUR")) == "0.00 EUR"


@pytest.mark.parametrize("currency", ["XYZ", "eur", "EURO", ""])
def test_an_unknown_currency_is_refused(currency: str) -> None:
    with pytest.raises(UnknownCurrency, match="ISO 4217"):
        Money("1.00", currency)


def test_a_currency_that_is_not_a_str_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="currency"):
        Money("1.00", ["EUR"])  # type: ignore[arg-type]


def test_arithmetic_stays_in_the_currency() -> None:
    assert Money("19.99", "EUR") + Money("0.01", "EUR") == Money("20.00", "EUR")
    assert Money("5.00", "EUR") - Money("7.50", "EUR") == Money("-2.50", "EUR")
    assert Money("19.99", "EUR") * 3 == Money("59.97", "EUR")
    assert 2 * Money("0.005", "KWD") == Money("0.010", "KWD")
    assert Money("10.00", "EUR") * Decimal("0.333") == Money("3.33", "EUR")  # 3.330 exactly
    assert -Money("1.00", "EUR") == Money("-1.00", "EUR")
    assert abs(Money("-1.00", "EUR")) == Money("1.00", "EUR")
    assert Money.total([Money("1.10", "EUR"), Money("2.20", "EUR")], "EUR") == Money("3.30", "EUR")
    assert Money.total([], "JPY") == Money(0, "JPY")


@pytest.mark.parametrize("factor", [1.5, True, "2"])
def test_money_is_multiplied_only_by_an_int_or_decimal(factor: object) -> None:
    with pytest.raises(TypeError, match="int or Decimal"):
        Money("1.00", "EUR") * factor  # type: ignore[operator]


@pytest.mark.parametrize(
    "combine",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a < b,
        lambda a, b: a > b,
        lambda a, b: a <= b,
        lambda a, b: Money.total([a, b], "EUR"),
    ],
    ids=["add", "subtract", "less", "greater", "less-or-equal", "total"],
)
def test_mixing_currencies_raises(combine) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CurrencyMismatch, match=r"EUR.*USD"):
        combine(Money("1.00", "EUR"), Money("1.00", "USD"))


def test_money_combines_only_with_money() -> None:
    with pytest.raises(TypeError, match="int"):
        Money("1.00", "EUR") + 1  # type: ignore[operator]


def test_comparisons_order_amounts_of_one_currency() -> None:
    assert Money("9.99", "EUR") < Money("10.00", "EUR")
    assert Money("10.00", "EUR") >= Money("10", "EUR")
    assert max(Money("1.00", "EUR"), Money("3.00", "EUR")) == Money("3.00", "EUR")
    assert Money("1.00", "EUR") != Money("1.00", "USD")


def test_allocation_gives_the_leftover_cent_to_the_earliest_of_equal_parts() -> None:
    # 1000 cents / 3 = 333 each, 1 left over; the remainders tie, so the first part takes it.
    parts = Money("10.00", "EUR").allocate((1, 1, 1))

    assert [str(p.amount) for p in parts] == ["3.34", "3.33", "3.33"]


def test_allocation_gives_leftover_units_to_the_largest_remainders() -> None:
    # 100 cents over 1:2:3 -> exact 16.67, 33.33, 50; floors 16, 33, 50 leave 1 cent,
    # which goes to the largest remainder (0.67, the first part).
    parts = Money("1.00", "EUR").allocate((1, 2, 3))

    assert parts == (Money("0.17", "EUR"), Money("0.33", "EUR"), Money("0.50", "EUR"))


def test_allocation_of_a_negative_amount_mirrors_the_positive_one() -> None:
    parts = Money("-10.00", "EUR").allocate((1, 1, 1))

    assert [str(p.amount) for p in parts] == ["-3.34", "-3.33", "-3.33"]


def test_allocation_works_in_whole_yen_and_in_fils() -> None:
    assert Money(100, "JPY").allocate((1, 1, 1)) == (
        Money(34, "JPY"),
        Money(33, "JPY"),
        Money(33, "JPY"),
    )
    # 1000 fils / 3: 333 each, the first takes the leftover fil.
    assert Money("1.000", "KWD").allocate((1, 1, 1)) == (
        Money("0.334", "KWD"),
        Money("0.333", "KWD"),
        Money("0.333", "KWD"),
    )


def test_allocation_gives_nothing_to_a_zero_weight() -> None:
    assert Money("10.00", "EUR").allocate((1, 0, 1)) == (
        Money("5.00", "EUR"),
        Money("0.00", "EUR"),
        Money("5.00", "EUR"),
    )


@pytest.mark.parametrize(
    "weights", [(), (0, 0), (0,), (1, -1), (2, -1)], ids=["none", "zeros", "zero", "sum 0", "neg"]
)
def test_allocation_refuses_weights_without_a_positive_sum_or_with_a_negative(
    weights: tuple[int, ...],
) -> None:
    with pytest.raises(InvalidAmount):
        Money("10.00", "EUR").allocate(weights)


def test_allocation_refuses_float_weights() -> None:
    with pytest.raises(TypeError, match="weight"):
        Money("10.00", "EUR").allocate((0.5, 0.5))  # type: ignore[arg-type]


@given(
    units=st.integers(min_value=-(10**15), max_value=10**15),
    currency=st.sampled_from(["JPY", "EUR", "KWD"]),
    weights=st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=8).filter(
        lambda ws: sum(ws) > 0
    ),
)
def test_allocated_parts_sum_to_the_whole_and_each_is_within_one_unit_of_its_share(
    units: int, currency: str, weights: list[int]
) -> None:
    whole = Money.from_minor(units, currency)

    parts = whole.allocate(weights)

    assert len(parts) == len(weights)
    assert all(part.currency == currency for part in parts)
    assert sum(part.minor_units for part in parts) == units
    for part, weight in zip(parts, weights, strict=True):
        exact_share = Fraction(units * weight, sum(weights))
        assert abs(part.minor_units - exact_share) < 1
