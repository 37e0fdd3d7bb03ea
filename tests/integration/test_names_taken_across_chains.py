"""A taken e-mail or lab code tells the caller nothing of where it is taken (issue 15, item 8).

E-mails and lab codes stay unique across Etapa (README, "Names unique across Etapa"): the review
found that the 409 told one chain about another. Taken in the caller's own chain or in another,
the answer is the same 409, naming the field and the value only.
"""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.infra import bearer
from tests.integration.conftest import SeededChain, create_chain
from tests.integration.harness import RunningServices

pytestmark = pytest.mark.integration
PASSWORD = "uma-senha-longa-1"


async def test_a_taken_email_or_lab_code_answers_the_same_in_every_chain(
    services: RunningServices, http: httpx.AsyncClient, chain: SeededChain
) -> None:
    intake = f"{services.urls['intake']}/api/v1"
    email = f"pessoa-{uuid.uuid4().hex[:8]}@example.com"
    code = f"L{uuid.uuid4().hex[:8].upper()}"
    user = {"email": email, "name": "Pessoa", "role": "viewer", "branch_ids": []}
    first = await http.post(
        f"{intake}/users", headers=chain.headers, json=user | {"password": PASSWORD}
    )
    assert first.status_code == 201, first.text
    lab = await http.post(
        f"{intake}/labs", headers=chain.headers, json={"code": code, "name": "Lab"}
    )
    assert lab.status_code == 201, lab.text
    other_name = f"Outra {uuid.uuid4().hex[:6]}"
    other = bearer(await create_chain(services, http, other_name))

    answers: dict[str, list[tuple[int, str]]] = {"email": [], "code": []}
    for headers in (chain.headers, other):  # the holder's own chain, then another chain
        again = user | {"name": "Outra Pessoa", "password": PASSWORD}
        taken_email = await http.post(f"{intake}/users", headers=headers, json=again)
        taken_code = await http.post(
            f"{intake}/labs", headers=headers, json={"code": code, "name": "Cópia"}
        )
        answers["email"].append((taken_email.status_code, taken_email.text))
        answers["code"].append((taken_code.status_code, taken_code.text))
        for response in (taken_email, taken_code):
            for secret in (chain.chain_id, other_name, "Rede ", "outra rede", "another chain"):
                assert secret not in response.text, (secret, response.text)

    assert answers["email"][0] == answers["email"][1]
    assert answers["code"][0] == answers["code"][1]
    status, body = answers["email"][1]
    assert status == 409
    assert httpx.Response(status, text=body).json()["detail"] == (
        f"email: o e-mail {email} já está em uso"
    )
    status, body = answers["code"][1]
    assert status == 409
    assert httpx.Response(status, text=body).json()["detail"] == (
        f"code: o código de laboratório '{code}' já está em uso"
    )
