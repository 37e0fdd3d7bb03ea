"""Labs as the Laboratórios page shows them: codes, keys, rejected messages, errors in pt-BR.

Rules: a lab's code is its identity on the broker (1–20 of A–Z, 0–9, ``_``, ``-``; unique across
Etapa); the console upper-cases what is typed. A key is shown once, right after it is made, and
never again (intake stores only its hash).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

CODE = re.compile(r"^[A-Z0-9_-]{1,20}$")
OUTCOME_LABELS = {
    "accepted": "aceita",
    "replayed": "reprocessada e aplicada",
    "rejected": "recusada de novo",
    "stale": "ignorada: mais antiga que a última situação aplicada",
    "duplicate": "repetida",
}


def check_new_lab(code: str, name: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not CODE.match(code):
        errors["code"] = "Código de 1 a 20 caracteres: letras, números, _ ou -, como LABX."
    if not name.strip():
        errors["name"] = "Informe o nome do laboratório."
    elif len(name) > 200:
        errors["name"] = "O nome pode ter até 200 caracteres."
    return errors


def lab_form_errors(status: int, message: str, fields: Mapping[str, str]) -> dict[str, str]:
    if status == 409:
        return {"code": "Este código já é usado por outro laboratório no Etapa; escolha outro."}
    errors = {key: "Valor inválido." for key in fields if key in ("code", "name")}
    return errors or {"form": message}
