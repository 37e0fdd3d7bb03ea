"""A notifier behind real HTTP, fed through the real broker, sending to the fake provider:
delivery reports and replies in the three providers' shapes, and the opt-out API."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aio_pika
import asyncpg
import httpx
import pytest
import uvicorn

import notifier.bootstrap
from etapa_contracts.events import (
    BranchSnapshot,
    CustomerSummary,
    Event,
    OrderOpened,
    OrderStageChanged,
    StageRef,
)
from etapa_contracts.topology import Topology
from notifier.config import NotifierSettings
from notifier.domain.callbacks import twilio_signature
from shared.database import create_pool
from tests.fakes.sms_provider import FakeSmsProvider
from tests.infra import Infra, bearer
from tests.integration.harness import eventually, free_port, wait_until_ready

pytestmark = pytest.mark.integration

TOKEN = "segredo-de-callback"
TWILIO_TOKEN = "twilio-auth-token"


@dataclass
class Live:
    url: str
    pool: asyncpg.Pool
    fake: FakeSmsProvider
    exchange: aio_pika.abc.AbstractExchange
    http: httpx.AsyncClient

    async def publish(self, event: Event) -> None:
        await self.exchange.publish(
            aio_pika.Message(
                json.dumps(event.model_dump(mode="json")).encode(),
                content_type="application/json",
                message_id=str(event.message_id),
            ),
            routing_key=event.routing_key(),
        )

    async def order(
        self, phone: str, chain_id: uuid.UUID | None = None, branch_id: uuid.UUID | None = None
    ) -> tuple[uuid.UUID, uuid.UUID]:
        """Open an order and enter its first stage through the broker; (chain, order)."""
        chain_id = chain_id or uuid.uuid4()
        order_id = uuid.uuid4()
        now = datetime.now(UTC)
        branch = BranchSnapshot(
            branch_id=branch_id or uuid.uuid4(),
            code="RJ01",
            name="Ótica Centro",
            state="RJ",
            city="Rio de Janeiro",
            timezone="America/Sao_Paulo",
        )
        base: dict[str, Any] = {"occurred_at": now, "correlation_id": "t", "chain_id": chain_id}
        await self.publish(
            OrderOpened(
                **base,
                order_id=order_id,
                order_number="RJ01-000001",
                branch=branch,
                service_type="teste",
                customer=CustomerSummary(name="Ana Lima", phone=phone, sms_consent=True),
                opened_at=now,
            )
        )
        await self.publish(
            OrderStageChanged(
                **base,
                order_id=order_id,
                order_number="RJ01-000001",
                branch_id=branch.branch_id,
                from_stage=None,
                to_stage=StageRef(key="recebido", name="Recebido", position=0),
                entry_sequence=1,
                entered_at=now,
                due_at=now,
                projected_completion_at=now,
                promised_date=None,
                sms_template="Olá {nome}, recebemos a OS {numero_os}.",
            )
        )
        return chain_id, order_id

    async def message(self, order_id: uuid.UUID) -> dict[str, Any] | None:
        row = await self.pool.fetchrow("SELECT * FROM messages WHERE order_id = $1", order_id)
        return dict(row) if row else None

    async def status_is(self, order_id: uuid.UUID, status: str) -> dict[str, Any] | None:
        message = await self.message(order_id)
        return message if message and message["status"] == status else None

    async def events(self, order_id: uuid.UUID) -> list[str]:
        rows = await self.pool.fetch(
            """SELECT payload->>'status' AS s FROM outbox
               WHERE payload->>'order_id' = $1 ORDER BY id""",
            str(order_id),
        )
        return [r["s"] for r in rows]

    async def callback(self, provider: str, kind: str, **kwargs: Any) -> httpx.Response:
        return await self.http.post(
            f"{self.url}/api/v1/providers/{provider}/{kind}", params={"token": TOKEN}, **kwargs
        )

    async def twilio(self, kind: str, form: dict[str, str], *, sign: bool = True) -> httpx.Response:
        url = f"{self.url}/api/v1/providers/twilio/{kind}?token={TOKEN}"
        signature = twilio_signature(TWILIO_TOKEN, url, form) if sign else "forjada"
        return await self.http.post(url, data=form, headers={"X-Twilio-Signature": signature})


@pytest.fixture(scope="module")
async def live(infra: Infra) -> AsyncIterator[Live]:
    fake = FakeSmsProvider()
    await fake.start()
    port = free_port()
    env = infra.service_env(
        "ntfapi",
        NOTIFIER_PORT=str(port),
        NOTIFIER_SMS_PROVIDER="http",
        NOTIFIER_HTTP_URL=f"{fake.url}/sms",
        NOTIFIER_CALLBACK_TOKEN=TOKEN,
        NOTIFIER_TWILIO_AUTH_TOKEN=TWILIO_TOKEN,
        NOTIFIER_SENDING_HOURS="always",
        NOTIFIER_DISPATCH_INTERVAL="0.05",
        NOTIFIER_SEND_TRIES="1",
        NOTIFIER_RETRY_BASE_DELAY="60",
    )
    app = notifier.bootstrap.create_app(NotifierSettings.from_env(env))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    task = asyncio.create_task(server.serve())
    url = f"http://127.0.0.1:{port}"
    connection = await aio_pika.connect(infra.amqp_url)
    async with httpx.AsyncClient(timeout=10) as http:
        await wait_until_ready(http, url)
    pool = await create_pool(env["NOTIFIER_DATABASE_URL"])
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            channel = await connection.channel()
            exchange = await channel.get_exchange(
                Topology(prefix=env["ETAPA_TOPOLOGY_PREFIX"]).events_exchange
            )
            yield Live(url, pool, fake, exchange, http)
    finally:
        await pool.close()
        await connection.close()
        server.should_exit = True
        await task
        await fake.stop()


def phone() -> str:
    return f"+55219{uuid.uuid4().int % 10**8:08d}"


async def test_http_delivery_report_marks_the_message_delivered(live: Live) -> None:
    chain_id, order_id = await live.order(phone())
    sent = await eventually(lambda: live.status_is(order_id, "sent"))
    report = await live.callback(
        "http", "status", json={"id": sent["provider_message_id"], "status": "delivered"}
    )
    assert report.json() == {"result": "applied"}
    delivered = await live.status_is(order_id, "delivered")
    assert delivered is not None
    assert delivered["delivered_at"] is not None
    assert await live.events(order_id) == ["sent", "delivered"]
    again = await live.callback(
        "http", "status", json={"id": sent["provider_message_id"], "status": "failed"}
    )
    assert again.json() == {"result": "unchanged"}  # delivered is final

    listed = await live.http.get(
        f"{live.url}/api/v1/messages",
        params={"status": "delivered", "order_id": str(order_id)},
        headers=bearer(chain_id),
    )
    assert [m["order_id"] for m in listed.json()["items"]] == [str(order_id)]


async def test_a_report_that_overtakes_the_providers_answer_is_applied_once_sent(
    live: Live,
) -> None:
    """The provider's report reaches the notifier before the provider's own answer does, so
    before the notifier has written ``sent``: it is kept, then applied to the message."""
    answers: list[dict[str, str]] = []

    async def report_first(message_id: str) -> None:
        early = await live.callback(
            "http", "status", json={"id": message_id, "status": "delivered"}
        )
        answers.append(early.json())

    live.fake.before_answer = report_first
    try:
        _, order_id = await live.order(phone())
        delivered = await eventually(lambda: live.status_is(order_id, "delivered"))
    finally:
        live.fake.before_answer = None
    assert answers == [{"result": "kept"}]
    assert delivered is not None
    assert delivered["delivered_at"] is not None
    assert await live.events(order_id) == ["sent", "delivered"]
    assert await live.pool.fetchval("SELECT count(*) FROM early_reports") == 0


async def test_zenvia_and_twilio_failure_reports(live: Live) -> None:
    _, zenvia_order = await live.order(phone())
    _, twilio_order = await live.order(phone())
    z = await eventually(lambda: live.status_is(zenvia_order, "sent"))
    t = await eventually(lambda: live.status_is(twilio_order, "sent"))
    # The reports name the provider in the path; these messages went out through "http".
    await live.pool.execute(
        "UPDATE messages SET provider = 'zenvia' WHERE notification_id = $1", z["notification_id"]
    )
    await live.pool.execute(
        "UPDATE messages SET provider = 'twilio' WHERE notification_id = $1", t["notification_id"]
    )
    zenvia = await live.callback(
        "zenvia",
        "status",
        json={
            "type": "MESSAGE_STATUS",
            # Zenvia's current format (the top-level messageId is deprecated, still accepted)
            "message": {"id": z["provider_message_id"]},
            "messageStatus": {
                "code": "NOT_DELIVERED",
                "description": "Not delivered",
                "causes": [{"reason": "INVALID_DESTINATION", "details": "número inexistente"}],
            },
        },
    )
    assert zenvia.json() == {"result": "applied"}
    failed = await live.status_is(zenvia_order, "failed")
    assert failed is not None
    assert failed["status_reason"] == "número inexistente"

    form = {"MessageSid": t["provider_message_id"], "MessageStatus": "sent"}
    assert (await live.twilio("status", form)).json() == {"result": "unchanged"}
    forged = await live.twilio("status", dict(form, MessageStatus="delivered"), sign=False)
    assert forged.status_code == 401
    assert "X-Twilio-Signature" in forged.json()["detail"]
    form = {
        "MessageSid": t["provider_message_id"],
        "MessageStatus": "undelivered",
        "ErrorCode": "30005",
    }
    assert (await live.twilio("status", form)).json() == {"result": "applied"}
    failed = await live.status_is(twilio_order, "failed")
    assert failed is not None
    assert failed["status_reason"] == "undelivered (erro Twilio 30005)"


async def test_callbacks_need_the_token_and_a_valid_body(live: Live) -> None:
    url = f"{live.url}/api/v1/providers/http/status"
    assert (await live.http.post(url, json={"id": "x", "status": "delivered"})).status_code == 401
    wrong = await live.http.post(url, params={"token": "nao"}, json={})
    assert wrong.status_code == 401
    by_header = await live.http.post(
        url, headers={"X-Etapa-Callback-Token": TOKEN}, json={"id": "nada", "status": "delivered"}
    )
    assert by_header.json() == {"result": "kept"}  # no message has that id yet
    no_token = await live.http.post(url, json={"id": "x", "status": "delivered"})
    assert " or " not in no_token.json()["detail"]  # Portuguese throughout
    # an id no provider gives: 400 naming it, never a row too large for its index (was a 500)
    huge = await live.callback(
        "http", "status", json={"id": uuid.uuid4().hex * 125, "status": "delivered"}
    )
    assert huge.status_code == 400
    assert huge.json()["detail"].startswith("id: mais de 200 caracteres")
    missing = await live.callback("http", "status", json={"status": "delivered"})
    assert (missing.status_code, missing.json()["detail"]) == (400, "id: obrigatório")
    unknown = await live.callback("sinal-de-fumaca", "inbound", json={})
    assert unknown.status_code == 404
    not_json = await live.callback("http", "inbound", content=b"PARE")
    assert not_json.status_code == 400
    # A body off its documented shape is refused naming the field (make fuzz: {"from": {}} was
    # read as the number "{}" and answered 200 "ignored").
    for kind, body, field in [
        ("inbound", {"from": {}, "text": ""}, "from"),
        ("inbound", {"from": "+5531988887777", "text": ["PARE"]}, "text"),
        ("status", {"id": "x", "status": 5}, "status"),
    ]:
        off_shape = await live.callback("http", kind, json=body)
        assert off_shape.status_code == 400, (body, off_shape.text)
        assert off_shape.json()["detail"].startswith(f"{field}: "), off_shape.json()
    zenvia_off_shape = await live.callback(
        "zenvia", "inbound", json={"type": "MESSAGE", "message": {"from": 5511987654321}}
    )
    assert zenvia_off_shape.status_code == 400
    assert zenvia_off_shape.json()["detail"] == "message.from: deve ser um texto"


async def test_a_pare_reply_opts_out_and_suppresses_pending_messages(live: Live) -> None:
    number = phone()
    live.fake.fail_next(1, 503)  # the first message waits for its next round
    _, order_id = await live.order(number)
    await eventually(
        lambda: live.pool.fetchval(
            "SELECT attempts FROM messages WHERE order_id = $1 AND status = 'pending'", order_id
        )
    )
    reply = await live.callback("http", "inbound", json={"from": number, "text": "  Páre! "})
    assert reply.json() == {"result": "opt_out"}
    message = await live.message(order_id)
    assert message is not None
    assert (message["status"], message["status_reason"]) == (
        "suppressed",
        "o número pediu para não receber SMS (respondeu PARE)",
    )
    assert await live.events(order_id) == ["suppressed"]

    # A later message to the number is suppressed too, never sent.
    chain_id, later = await live.order(number)
    await eventually(lambda: live.status_is(later, "suppressed"))
    listed = await live.http.get(
        f"{live.url}/api/v1/messages", params={"order_id": str(later)}, headers=bearer(chain_id)
    )
    # staff see whose message it was, masked, although it was never sent
    assert listed.json()["items"][0]["phone_masked"] == number[:6] + "******" + number[-2:]
    assert [r.to for r in live.fake.requests].count(number) == 1  # only the failed request

    # VOLTAR through Twilio (form-encoded, signed) opts it back in.
    back = await live.twilio("inbound", {"From": number, "Body": "voltar"})
    assert back.status_code == 200
    assert "<Response>" in back.text
    assert back.headers["content-type"].startswith("application/xml")  # as the OpenAPI says
    assert not await live.pool.fetchval("SELECT true FROM opt_outs WHERE phone = $1", number)
    _, after = await live.order(number)
    await eventually(lambda: live.status_is(after, "sent"))


async def test_zenvia_reply_shape_and_replies_that_are_no_command(live: Live) -> None:
    number = phone()
    chat = await live.callback(
        "zenvia",
        "inbound",
        json={
            "type": "MESSAGE",
            "message": {
                "from": number.lstrip("+"),
                "direction": "IN",
                "contents": [{"type": "text", "text": "Obrigada!"}],
            },
        },
    )
    assert chat.json() == {"result": "ignored"}
    stop = await live.callback(
        "zenvia",
        "inbound",
        json={
            "type": "MESSAGE",
            "message": {
                "from": number.lstrip("+"),
                "direction": "IN",
                "contents": [{"type": "text", "text": "SAIR"}],
            },
        },
    )
    assert stop.json() == {"result": "opt_out"}
    row = await live.pool.fetchrow("SELECT * FROM opt_outs WHERE phone = $1", number)
    assert row is not None
    assert (row["source"], row["provider"], row["keyword"]) == ("reply", "zenvia", "SAIR")


async def test_opt_out_api_is_scoped_to_the_chain_and_its_roles(live: Live) -> None:
    number = phone()
    chain_id, _ = await live.order(number)  # the chain has this customer
    await eventually(  # once the notifier has committed the contact (it came by the broker)
        lambda: live.pool.fetchval("SELECT true FROM contacts WHERE chain_id = $1", chain_id)
    )
    other = uuid.uuid4()
    api = f"{live.url}/api/v1/opt-outs"
    admin, stranger = bearer(chain_id), bearer(other)

    bad = await live.http.post(api, json={"phone": "12"}, headers=admin)
    assert bad.status_code == 400
    assert bad.json()["detail"].startswith("phone:")
    # a field the body does not take is refused, not ignored (5 December)
    extra = await live.http.post(api, json={"phone": number, "fone": number}, headers=admin)
    assert extra.status_code == 400
    assert "fone: campo desconhecido" in extra.json()["detail"]
    viewer = await live.http.post(api, json={"phone": number}, headers=bearer(chain_id, "viewer"))
    assert viewer.status_code == 403
    assert (await live.http.get(api)).status_code == 401

    # Another chain may not silence this chain's customer; the chain itself may.
    stranger_try = await live.http.post(api, json={"phone": number}, headers=stranger)
    assert stranger_try.status_code == 404
    created = await live.http.post(api, json={"phone": number}, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["set_by_this_chain"] is True
    again = await live.http.post(api, json={"phone": number}, headers=admin)
    assert again.status_code == 200

    # The customer of another chain too: a staff opt-out is the chain's own, so that chain
    # sees nothing of it (issue 15, item 1).
    await live.order(number, chain_id=other)
    await eventually(
        lambda: live.pool.fetchval("SELECT true FROM contacts WHERE chain_id = $1", other)
    )
    theirs = (await live.http.get(api, params={"phone": number}, headers=stranger)).json()
    assert theirs["items"] == []
    mine = (await live.http.get(api, params={"phone": number}, headers=admin)).json()["items"]
    assert [(o["phone_masked"], o["set_by_this_chain"], o["removable"]) for o in mine] == [
        (number[:6] + "******" + number[-2:], True, True)
    ]

    # A third chain with neither the customer nor the opt-out sees nothing and may not undo it.
    third = bearer(uuid.uuid4())
    assert (await live.http.get(api, params={"phone": number}, headers=third)).json()["items"] == []
    assert (await live.http.delete(f"{api}/{number}", headers=third)).status_code == 404

    # Branch staff of another branch neither see the chain's customers' opt-outs (a customer's
    # reply here, or the chain's staff's) nor set them.
    replied = phone()
    await live.order(replied, chain_id=chain_id)
    await eventually(
        lambda: live.pool.fetchval("SELECT true FROM contacts WHERE phone = $1", replied)
    )
    await live.callback("http", "inbound", json={"from": replied, "text": "STOP"})
    clerk = bearer(chain_id, "attendant", branches=[uuid.uuid4()])
    assert (await live.http.get(api, params={"phone": replied}, headers=clerk)).json()[
        "items"
    ] == []
    assert (
        len((await live.http.get(api, params={"phone": replied}, headers=admin)).json()["items"])
        == 1
    )
    assert (await live.http.post(api, json={"phone": replied}, headers=clerk)).status_code == 404
    assert (await live.http.get(api, params={"phone": number}, headers=clerk)).json()["items"] == []

    assert (await live.http.delete(f"{api}/{number}", headers=admin)).status_code == 204
    assert (await live.http.get(api, params={"phone": number}, headers=admin)).json()["items"] == []


async def pending_message(live: Live, number: str, chain_id: uuid.UUID | None = None) -> Any:
    """(chain, order) of an order whose first SMS failed once and waits for its next round."""
    live.fake.fail_next(1, 503)
    chain, order_id = await live.order(number, chain_id=chain_id)
    await eventually(
        lambda: live.pool.fetchval(
            "SELECT attempts FROM messages WHERE order_id = $1 AND status = 'pending'", order_id
        )
    )
    return chain, order_id


async def test_no_chain_silences_or_resubscribes_another_chains_customer(live: Live) -> None:
    """Issue 15, item 1: a staff opt-out is its chain's; a customer's PARE is everyone's."""
    number = phone()
    api = f"{live.url}/api/v1/opt-outs"
    chain_a, order_a = await pending_message(live, number)
    chain_b, _ = await live.order(number, chain_id=uuid.uuid4())  # B also has the customer
    await eventually(
        lambda: live.pool.fetchval("SELECT true FROM contacts WHERE chain_id = $1", chain_b)
    )
    a, b = bearer(chain_a), bearer(chain_b)

    # B's staff opt-out stops B's SMS only: A's waiting message is not suppressed.
    assert (await live.http.post(api, json={"phone": number}, headers=b)).status_code == 201
    message = await live.message(order_a)
    assert message is not None
    assert message["status"] == "pending"
    assert "suppressed" not in await live.events(order_a)
    # A neither sees it nor lifts it.
    assert (await live.http.get(api, params={"phone": number}, headers=a)).json()["items"] == []
    assert (await live.http.delete(f"{api}/{number}", headers=a)).status_code == 404
    assert await live.pool.fetchval(
        "SELECT true FROM opt_outs WHERE phone = $1 AND set_by_chain = $2", number, chain_b
    )
    # A's next message goes out; B's is suppressed, saying why.
    _, sent_a = await live.order(number, chain_id=chain_a)
    await eventually(lambda: live.status_is(sent_a, "sent"))
    _, held_b = await live.order(number, chain_id=chain_b)
    suppressed_b = await eventually(lambda: live.status_is(held_b, "suppressed"))
    assert suppressed_b["status_reason"] == "o número foi descadastrado pela equipe"

    # The customer's PARE applies everywhere; A sees only that the number accepts no SMS.
    await live.callback("http", "inbound", json={"from": number, "text": "PARE"})
    await eventually(lambda: live.status_is(order_a, "suppressed"))
    seen_by_a = (await live.http.get(api, params={"phone": number}, headers=a)).json()["items"]
    assert seen_by_a == [
        {
            "phone_masked": number[:6] + "******" + number[-2:],
            "source": "reply",
            "opted_out_at": None,
            "keyword": None,
            "set_by_this_chain": False,
            "removable": False,
        }
    ]
    seen_by_b = (await live.http.get(api, params={"phone": number}, headers=b)).json()["items"]
    assert [(o["source"], o["removable"]) for o in seen_by_b] == [
        ("staff", True),
        ("reply", False),
    ]
    assert seen_by_b[0]["opted_out_at"] is not None
    # No chain lifts the customer's own opt-out: only their VOLTAR does.
    refused = await live.http.delete(f"{api}/{number}", headers=a)
    assert refused.status_code == 409
    assert "VOLTAR" in refused.json()["detail"]
    assert await live.pool.fetchval(
        "SELECT true FROM opt_outs WHERE phone = $1 AND set_by_chain IS NULL", number
    )
    # VOLTAR lifts the customer's opt-out, not B's: A sends again, B still does not.
    await live.callback("http", "inbound", json={"from": number, "text": "VOLTAR"})
    _, again_a = await live.order(number, chain_id=chain_a)
    await eventually(lambda: live.status_is(again_a, "sent"))
    _, again_b = await live.order(number, chain_id=chain_b)
    await eventually(lambda: live.status_is(again_b, "suppressed"))
    # B lifts its own.
    assert (await live.http.delete(f"{api}/{number}", headers=b)).status_code == 204
    _, last_b = await live.order(number, chain_id=chain_b)
    await eventually(lambda: live.status_is(last_b, "sent"))


async def test_branch_staff_see_and_lift_only_their_branches_opt_outs(live: Live) -> None:
    """Issue 15, item 4: opt-outs are scoped like orders, by the customers' branches."""
    chain_id, mine, theirs = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    ours_number, their_number = phone(), phone()
    await live.order(ours_number, chain_id=chain_id, branch_id=mine)
    await live.order(their_number, chain_id=chain_id, branch_id=theirs)
    await eventually(
        lambda: live.pool.fetchval(
            "SELECT count(*) = 2 FROM contacts WHERE chain_id = $1", chain_id
        )
    )
    api = f"{live.url}/api/v1/opt-outs"
    admin = bearer(chain_id)
    for number in (ours_number, their_number):
        assert (await live.http.post(api, json={"phone": number}, headers=admin)).status_code == 201
    clerk = bearer(chain_id, "attendant", branches=[mine])

    listed = (await live.http.get(api, headers=clerk)).json()["items"]
    assert [o["phone_masked"][-2:] for o in listed] == [ours_number[-2:]]
    assert (await live.http.delete(f"{api}/{their_number}", headers=clerk)).status_code == 404
    assert await live.pool.fetchval("SELECT true FROM opt_outs WHERE phone = $1", their_number)
    assert (await live.http.delete(f"{api}/{ours_number}", headers=clerk)).status_code == 204


async def test_opt_out_api_reads_numbers_as_people_type_them(live: Live) -> None:
    """Issue 15, item 11: (21) 9xxxx-xxxx is +55 21 …, not +21 …."""
    number = phone()  # +55 21 9xxxxxxxx
    typed = f"({number[3:5]}) {number[5:10]}-{number[10:]}"
    chain_id, _ = await live.order(number)
    await eventually(
        lambda: live.pool.fetchval("SELECT true FROM contacts WHERE phone = $1", number)
    )
    api = f"{live.url}/api/v1/opt-outs"
    created = await live.http.post(api, json={"phone": typed}, headers=bearer(chain_id))
    assert created.status_code == 201, created.text
    found = await live.http.get(api, params={"phone": typed}, headers=bearer(chain_id))
    assert len(found.json()["items"]) == 1
    # a reply from a provider that writes the number nationally is the same number
    await live.callback("http", "inbound", json={"from": typed, "text": "PARE"})
    assert await live.pool.fetchval(
        "SELECT true FROM opt_outs WHERE phone = $1 AND set_by_chain IS NULL", number
    )
