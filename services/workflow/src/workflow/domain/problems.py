"""A problem with one field of a request, named by its path (``stages[2].planned_days``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldProblem:
    field: str
    problem: str

    def __str__(self) -> str:
        return f"{self.field}: {self.problem}"


class InvalidInput(ValueError):
    """Input that cannot be used; ``problems`` lists every reason."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__("; ".join(str(problem) for problem in problems))
        self.problems = problems


def control_character_problem(
    path: str, text: str, *, multiline: bool = False
) -> list[FieldProblem]:
    """A problem when ``text`` holds a control character (line breaks allowed if multiline)."""
    allowed = "\n\r\t" if multiline else ""
    if any((ord(char) < 32 or ord(char) == 127) and char not in allowed for char in text):
        return [FieldProblem(path, "must not contain control characters")]
    return []
