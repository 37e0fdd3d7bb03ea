"""Pessoas, Laboratórios and Mensagens: refusals in Portuguese, what a form changed, phones."""

from __future__ import annotations

import pytest

from console.domain.labs import check_new_lab, lab_form_errors
from console.domain.messages import opt_out_error, phone_for_api, shop_masked
from console.domain.people import (
    check_new_user,
    grantable_roles,
    user_changes,
    user_form_errors,
)


def test_a_manager_is_offered_only_the_roles_intake_lets_them_grant() -> None:
    assert [r for r, _ in grantable_roles("branch_manager")] == ["attendant", "viewer"]
    assert len(grantable_roles("chain_admin")) == 4
    assert grantable_roles("attendant") == []


@pytest.mark.parametrize(
    ("status", "message", "fields", "expected"),
    [
        (400, "Validation failed", {"email": "String should match pattern"}, {"email": "e-mail"}),
        (400, "Validation failed", {"password": "too short"}, {"password": "10 a 200"}),
        (409, "email: already registered", {}, {"email": "Já existe"}),
        (400, "branch_ids: unknown branches x", {}, {"branch_ids": "não existe"}),
        (403, "Gerente de filial só cadastra atendentes", {}, {"form": "Gerente de filial"}),
    ],
)
def test_intakes_refusals_of_a_user_form_read_in_portuguese_beside_the_field(
    status: int, message: str, fields: dict[str, str], expected: dict[str, str]
) -> None:
    errors = user_form_errors(status, message, fields)
    assert set(errors) == set(expected)
    for field, fragment in expected.items():
        assert fragment in errors[field]


def test_a_new_user_form_is_checked_before_asking_intake() -> None:
    assert set(check_new_user("x", "", "curta", "")) == {"email", "name", "password", "role"}
    assert check_new_user("a@b.com", "Ana", "senha-longa-1", "attendant") == {}


@pytest.mark.parametrize(
    ("role", "branches", "active", "password", "sent"),
    [
        ("attendant", ["b1"], True, "", {}),
        ("viewer", ["b1"], True, "", {"role": "viewer"}),
        ("attendant", ["b2", "b1"], True, "", {"branch_ids": ["b2", "b1"]}),
        ("attendant", ["b1"], False, "", {"active": False}),
        ("attendant", ["b1"], True, "nova-senha-123", {"password": "nova-senha-123"}),
    ],
)
def test_only_what_the_form_changed_is_sent(
    role: str, branches: list[str], active: bool, password: str, sent: dict[str, object]
) -> None:
    current = {"role": "attendant", "branch_ids": ["b1"], "active": True}
    assert user_changes(current, role, branches, active, password) == (sent, {})


def test_a_short_new_password_is_refused_on_the_page() -> None:
    _, errors = user_changes({"role": "viewer"}, "viewer", [], True, "curta")
    assert "password" in errors


@pytest.mark.parametrize(
    ("code", "name", "fields"),
    [
        ("LABX", "Lab X", set()),
        ("lab x", "Lab", {"code"}),
        ("", "", {"code", "name"}),
        ("A" * 21, "Lab", {"code"}),
        ("LAB_1-A", "L", set()),
    ],
)
def test_a_lab_code_is_checked_as_intake_will(code: str, name: str, fields: set[str]) -> None:
    assert set(check_new_lab(code, name)) == fields


def test_a_taken_lab_code_is_said_beside_the_code() -> None:
    assert "já é usado" in lab_form_errors(409, "code: taken", {})["code"]
    assert lab_form_errors(403, "O perfil gerente não pode", {}) == {
        "form": "O perfil gerente não pode"
    }


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("(11) 98765-4321", "+5511987654321"),
        ("11987654321", "+5511987654321"),
        ("011 98765-4321", "+5511987654321"),
        ("(21) 3333-4444", "+552133334444"),
        ("55 11 98765-4321", "+5511987654321"),
        ("+55 (11) 98765-4321", "+55 (11) 98765-4321"),
        ("123", "123"),
    ],
)
def test_a_phone_typed_at_the_counter_is_sent_in_international_form(typed: str, sent: str) -> None:
    assert phone_for_api(typed) == sent


def test_opt_out_refusals_read_in_portuguese() -> None:
    assert "DDD" in opt_out_error(400, "phone: bad", removing=False)
    assert "não é de um cliente" in opt_out_error(404, "phone: x", removing=False)
    assert "não está descadastrado" in opt_out_error(404, "phone: x", removing=True)


@pytest.mark.parametrize(
    ("masked", "shown"),
    [
        ("+55119******21", "(11) 9****-**21"),
        ("+55213*****44", "(21) 3***-**44"),
        ("+1202*****67", "+1202*****67"),
        (None, "—"),
    ],
)
def test_the_notifiers_masked_phone_reads_as_the_shop_masks_phones(
    masked: str | None, shown: str
) -> None:
    assert shop_masked(masked) == shown
