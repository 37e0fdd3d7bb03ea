"""Text that PostgreSQL can store: it refuses the NUL character in ``text`` and ``jsonb``."""

from __future__ import annotations

from typing import Any


def nul_path(value: Any, path: str = "body") -> str | None:
    """The path of the first string holding a NUL character in a decoded JSON value, if any."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = nul_path(key, path) or nul_path(item, f"{path}.{key}")
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            if found := nul_path(item, f"{path}[{index}]"):
                return found
    return None


def refuse_nul(value: Any) -> Any:
    """A ``model_validator(mode="before")`` body: a NUL anywhere is a validation error."""
    if found := nul_path(value):
        field = found.removeprefix("body.") if found != "body" else "body"
        raise ValueError(f"{field}: must not contain the NUL character (\\u0000)")
    return value
