"""What makes a flow valid; every problem names its field by path, e.g. ``stages[2].planned_days``.

Rules:

- ``code``: lower-case letters, digits and hyphens, 1–64 characters, starting with a letter or
  digit (the same shape intake accepts on an order).
- ``name``: not blank, at most 200 characters.
- ``stages``: at least one, at most 50. Each stage has a ``key`` of the same shape as ``code``,
  unique in the flow; a ``name`` (not blank, ≤ 200); ``planned_days`` from 0 to 365.
- ``sms_template``: valid by ``etapa_contracts.sms_template.find_template_errors`` (the one
  check the notifier uses too), and, rendered with long but typical values, at most
  ``MAX_SMS_SEGMENTS`` SMS segments. A blank template is refused: give none (``null``) instead.
- ``responsible_role``: a short lower-case identifier (``attendant``, ``technician``…).
- ``lab_statuses``: each one of the lab statuses in ARCHITECTURE.md, and each used by one stage
  only (a lab status must lead to exactly one stage).
- ``customer_name``: when given, not blank, at most 200 characters; ``visible_to_customer``:
  at least one stage of the flow is visible, so the customer's page has a step to show.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from typing import get_args

from etapa_contracts.events import LabStatusCode
from etapa_contracts.sms_template import (
    TemplateValues,
    count_segments,
    find_template_errors,
    render_template,
)
from workflow.domain.flow import Stage
from workflow.domain.order_machine import LAB_STATUSES_THAT_NEVER_MOVE
from workflow.domain.problems import FieldProblem, InvalidInput, control_character_problem

LAB_STATUSES: tuple[str, ...] = get_args(LabStatusCode)
MAX_SMS_SEGMENTS = 3
MAX_STAGES = 50
MAX_PLANNED_DAYS = 365
_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_ROLE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_CODE_RULE = "use 1–64 lower-case letters, digits or hyphens, starting with a letter or digit"

# Long but ordinary values: what a real message may look like at its longest.
_SAMPLE = TemplateValues(
    customer_name="Maria Aparecida",
    order_number="SP01-000123",
    stage_name="",
    promised_date=date(2026, 12, 3),
    forecast_date=date(2026, 12, 3),
    branch_name="Óticas Visão Clara - Shopping Paulista",
    branch_phone="(11) 3253-1000",
    # The real shape of {link}: ETAPA_TRACKING_BASE_URL + "/a/" + an 11-character token.
    tracking_link="https://acompanhe.oticasvisaoclara.com.br/a/Xk3p9QzAb1c",
)


class InvalidFlow(InvalidInput):
    """A flow that cannot be saved; ``problems`` lists every reason."""


def check_flow(code: str, name: str, stages: tuple[Stage, ...]) -> None:
    """Raise InvalidFlow naming every problem of the flow; return when there is none."""
    problems = flow_problems(code, name, stages)
    if problems:
        raise InvalidFlow(problems)


def flow_problems(code: str, name: str, stages: tuple[Stage, ...]) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    if not _CODE.fullmatch(code):
        problems.append(FieldProblem("code", f"{code!r} is not a valid code; {_CODE_RULE}"))
    problems.extend(_text_problems("name", name))
    if not stages:
        problems.append(FieldProblem("stages", "a flow needs at least one stage"))
    elif len(stages) > MAX_STAGES:
        problems.append(FieldProblem("stages", f"at most {MAX_STAGES} stages"))
    first_key: dict[str, int] = {}
    lab_status_stage: dict[str, int] = {}
    for index, stage in enumerate(stages):
        path = f"stages[{index}]"
        if not _CODE.fullmatch(stage.key):
            problems.append(
                FieldProblem(f"{path}.key", f"{stage.key!r} is not a valid key; {_CODE_RULE}")
            )
        elif stage.key in first_key:
            problems.append(
                FieldProblem(
                    f"{path}.key",
                    f"duplicate stage key {stage.key!r} (also stages[{first_key[stage.key]}])",
                )
            )
        else:
            first_key[stage.key] = index
        problems.extend(_text_problems(f"{path}.name", stage.name))
        if stage.customer_name is not None:
            problems.extend(_text_problems(f"{path}.customer_name", stage.customer_name))
        if stage.planned_days < 0:
            problems.append(FieldProblem(f"{path}.planned_days", "must be ≥ 0"))
        elif stage.planned_days > MAX_PLANNED_DAYS:
            problems.append(FieldProblem(f"{path}.planned_days", f"must be ≤ {MAX_PLANNED_DAYS}"))
        if len(stage.description) > 500:
            problems.append(FieldProblem(f"{path}.description", "at most 500 characters"))
        problems.extend(
            control_character_problem(f"{path}.description", stage.description, multiline=True)
        )
        if stage.sms_template is not None:
            problems.extend(_template_problems(f"{path}.sms_template", stage))
        if stage.responsible_role is not None and not _ROLE.fullmatch(stage.responsible_role):
            problems.append(
                FieldProblem(
                    f"{path}.responsible_role",
                    f"{stage.responsible_role!r} is not a role identifier "
                    "(lower-case letters, digits, underscores)",
                )
            )
        for status_index, status in enumerate(stage.lab_statuses):
            status_path = f"{path}.lab_statuses[{status_index}]"
            if status not in LAB_STATUSES:
                problems.append(
                    FieldProblem(
                        status_path,
                        f"unknown lab status {status!r}; known: {', '.join(LAB_STATUSES)}",
                    )
                )
            elif status in LAB_STATUSES_THAT_NEVER_MOVE:
                problems.append(
                    FieldProblem(
                        status_path,
                        f"lab status {status!r} never moves an order (it goes on the timeline "
                        "and the order stays where it is); map it to no stage",
                    )
                )
            elif status in lab_status_stage:
                problems.append(
                    FieldProblem(
                        status_path,
                        f"lab status {status!r} is already used by "
                        f"stages[{lab_status_stage[status]}]",
                    )
                )
            else:
                lab_status_stage[status] = index
    if stages and not any(stage.visible_to_customer for stage in stages):
        problems.append(
            FieldProblem(
                "stages",
                "at least one stage must be visible_to_customer (the customer's page shows them)",
            )
        )
    return problems


def _text_problems(path: str, text: str) -> list[FieldProblem]:
    if control := control_character_problem(path, text):
        return control
    if not text.strip():
        return [FieldProblem(path, "must not be blank")]
    if len(text) > 200:
        return [FieldProblem(path, "at most 200 characters")]
    return []


def _template_problems(path: str, stage: Stage) -> list[FieldProblem]:
    template = stage.sms_template or ""
    if control := control_character_problem(path, template, multiline=True):
        return control
    errors = find_template_errors(template)
    if errors:
        return [FieldProblem(path, error) for error in errors]
    sample = render_template(template, replace(_SAMPLE, stage_name=stage.customer_label))
    segments = count_segments(sample)
    if segments.segments > MAX_SMS_SEGMENTS:
        return [
            FieldProblem(
                path,
                f"a mensagem teria {segments.segments} partes de SMS ({segments.encoding}, "
                f"{segments.characters} caracteres com valores típicos); o máximo é "
                f"{MAX_SMS_SEGMENTS}",
            )
        ]
    return []
