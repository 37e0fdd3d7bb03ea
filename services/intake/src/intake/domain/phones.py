"""Customer mobile numbers, read the way people type them and stored in E.164 (``shared.phones``,
the reading every service shares)."""

from __future__ import annotations

from shared.phones import InvalidPhone, normalize_mobile

__all__ = ["InvalidPhone", "normalize_mobile"]
