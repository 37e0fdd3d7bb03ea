"""Booleans in intake's bodies are true or false, never 0 or "yes" (schemathesis found
``{"active": 0}`` deactivating a user: Litestar validates bodies loosely)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from intake.entrypoints.http.schemas import CustomerIn, UserPatch


@pytest.mark.parametrize("value", [0, 1, "true", "no", None])
def test_a_flag_that_is_no_boolean_is_refused(value: object) -> None:
    with pytest.raises(ValidationError, match="must be true or false"):
        CustomerIn.model_validate(
            {"name": "Ana", "phone": "11 98765-4321", "sms_consent": value}, strict=False
        )


def test_true_and_false_pass() -> None:
    assert UserPatch.model_validate({"active": False}, strict=False).active is False
    assert UserPatch.model_validate({}, strict=False).active is None
    with pytest.raises(ValidationError):
        UserPatch.model_validate({"active": 0}, strict=False)
