"""The loaders' inline checks (``_fields.QUICK``) never accept what their validator refuses."""

from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import orderflow.domain  # noqa: F401  (every model's validators registered)
from orderflow.domain._fields import QUICK
from orderflow.domain.money import Money
from orderflow.errors import OrderflowError

FIELD = attrs.Attribute(  # type: ignore[call-arg, var-annotated]
    name="field",
    default=None,
    validator=None,
    repr=True,
    cmp=None,
    hash=None,
    init=True,
    inherited=False,
)

texts = st.text(
    st.characters(codec="utf-8") | st.sampled_from("\x00\n\t\u2028\ud800,"), max_size=40
)
values: st.SearchStrategy[Any] = st.one_of(
    texts,
    st.text(min_size=30, max_size=6000).map(lambda s: s * 2),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.booleans(),
    st.none(),
    st.datetimes(timezones=st.none() | st.timezones()),
    st.just(datetime.max.replace(tzinfo=timezone(timedelta(hours=-12)))),
    st.decimals(min_value=-(10**16), max_value=10**16, places=2).map(lambda d: Money(d, "EUR")),
    st.tuples(texts, st.integers()),
    st.frozensets(texts, max_size=3),
    st.lists(texts, max_size=3).map(tuple),
)


def accepts(validator: Any, value: object) -> bool:
    try:
        validator(object(), FIELD, value)
    except (TypeError, ValueError, OrderflowError):
        return False
    return True


@pytest.mark.parametrize("validator", list(QUICK), ids=[e for e, _ in QUICK.values()])
@settings(max_examples=150, deadline=None)
@given(value=values)
def test_a_quick_check_accepts_only_what_its_validator_accepts(validator: Any, value: Any) -> None:
    expression, names = QUICK[validator]
    quick = eval(expression.format(v="value", **{n: n for n in names}), {**names, "value": value})
    if quick:
        assert accepts(validator, value), f"{expression} accepted {value!r}"
