"""``Flag``: a boolean in a request body, ``true`` or ``false`` and nothing else.

Litestar validates bodies loosely (``model_validate(strict=False)``), so a plain ``bool`` takes
``0``, ``1``, ``"yes"`` or ``"off"`` — schemathesis found ``{"active": 0}`` deactivating a user.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator


def only_true_or_false(value: object) -> object:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


Flag = Annotated[bool, BeforeValidator(only_true_or_false)]
