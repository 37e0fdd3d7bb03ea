"""Staff accounts: who may sign in, in which chain, with which role and branches."""

from __future__ import annotations


class EmailTaken(Exception):
    """Another account already uses this e-mail."""


class UnknownBranches(Exception):
    """Some branch ids are not branches of the chain."""
