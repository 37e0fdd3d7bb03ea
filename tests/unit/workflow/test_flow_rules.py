"""Flow validation (every problem named by its path) and the comparison of two versions."""

from dataclasses import replace

import pytest

from workflow.domain.calendar import DayCounting
from workflow.domain.flow import FlowVersion, Stage
from workflow.domain.flow_diff import FieldChange, compare_flows
from workflow.entrypoints.demo_seed import DEMO_FLOWS
from workflow.usecases.flow_rules import InvalidFlow, check_flow, flow_problems

B, C = DayCounting.BUSINESS, DayCounting.CALENDAR
RECEIVED = Stage("recebido", "Recebido", 1, B, sms_template="Olá {nome}! OS {numero_os}.")
LAB = Stage("laboratorio", "Laboratório", 5, B, lab_statuses=("received", "in_production"))
READY = Stage("pronto", "Pronto", 0, B, pauses_clock=True)
GOOD = (RECEIVED, LAB, READY)


def problems(stages: tuple[Stage, ...], code: str = "oculos", name: str = "Óculos") -> list[str]:
    return [str(problem) for problem in flow_problems(code, name, stages)]


def test_a_good_flow_and_every_demo_flow_have_no_problem() -> None:
    assert problems(GOOD) == []
    for code, (name, stages) in DEMO_FLOWS.items():
        assert problems(stages, code, name) == [], code


@pytest.mark.parametrize(
    ("stages", "expected"),
    [
        ((), "stages: a flow needs at least one stage"),
        ((RECEIVED, LAB, replace(READY, planned_days=-1)), "stages[2].planned_days: must be ≥ 0"),
        ((RECEIVED, replace(LAB, planned_days=400)), "stages[1].planned_days: must be ≤ 365"),
        (
            (RECEIVED, LAB, replace(READY, key="recebido")),
            "stages[2].key: duplicate stage key 'recebido' (also stages[0])",
        ),
        ((replace(RECEIVED, key="Com Espaço"),), "stages[0].key: 'Com Espaço' is not a valid key"),
        ((replace(RECEIVED, name="  "),), "stages[0].name: must not be blank"),
        (
            (replace(RECEIVED, sms_template="Olá {cliente}!"),),
            "stages[0].sms_template: placeholder desconhecido {cliente}",
        ),
        ((replace(RECEIVED, sms_template="   "),), "stages[0].sms_template: o modelo está vazio"),
        (
            (RECEIVED, replace(LAB, lab_statuses=("received", "teleported"))),
            "stages[1].lab_statuses[1]: unknown lab status 'teleported'",
        ),
        (
            (RECEIVED, LAB, replace(READY, lab_statuses=("in_production",))),
            "stages[2].lab_statuses[0]: lab status 'in_production' is already used by stages[1]",
        ),
        (
            (replace(LAB, lab_statuses=("edging", "edging")),),
            "stages[0].lab_statuses[1]: lab status 'edging' is already used by stages[0]",
        ),
        (
            (replace(LAB, lab_statuses=("remake",)),),
            "stages[0].lab_statuses[0]: lab status 'remake' never moves an order",
        ),
        ((replace(RECEIVED, name="Rece\x00bido"),), "stages[0].name: must not contain control"),
        (
            (replace(RECEIVED, sms_template="Olá\x00 {nome}"),),
            "stages[0].sms_template: must not contain control characters",
        ),
        (
            (replace(RECEIVED, responsible_role="Gerente Geral"),),
            "stages[0].responsible_role: 'Gerente Geral' is not a role identifier",
        ),
        (
            (replace(RECEIVED, sms_template="Olá {nome}! " + "Sua OS está a caminho. " * 30),),
            "stages[0].sms_template: a mensagem teria 11 partes de SMS (UCS-2",
        ),
    ],
)
def test_each_problem_names_its_field(stages: tuple[Stage, ...], expected: str) -> None:
    found = problems(stages)

    assert any(problem.startswith(expected) for problem in found), found


@pytest.mark.parametrize(
    ("code", "name", "expected"),
    [
        ("Óculos", "Óculos", "code: 'Óculos' is not a valid code"),
        ("oculos", "", "name: must not be blank"),
        ("oculos", "x" * 201, "name: at most 200 characters"),
    ],
)
def test_the_code_and_name_are_checked(code: str, name: str, expected: str) -> None:
    assert any(p.startswith(expected) for p in problems(GOOD, code, name))


def test_every_problem_is_reported_at_once() -> None:
    bad = (replace(RECEIVED, planned_days=-2, sms_template="{x}"), replace(LAB, key="recebido"))

    with pytest.raises(InvalidFlow) as raised:
        check_flow("oculos", "Óculos", bad)

    fields = [problem.field for problem in raised.value.problems]
    assert fields == ["stages[0].planned_days", "stages[0].sms_template", "stages[1].key"]
    assert "stages[0].planned_days: must be ≥ 0" in str(raised.value)


# --- compare --------------------------------------------------------------------------------


def version(number: int, stages: tuple[Stage, ...], name: str = "Óculos") -> FlowVersion:
    return FlowVersion("oculos", name, number, stages)


def test_identical_versions_compare_as_unchanged() -> None:
    diff = compare_flows(version(1, GOOD), version(2, GOOD))

    assert diff.unchanged
    assert (diff.from_version, diff.to_version) == (1, 2)


def test_compare_lists_stages_added_removed_and_changed_field_by_field() -> None:
    quality = Stage("qualidade", "Controle de qualidade", 1, B)
    newer = (
        replace(RECEIVED, name="Recebido na loja", sms_template=None),
        replace(LAB, planned_days=7, counting=C, lab_statuses=("received",)),
        quality,
    )

    diff = compare_flows(version(1, GOOD), version(2, newer, name="Óculos de grau"))

    assert diff.name == FieldChange("name", "Óculos", "Óculos de grau")
    assert diff.added == ((2, quality),)
    assert diff.removed == ((2, READY),)
    assert [change.key for change in diff.changed] == ["recebido", "laboratorio"]
    assert diff.changed[0].changes == (
        FieldChange("name", "Recebido", "Recebido na loja"),
        FieldChange("sms_template", "Olá {nome}! OS {numero_os}.", None),
    )
    assert diff.changed[1].changes == (
        FieldChange("planned_days", 5, 7),
        FieldChange("counting", "business", "calendar"),
        FieldChange("lab_statuses", ["received", "in_production"], ["received"]),
    )
    assert not diff.unchanged


def test_a_moved_stage_is_a_change_of_its_position() -> None:
    diff = compare_flows(version(1, GOOD), version(2, (LAB, RECEIVED, READY)))

    assert [(c.key, c.changes) for c in diff.changed] == [
        ("laboratorio", (FieldChange("position", 1, 0),)),
        ("recebido", (FieldChange("position", 0, 1),)),
    ]
    assert diff.added == diff.removed == ()


def test_comparing_backwards_swaps_added_and_removed() -> None:
    newer = (*GOOD, Stage("entregue", "Entregue", 0, B))

    forward = compare_flows(version(1, GOOD), version(2, newer))
    backward = compare_flows(version(2, newer), version(1, GOOD))

    assert forward.added == backward.removed == ((3, newer[3]),)


# --- what customers see of a stage -----------------------------------------------------------


@pytest.mark.parametrize(
    ("stages", "expected"),
    [
        ((replace(RECEIVED, customer_name=" "),), "stages[0].customer_name: must not be blank"),
        (
            (RECEIVED, replace(LAB, customer_name="x" * 201)),
            "stages[1].customer_name: at most 200 characters",
        ),
        (
            tuple(replace(stage, visible_to_customer=False) for stage in GOOD),
            "stages: at least one stage must be visible_to_customer",
        ),
    ],
)
def test_customer_facing_fields_are_checked(stages: tuple[Stage, ...], expected: str) -> None:
    assert any(problem.startswith(expected) for problem in problems(stages)), problems(stages)


def test_a_hidden_stage_and_a_customer_name_are_a_good_flow() -> None:
    stages = (
        RECEIVED,
        replace(LAB, visible_to_customer=False),
        replace(READY, customer_name="Pronta"),
    )
    assert problems(stages) == []
    assert stages[2].customer_label == "Pronta"
    assert stages[0].customer_label == "Recebido"


def test_compare_reports_visibility_and_customer_name_changes() -> None:
    older = FlowVersion("oculos", "Óculos", 1, GOOD)
    newer = FlowVersion(
        "oculos",
        "Óculos",
        2,
        (RECEIVED, replace(LAB, visible_to_customer=False), replace(READY, customer_name="Pronta")),
    )
    diff = compare_flows(older, newer)
    changes = {change.key: change.changes for change in diff.changed}
    assert changes == {
        "laboratorio": (FieldChange("visible_to_customer", True, False),),
        "pronto": (FieldChange("customer_name", None, "Pronta"),),
    }


def test_a_version_stored_before_the_customer_fields_loads_with_defaults() -> None:
    from workflow.adapters.postgres.flows import StageJson, normalized_stages, stage_from_json

    old: StageJson = {
        "key": "recebido",
        "name": "Recebido",
        "planned_days": 1,
        "counting": "business",
    }
    stage = stage_from_json(old)
    assert (stage.visible_to_customer, stage.customer_name) == (True, None)
    assert normalized_stages([old])[0] == {
        **old,
        "description": "",
        "sms_template": None,
        "responsible_role": None,
        "lab_statuses": [],
        "pauses_clock": False,
        "sms_on_reentry": False,
        "visible_to_customer": True,
        "customer_name": None,
    }
