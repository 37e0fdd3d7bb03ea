"""The chain directory: chains, their branches, and the rule that keeps order numbers unique.

Rules:
- A chain's name and a branch's code (within its chain) are unique.
- Order numbers start with the branch code, so a code that numbers orders stays theirs: a
  branch with orders keeps its code, and a code that numbered another branch's orders is not
  taken again.
"""

from __future__ import annotations


class DirectoryConflict(ValueError):
    """A name or code is already taken."""


class UnknownChain(LookupError):
    pass


def check_code_change(
    current: str | None, wanted: str, *, branch_has_orders: bool, code_numbered_orders: bool
) -> None:
    """Raise ``DirectoryConflict`` when giving a branch (now ``current``, None when new) the
    code ``wanted`` would make two orders share a number prefix."""
    if current == wanted:
        return
    if current is not None and branch_has_orders:
        raise DirectoryConflict(
            f"code: branch {current} already has orders numbered {current}-…; its code stays"
        )
    if code_numbered_orders:
        raise DirectoryConflict(
            f"code: {wanted} numbered orders of another branch; choose another code"
        )
