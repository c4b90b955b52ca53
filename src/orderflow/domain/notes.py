"""Staff notes and tags: allowed at any time, on the timeline like everything else."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from orderflow.domain._revise import revised
from orderflow.domain.actor import Actor
from orderflow.domain.events import NoteUpdated, TagsUpdated
from orderflow.domain.order import Change, Order


def update_note(order: Order, note: str, *, now: datetime, actor: Actor) -> Change:
    """Replace the order's note (an empty string removes it)."""
    if not isinstance(note, str):
        raise TypeError(f"'note' must be a str, got {type(note).__name__}")
    if note == order.note:
        return Change(order)
    return Change(
        revised(order, note=note),
        (NoteUpdated(order_id=order.id, at=now, actor=actor, note=note),),
    )


def _clean(tags: Iterable[str]) -> frozenset[str]:
    if isinstance(tags, str):
        raise TypeError("tags must be an iterable of str, not a single str")
    cleaned = set()
    for tag in tags:
        if not isinstance(tag, str):
            raise TypeError(f"a tag must be a str, got {type(tag).__name__}")
        if tag.strip():
            cleaned.add(tag.strip())
    return frozenset(cleaned)


def retag(
    order: Order,
    *,
    add: Iterable[str] = (),
    remove: Iterable[str] = (),
    now: datetime,
    actor: Actor,
) -> Change:
    """Add and remove tags; tags already present or absent are left as they are."""
    added = _clean(add) - order.tags
    removed = (_clean(remove) & order.tags) - added
    if not added and not removed:
        return Change(order)
    return Change(
        revised(order, tags=(order.tags | added) - removed),
        (TagsUpdated(order_id=order.id, at=now, actor=actor, added=added, removed=removed),),
    )
