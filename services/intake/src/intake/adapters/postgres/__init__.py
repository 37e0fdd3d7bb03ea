"""Intake's PostgreSQL stores: typed records in and out, one module per aggregate."""

from pathlib import Path

MIGRATIONS = Path(__file__).parents[2] / "migrations"
"""Intake's SQL migrations (yoyo), applied at start-up and by ``python -m intake migrate``."""
