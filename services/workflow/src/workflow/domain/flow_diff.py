"""What changed between two versions of a flow: stages added, removed and changed field by field.

Stages are matched by ``key`` (their stable identifier), so renaming a stage is a change of its
``name`` while changing its key is one stage removed and another added. A stage that moved is
a change of its ``position`` (0-based), reported like any other field.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import Enum

from workflow.domain.flow import FlowVersion, Stage

Value = str | int | bool | list[str] | None


@dataclass(frozen=True, slots=True)
class FieldChange:
    field: str
    before: Value
    after: Value


@dataclass(frozen=True, slots=True)
class StageChange:
    key: str
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True, slots=True)
class FlowDiff:
    service_type: str
    from_version: int
    to_version: int
    name: FieldChange | None
    """The service type's name, when it changed."""
    added: tuple[tuple[int, Stage], ...]
    """(position in the newer version, stage)."""
    removed: tuple[tuple[int, Stage], ...]
    """(position in the older version, stage)."""
    changed: tuple[StageChange, ...]

    @property
    def unchanged(self) -> bool:
        return self.name is None and not (self.added or self.removed or self.changed)


def compare_flows(older: FlowVersion, newer: FlowVersion) -> FlowDiff:
    """The differences from ``older`` to ``newer`` (any two versions, in either order)."""
    before = {stage.key: (position, stage) for position, stage in enumerate(older.stages)}
    after = {stage.key: (position, stage) for position, stage in enumerate(newer.stages)}
    changed: list[StageChange] = []
    for key, (position, stage) in after.items():
        if key in before:
            old_position, old_stage = before[key]
            changes = _stage_changes(old_stage, stage)
            if old_position != position:
                changes.insert(0, FieldChange("position", old_position, position))
            if changes:
                changed.append(StageChange(key, tuple(changes)))
    return FlowDiff(
        service_type=newer.service_type,
        from_version=older.version,
        to_version=newer.version,
        name=FieldChange("name", older.name, newer.name) if older.name != newer.name else None,
        added=tuple((pos, stage) for key, (pos, stage) in after.items() if key not in before),
        removed=tuple((pos, stage) for key, (pos, stage) in before.items() if key not in after),
        changed=tuple(changed),
    )


def _stage_changes(old: Stage, new: Stage) -> list[FieldChange]:
    changes = []
    for field in fields(Stage):
        if field.name == "key":
            continue
        before, after = getattr(old, field.name), getattr(new, field.name)
        if before != after:
            changes.append(FieldChange(field.name, _plain(before), _plain(after)))
    return changes


def _plain(value: object) -> Value:
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, tuple):
        return [str(item) for item in value]
    if value is None or isinstance(value, str | int | bool):
        return value
    return str(value)
