"""JSON values as stored in ``jsonb`` columns (a timeline entry's detail, a parked event)."""

from __future__ import annotations

JsonValue = str | int | float | bool | None | list["JsonValue"] | dict[str, "JsonValue"]
JsonObject = dict[str, JsonValue]
