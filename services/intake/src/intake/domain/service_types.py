"""The chain's service types as workflow publishes them (``service_type.published.v1``).

Rules:
- Intake keeps one copy per (chain, code); a publication of an older flow version than the one
  kept changes nothing, so redelivered or reordered events never undo a newer one.
- An order's service type is checked only once the chain has at least one known service type:
  a chain whose workflow has not published yet keeps opening orders, and workflow flags an
  unknown type on the order itself.
"""

from __future__ import annotations

from collections.abc import Mapping


class UnknownServiceType(ValueError):
    """The chain knows service types, and this is not one of its active ones."""


def check_service_type(known: Mapping[str, bool], code: str) -> None:
    """Raise ``UnknownServiceType`` when ``known`` (code → active) is not empty and ``code`` is
    not one of its active codes."""
    if not known:
        return
    if code not in known:
        active = ", ".join(c for c, is_active in sorted(known.items()) if is_active)
        raise UnknownServiceType(
            f"unknown service type {code!r} in this chain (known: {active or 'none active'})"
        )
    if not known[code]:
        raise UnknownServiceType(f"service type {code!r} is no longer active in this chain")
