"""Compile a python-statemachine class, once, into an immutable transition table.

The machine class is the single source of truth for a lifecycle (states, events, final
states, diagrams). Running a machine instance per order per command would cost ~130 µs and
~12 KiB each (design brief §10), so the domain consults this table instead: a dict lookup.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

import attrs

from orderflow.errors import InvalidStateValue, InvalidTransition


@attrs.frozen
class TransitionTable:
    """(state, event) -> the set of states that event may lead to."""

    name: str
    states: tuple[str, ...]
    initial: str
    final: frozenset[str]
    events: tuple[str, ...]
    targets_by_move: Mapping[tuple[str, str], frozenset[str]] = attrs.field(repr=False)

    def targets(self, state: str, event: str) -> frozenset[str]:
        """Every state ``event`` may lead to from ``state`` (empty when not allowed)."""
        return self.targets_by_move.get((state, event), frozenset())

    def allowed_events(self, state: str) -> tuple[str, ...]:
        return tuple(e for e in self.events if (state, e) in self.targets_by_move)

    def step(self, state: str, event: str, target: str | None = None, *, subject: str) -> str:
        """The state after ``event``; raises :class:`InvalidTransition` naming ``subject``.

        When an event may lead to several states the caller chooses ``target`` and the
        table checks it; otherwise the only target is returned.
        """
        allowed = self.targets(state, event)
        if target is None and len(allowed) == 1:
            (target,) = allowed
        if target is None or target not in allowed:
            can = ", ".join(self.allowed_events(state)) or "none: it is final"
            wanted = f" to {target!r}" if target is not None else ""
            raise InvalidTransition(
                f"{subject}: cannot {event}{wanted} while {state} (allowed from {state}: {can})"
            )
        return target

    def validator(self, noun: str) -> Callable[[Any, Any, str], None]:
        """An attrs validator for a stored state: a value naming no state raises
        :class:`InvalidStateValue` naming ``noun`` and the record's id."""

        def check(record: Any, _: Any, value: str) -> None:
            if value not in self.states:
                self.parse(value, subject=f"{noun} {record.id}")

        return check

    def parse(self, value: object, *, subject: str) -> str:
        """Validate a stored state value, with an error that names the subject and the choices."""
        if not isinstance(value, str) or value not in self.states:
            raise InvalidStateValue(
                f"{subject}: stored {self.name} state {value!r} is not one of "
                f"{', '.join(self.states)}"
            )
        return value


def compile_machine(machine: Any) -> TransitionTable:
    """Build the table of a ``StateMachine`` class through its public introspection."""
    moves: dict[tuple[str, str], set[str]] = {}
    for state in machine.states:
        for transition in state.transitions:
            for event in transition.events:
                moves.setdefault((transition.source.value, event.id), set()).add(
                    transition.target.value
                )
    (initial,) = (s.value for s in machine.states if s.initial)
    return TransitionTable(
        name=machine.__name__,
        states=tuple(s.value for s in machine.states),
        initial=initial,
        final=frozenset(s.value for s in machine.states if s.final),
        events=tuple(e.id for e in machine.events),
        targets_by_move=MappingProxyType({k: frozenset(v) for k, v in moves.items()}),
    )
