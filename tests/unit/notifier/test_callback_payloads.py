"""Provider callbacks with odd shapes are refused with the field named, never a server error."""

from __future__ import annotations

from typing import Any

import pytest

from notifier.domain.callbacks import CallbackError, parse_inbound, parse_status


@pytest.mark.parametrize(
    ("parse", "provider", "payload", "field"),
    [
        (parse_inbound, "zenvia", {"message": {"from": "5511987654321", "contents": 5}},
         "message.contents"),
        (parse_status, "zenvia", {"messageId": "m1", "messageStatus": {"code": "SENT",
                                                                       "causes": 5}},
         "messageStatus.causes"),
    ],
)  # fmt: skip
def test_a_list_that_is_not_a_list_names_its_field(
    parse: Any, provider: str, payload: dict[str, Any], field: str
) -> None:
    with pytest.raises(CallbackError, match=field):
        parse(provider, payload)


def test_reasons_are_text_whatever_the_provider_sent() -> None:
    report = parse_status("http", {"id": "x", "status": "failed", "reason": 7})
    assert report is not None
    assert report.reason == "7"
    zenvia = parse_status(
        "zenvia",
        {"messageId": "m1", "messageStatus": {"code": "NOT_DELIVERED", "causes": [{}]}},
    )
    assert zenvia is not None
    assert zenvia.reason == "NOT_DELIVERED"  # not the text "None"


def test_zenvias_status_takes_the_current_message_id_and_the_deprecated_message_id() -> None:
    """Zenvia's spec sends ``message.id``; the top-level ``messageId`` is deprecated
    (issue 15, item 10: the current format used to be refused)."""
    status = {"type": "MESSAGE_STATUS", "messageStatus": {"code": "DELIVERED"}}
    current = parse_status("zenvia", status | {"message": {"id": "m-new"}})
    deprecated = parse_status("zenvia", status | {"messageId": "m-old"})
    both = parse_status("zenvia", status | {"message": {"id": "m-new"}, "messageId": "m-new"})
    assert current is not None
    assert current.provider_message_id == "m-new"
    assert current.outcome == "delivered"
    assert deprecated is not None
    assert deprecated.provider_message_id == "m-old"
    assert both is not None
    assert both.provider_message_id == "m-new"
    with pytest.raises(CallbackError, match=r"message\.id"):
        parse_status("zenvia", status)


@pytest.mark.parametrize(
    ("provider", "payload", "field"),
    [
        ("http", {"id": "x" * 201, "status": "delivered"}, "id"),
        ("twilio", {"MessageSid": "S" * 201, "MessageStatus": "delivered"}, "MessageSid"),
        ("zenvia", {"message": {"id": "z" * 201}, "messageStatus": {"code": "DELIVERED"}},
         "message.id"),
    ],
)  # fmt: skip
def test_a_message_id_longer_than_any_providers_is_refused_naming_it(
    provider: str, payload: dict[str, object], field: str
) -> None:
    with pytest.raises(CallbackError, match=f"^{field}: mais de 200 caracteres"):
        parse_status(provider, payload)
    report = parse_status(provider, _at_the_limit(payload))
    assert report is not None
    assert report.provider_message_id == "9" * 200


def _at_the_limit(payload: dict[str, object]) -> dict[str, object]:
    """The same report with an id of exactly 200 characters."""
    id_200 = "9" * 200
    if "message" in payload:
        return payload | {"message": {"id": id_200}}
    key = "MessageSid" if "MessageSid" in payload else "id"
    return payload | {key: id_200}
