"""HTTP errors the workflow's controllers share."""

from __future__ import annotations

from litestar.exceptions import ClientException, ValidationException
from litestar.status_codes import HTTP_409_CONFLICT

from workflow.domain.problems import InvalidInput


class ConflictException(ClientException):
    status_code = HTTP_409_CONFLICT


def bad_request(error: InvalidInput) -> ValidationException:
    """400 naming every problem: ``detail`` in one line, ``extra`` one entry per field."""
    return ValidationException(
        detail=str(error),
        extra=[{"field": problem.field, "problem": problem.problem} for problem in error.problems],
    )
