"""What became of a staff action: found on the order's timeline, said in a few words.

Rules:
- Intake accepts an action (202) and workflow applies or refuses it later. Workflow records
  the action's effects — or its refusal, ``kind == "action_refused"`` with the reason in
  ``detail.reason`` — at the action's ``requested_at``. That entry is the outcome.
- Workflow never lets an action take effect before the order's last move, so when no entry
  sits exactly at ``requested_at`` the first later entry of the kind the action causes, by the
  same person, is the outcome.
- No entry yet means the action is still on its way: the caller waits or asks again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from console.domain.formatting import parse_instant

EFFECT_KINDS = {
    "advance": "stage_entered",
    "back": "stage_entered",
    "pause": "paused",
    "resume": "resumed",
    "assign": "assigned",
    "note": "note",
    "deliver": "delivered",
    "cancel": "cancelled",
    "reopen": "reopened",
}
REFUSED = "action_refused"
FIXED_TEXT = {
    "pause": "Pausada",
    "resume": "Retomada; os prazos foram adiados pelo tempo parada",
    "note": "Anotação registrada",
    "deliver": "Entregue ao cliente",
    "cancel": "Cancelada",
}


@dataclass(frozen=True, slots=True)
class Outcome:
    applied: bool
    text: str


def find_outcome(
    timeline: Sequence[Mapping[str, Any]],
    action: str,
    requested_at: datetime,
    actor: str | None = None,
) -> Outcome | None:
    """The outcome of ``action`` requested at ``requested_at``, or ``None`` while it is pending."""
    expected = {EFFECT_KINDS.get(action), REFUSED}
    timed = [(parse_instant(e.get("occurred_at")), e) for e in timeline]
    for when, entry in timed:
        if when == requested_at and entry.get("kind") in expected:
            return outcome_of(entry, action)
    later = [
        (when, entry)
        for when, entry in timed
        if when is not None
        and when > requested_at
        and entry.get("kind") in expected
        and (actor is None or entry.get("actor") == actor)
        and (entry.get("kind") != REFUSED or _detail(entry).get("action") == action)
    ]
    if not later:
        return None
    return outcome_of(min(later, key=lambda pair: pair[0] or requested_at)[1], action)


def outcome_of(entry: Mapping[str, Any], action: str) -> Outcome:
    summary = str(entry.get("summary") or "")
    if entry.get("kind") == REFUSED:
        reason = _detail(entry).get("reason") or summary
        return Outcome(applied=False, text=f"Recusada: {reason}")
    if action in ("advance", "back"):
        stage = quoted(summary) or str(_detail(entry).get("stage") or "")
        verb = "Avançada para" if action == "advance" else "Voltou para"
        return Outcome(applied=True, text=f"{verb} {stage}".strip())
    if action in FIXED_TEXT:
        return Outcome(applied=True, text=FIXED_TEXT[action])
    return Outcome(applied=True, text=summary)


def quoted(text: str) -> str | None:
    """The text between “ and ” (workflow quotes stage names that way)."""
    start = text.find("“")
    end = text.find("”", start + 1)
    if start < 0 or end < 0:
        return None
    return text[start + 1 : end]


def _detail(entry: Mapping[str, Any]) -> Mapping[str, Any]:
    detail = entry.get("detail")
    return detail if isinstance(detail, Mapping) else {}
