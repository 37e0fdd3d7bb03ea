"""Staff accounts as the Pessoas page shows them: roles a person may hand out, errors in pt-BR.

Rules: intake decides who may grant what (a branch manager only attendants and viewers of
their own branches); the page offers a manager only those roles so the common case works,
and shows intake's refusal next to the field when it still says no. intake's English
validation messages become Portuguese, one per field; its Portuguese refusals pass as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from console.domain.permissions import ROLE_LABELS

MIN_PASSWORD = 10
GRANTABLE = {
    "chain_admin": ("chain_admin", "branch_manager", "attendant", "viewer"),
    "branch_manager": ("attendant", "viewer"),
}
FIELD_MESSAGES = {
    "email": "Informe um e-mail válido, como nome@loja.com.br.",
    "name": "Informe o nome (até 200 caracteres).",
    "password": f"A senha precisa de {MIN_PASSWORD} a 200 caracteres.",
    "role": "Escolha um perfil.",
    "branch_ids": "Escolha filiais da rede.",
    "active": "Informe se a pessoa pode entrar.",
}


def grantable_roles(role: str) -> list[tuple[str, str]]:
    """(role, label) pairs this person may hand out, in order of power."""
    return [(r, ROLE_LABELS[r]) for r in GRANTABLE.get(role, ())]


def user_form_errors(status: int, message: str, fields: Mapping[str, str]) -> dict[str, str]:
    """intake's refusal of a user form as {field: Portuguese message}; ``form`` for the rest."""
    errors = {
        key.split(".")[0]: FIELD_MESSAGES.get(key.split(".")[0], "Valor inválido.")
        for key in fields
    }
    named = message.split(":", 1)[0] if ":" in message else ""
    if status == 409 and named == "email":
        errors["email"] = "Já existe uma pessoa com este e-mail."
    elif named == "branch_ids":
        errors["branch_ids"] = "Uma das filiais escolhidas não existe na rede."
    elif not errors:
        errors["form"] = message
    return errors


def check_new_user(email: str, name: str, password: str, role: str) -> dict[str, str]:
    """What the counter can tell before asking intake: empty fields, a short password."""
    errors: dict[str, str] = {}
    if "@" not in email:
        errors["email"] = FIELD_MESSAGES["email"]
    if not name.strip():
        errors["name"] = "Informe o nome."
    if not role:
        errors["role"] = FIELD_MESSAGES["role"]
    if len(password) < MIN_PASSWORD:
        errors["password"] = FIELD_MESSAGES["password"]
    return errors


def user_changes(
    current: Mapping[str, Any], role: str, branch_ids: list[str], active: bool, password: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """Only what the form changed (intake refuses a person sending their own role, even
    unchanged), and any error the page can tell by itself."""
    changes: dict[str, Any] = {}
    if role and role != current.get("role"):
        changes["role"] = role
    if sorted(branch_ids) != sorted(str(b) for b in current.get("branch_ids") or []):
        changes["branch_ids"] = branch_ids
    if active != current.get("active"):
        changes["active"] = active
    errors: dict[str, str] = {}
    if password:
        changes["password"] = password
        if len(password) < MIN_PASSWORD:
            errors["password"] = FIELD_MESSAGES["password"]
    return changes, errors
