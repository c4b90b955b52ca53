"""The domain's own changes validate what changed, and the tests validate everything."""

import attrs
import pytest

from orderflow.domain import _revise
from orderflow.domain._revise import revised
from orderflow.domain.timeline import TimelineEntry
from orderflow.errors import InvalidText
from orderflow.testing import EPOCH, STAFF, make_order


def test_a_revised_model_equals_the_one_evolve_builds() -> None:
    order = make_order()
    assert revised(order, note="gift wrap", version=3) == attrs.evolve(
        order, note="gift wrap", version=3
    )


@attrs.frozen(slots=False)
class _Unslotted:
    a: int
    b: int


def test_a_model_without_slots_is_revised_and_built_as_well() -> None:
    # slotted models are set through their slots' own setters; others through setattr
    assert revised(_Unslotted(1, 2), a=3) == _Unslotted(3, 2)
    assert _revise.built(_Unslotted, a=4, b=5) == _Unslotted(4, 5)


def test_a_changed_field_is_validated() -> None:
    with pytest.raises(InvalidText, match=r"Order\.note"):
        revised(make_order(), note="\x00")


def test_an_unknown_field_is_refused_as_evolve_refuses_it() -> None:
    with pytest.raises(TypeError, match="no field 'colour'"):
        revised(make_order(), colour="red")


def test_the_test_suite_validates_the_fields_carried_over() -> None:
    assert _revise.CHECK_EVERYTHING
    broken = make_order()
    object.__setattr__(broken, "id", "\x00")  # as a bug in the domain could leave it
    with pytest.raises(InvalidText, match=r"Order\.id"):
        revised(broken, note="fine")


def test_outside_the_tests_fields_carried_over_are_not_validated_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_revise, "CHECK_EVERYTHING", False)
    broken = make_order()
    object.__setattr__(broken, "id", "\x00")
    assert revised(broken, note="fine").id == "\x00"


ENTRY = TimelineEntry(at=EPOCH, actor=STAFF, kind="NoteUpdated", message="Note updated.")


def test_a_built_model_equals_the_one_its_constructor_builds_defaults_included() -> None:
    entry = ENTRY
    assert _revise.built(
        TimelineEntry, at=entry.at, actor=entry.actor, kind=entry.kind, message=entry.message
    ) == TimelineEntry(at=entry.at, actor=entry.actor, kind=entry.kind, message=entry.message)


def test_the_test_suite_validates_every_field_of_a_built_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    entry = ENTRY
    with pytest.raises(TypeError, match="'message' must be str"):
        _revise.built(TimelineEntry, at=entry.at, actor=entry.actor, kind="x", message=3)
    monkeypatch.setattr(_revise, "CHECK_EVERYTHING", False)
    assert _revise.built(TimelineEntry, at=entry.at, actor=entry.actor, kind="x", message=3)


def test_a_model_with_factory_defaults_is_not_built_without_its_constructor() -> None:
    @attrs.frozen
    class Basket:
        items: list[str] = attrs.Factory(list)

    with pytest.raises(TypeError, match="factory defaults"):
        _revise.built(Basket)
