"""A stage's SMS as the customer would read it, with example data, and what it costs.

The text is rendered by the project's own renderer (``etapa_contracts.sms_template``), the one the
notifier sends with, so the preview never disagrees with the message: same placeholders, same
first-name rule, same GSM-7/UCS-2 count. Workflow refuses more than ``MAX_PARTS`` parts with
long typical values; the preview warns earlier, with these example values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from etapa_contracts.sms_template import (
    PLACEHOLDERS,
    TemplateValues,
    count_segments,
    find_template_errors,
    render_template,
    tracking_url,
)

MAX_PARTS = 3
PLACEHOLDER_HELP = {
    "nome": "primeiro nome do cliente",
    "numero_os": "número da OS",
    "etapa": "nome da etapa",
    "data_prometida": "data prometida",
    "previsao": "previsão de conclusão",
    "filial": "nome da filial",
    "telefone_filial": "telefone da filial",
    "link": "link para acompanhar a OS",
}
assert set(PLACEHOLDER_HELP) == PLACEHOLDERS


@dataclass(frozen=True, slots=True)
class SmsPreview:
    template: str
    text: str
    characters: int
    parts: int
    encoding: str
    errors: list[str]
    used: frozenset[str]

    @property
    def empty(self) -> bool:
        return not self.template.strip()

    @property
    def summary(self) -> str:
        """``97 caracteres · 2 partes (acentos usam UCS-2)``."""
        chars = f"{self.characters} caractere{'' if self.characters == 1 else 's'}"
        parts = f"{self.parts} parte{'' if self.parts == 1 else 's'}"
        reason = " (acentos usam UCS-2)" if self.encoding == "UCS-2" else ""
        return f"{chars} · {parts}{reason}"

    @property
    def too_long(self) -> bool:
        return self.parts > MAX_PARTS


EXAMPLE_TOKEN = "Xk3p9QzA2bC"  # noqa: S105 - an example link token, not a secret
"""As long as a real token (11 characters), so the count is the real message's."""


def example_values(stage_name: str, today: date, tracking_base: str = "") -> TemplateValues:
    return TemplateValues(
        customer_name="Maria da Silva",
        order_number="SP01-000123",
        stage_name=stage_name.strip() or "Montagem",
        promised_date=today + timedelta(days=7),
        forecast_date=today + timedelta(days=6),
        branch_name="Visão Clara Paulista",
        branch_phone="(11) 3333-4444",
        tracking_link=tracking_url(tracking_base, EXAMPLE_TOKEN),
    )


def preview_sms(template: str, stage_name: str, today: date, tracking_base: str = "") -> SmsPreview:
    """The message with example data and a link of the real length (``tracking_base`` is
    ``ETAPA_TRACKING_BASE_URL``; without it the notifier leaves the link out, and so does this)."""
    template = template[:2000]
    errors = find_template_errors(template) if template.strip() else []
    used = frozenset(name for name in PLACEHOLDERS if "{" + name + "}" in template)
    if errors or not template.strip():
        return SmsPreview(template, "", 0, 0, "GSM-7", errors, used)
    text = render_template(template, example_values(stage_name, today, tracking_base))
    count = count_segments(text)
    return SmsPreview(template, text, count.characters, count.segments, count.encoding, [], used)


def placeholders() -> list[tuple[str, str]]:
    return [(name, PLACEHOLDER_HELP[name]) for name in PLACEHOLDER_HELP]
