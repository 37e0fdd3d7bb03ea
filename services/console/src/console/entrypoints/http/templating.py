"""Jinja filters the templates share: pt-BR dates in the branch's zone, masked phones."""

from __future__ import annotations

from typing import Any

from litestar.plugins.jinja import JinjaTemplateEngine

from console.domain import formatting


def _moment(value: str | None, zone: str | None = None) -> str:
    return formatting.moment_text(formatting.parse_instant(value), zone)


def _short_moment(value: str | None, zone: str | None = None) -> str:
    return formatting.short_moment_text(formatting.parse_instant(value), zone)


def _day(value: str | None) -> str:
    return formatting.day_text(formatting.parse_day(value))


def configure(engine: JinjaTemplateEngine) -> None:
    env: Any = engine.engine
    env.autoescape = True
    env.filters.update(
        moment=_moment,
        short_moment=_short_moment,
        day=_day,
        masked_phone=formatting.mask_phone,
        instants=formatting.instants_in_text,
        first_name=formatting.first_name,
    )
