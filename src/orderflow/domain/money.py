"""Money: an exact ``Decimal`` amount in one ISO 4217 currency.

Amounts are quantized to the currency's minor unit (JPY 0, EUR 2, KWD 3 decimals) with
``ROUND_HALF_EVEN``; floats, NaN and infinities are refused, and mixing currencies raises
:class:`~orderflow.errors.CurrencyMismatch`.

>>> Money("19.99", "EUR") * 3
Money(amount=Decimal('59.97'), currency='EUR')
>>> [str(part.amount) for part in Money("10.00", "EUR").allocate((1, 1, 1))]
['3.34', '3.33', '3.33']
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

import attrs

from orderflow.errors import CurrencyMismatch, InvalidAmount, UnknownCurrency

AmountLike = Decimal | int | str

_ZERO_DECIMALS = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE_DECIMALS = "BHD IQD JOD KWD LYD OMR TND"
_FOUR_DECIMALS = "CLF UYW"
_TWO_DECIMALS = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP "
    "BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD "
    "FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD "
    "KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD "
    "NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP "
    "SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VES "
    "WST XCD YER ZAR ZMW ZWG"
)

MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys(_TWO_DECIMALS.split(), 2),
    **dict.fromkeys(_ZERO_DECIMALS.split(), 0),
    **dict.fromkeys(_THREE_DECIMALS.split(), 3),
    **dict.fromkeys(_FOUR_DECIMALS.split(), 4),
}
"""ISO 4217 active codes and their number of decimals (the minor unit)."""

_QUANTUM = {digits: Decimal(1).scaleb(-digits) for digits in set(MINOR_UNITS.values())}


def minor_unit(currency: str) -> int:
    """Number of decimals of ``currency``; raises :class:`UnknownCurrency` for other codes."""
    try:
        return MINOR_UNITS[currency]
    except KeyError:
        raise UnknownCurrency(
            f"currency {currency!r} is not an ISO 4217 code (expected e.g. 'EUR', 'USD', 'JPY')"
        ) from None
    except TypeError:
        raise TypeError(f"currency must be a str, got {type(currency).__name__}") from None


def to_decimal(value: object, field: str = "amount") -> Decimal:
    """An exact, finite ``Decimal`` from a Decimal, int or numeric string; floats are refused."""
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, str)):
        raise TypeError(
            f"{field} must be a Decimal, int or str, got {type(value).__name__}"
            + (
                " (floats cannot hold money exactly: pass a str)"
                if isinstance(value, float)
                else ""
            )
        )
    try:
        result = Decimal(value)
    except InvalidOperation:
        raise InvalidAmount(f"{field} {value!r} is not a number") from None
    if not result.is_finite():
        raise InvalidAmount(f"{field} must be finite, got {value!r}")
    return result


@attrs.frozen(init=False, repr=True)
class Money:
    """An amount in one currency, always quantized to that currency's minor unit."""

    amount: Decimal
    currency: str

    def __init__(self, amount: AmountLike, currency: str) -> None:
        digits = minor_unit(currency)
        # most amounts are already finite decimals (sums of other amounts): no conversion
        exact = amount if type(amount) is Decimal and amount.is_finite() else to_decimal(amount)
        try:
            quantized = exact.quantize(_QUANTUM[digits], ROUND_HALF_EVEN)
        except InvalidOperation:
            raise InvalidAmount(f"amount {amount!r} is too large to hold exactly") from None
        self.__attrs_init__(quantized if quantized else abs(quantized), currency)  # no -0.00

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @classmethod
    def from_minor(cls, units: int, currency: str) -> Money:
        """Money from a whole number of minor units: ``Money.from_minor(1999, "EUR")`` is 19.99."""
        return cls(Decimal(units).scaleb(-minor_unit(currency)), currency)

    @classmethod
    def total(cls, amounts: Iterable[Money], currency: str) -> Money:
        """The sum of ``amounts`` (zero when empty); all must be in ``currency``."""
        exact = Decimal(0)
        for amount in amounts:
            if amount.currency != currency:
                raise CurrencyMismatch(
                    f"cannot add {amount} to a sum in {currency}: currencies differ "
                    f"({currency} vs {amount.currency})"
                )
            exact += amount.amount
        return cls(exact, currency)

    @property
    def minor_units(self) -> int:
        """The amount as a whole number of minor units (cents, yen, fils)."""
        return int(self.amount.scaleb(minor_unit(self.currency)))

    def is_zero(self) -> bool:
        return not self.amount

    def is_positive(self) -> bool:
        return self.amount > 0

    def is_negative(self) -> bool:
        return self.amount < 0

    def _same_currency(self, other: object, operation: str) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot {operation} Money and {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(
                f"cannot {operation} {self} and {other}: currencies differ "
                f"({self.currency} vs {other.currency})"
            )
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.amount + self._same_currency(other, "add").amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.amount - self._same_currency(other, "subtract").amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __abs__(self) -> Money:
        return Money(abs(self.amount), self.currency)

    def __mul__(self, factor: int | Decimal) -> Money:
        if isinstance(factor, bool) or not isinstance(factor, (int, Decimal)):
            raise TypeError(
                f"Money can be multiplied by an int or Decimal, not {type(factor).__name__}"
            )
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    # each comparison written out (not functools.total_ordering's derived ones, which cost
    # a call more): the ledger compares amounts on every command

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._same_currency(other, "compare").amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._same_currency(other, "compare").amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._same_currency(other, "compare").amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._same_currency(other, "compare").amount

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"

    def allocate(self, weights: Sequence[int | Decimal]) -> tuple[Money, ...]:
        """Split into parts proportional to ``weights`` that always sum to the whole.

        Each part gets its floor share in minor units; the units left over go one by one to
        the parts with the largest remainders (ties: the earlier part), so no cent is lost.
        """
        if not weights:
            raise InvalidAmount(f"cannot allocate {self} over no weights")
        exact = [to_decimal(w, "weight") for w in weights]
        if any(w < 0 for w in exact) or sum(exact) <= 0:
            raise InvalidAmount(
                f"weights must be non-negative with a positive sum, got {weights!r}"
            )
        # Exact integer arithmetic at any size: scale the weights to whole numbers.
        scale = max(-min(w.as_tuple().exponent for w in exact), 0)  # type: ignore[operator]
        whole = [int(w.scaleb(scale)) for w in exact]
        units, weight_sum = abs(self.minor_units), sum(whole)
        shares = [divmod(units * w, weight_sum) for w in whole]
        parts = [floor for floor, _ in shares]
        by_remainder = sorted(range(len(parts)), key=lambda i: (-shares[i][1], i))
        for index in by_remainder[: units - sum(parts)]:
            parts[index] += 1
        sign = -1 if self.is_negative() else 1
        return tuple(Money.from_minor(sign * part, self.currency) for part in parts)
