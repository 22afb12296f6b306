"""Errors that the command line turns into exit codes.

:class:`InputError` is raised for anything a user gave us that is wrong: a scenario,
policy, events, experiment or config file, or a command-line value. It carries the
file, the location inside it (field path or line), what was found and what was
expected, so the message can be printed as one readable paragraph. The CLI prints
it and exits with code 2, never with a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Problem:
    """One thing wrong with an input: where, what was found, what was expected."""

    location: str
    found: str
    expected: str

    def render(self) -> str:
        return f"at {self.location}: found {self.found}; expected {self.expected}"


@dataclass
class InputError(Exception):
    """A user-supplied input is invalid.

    >>> e = InputError("scenario.yaml", [Problem("members[2].population", "-5", "a number > 0")])
    >>> print(e)
    scenario.yaml is invalid: at members[2].population: found -5; expected a number > 0.
    """

    source: str
    problems: list[Problem] = field(default_factory=list)
    summary: str = "is invalid"

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        if not self.problems:
            return f"{self.source} {self.summary}."
        parts = "; ".join(p.render() for p in self.problems[:8])
        more = f" (and {len(self.problems) - 8} more problems)" if len(self.problems) > 8 else ""
        return f"{self.source} {self.summary}: {parts}{more}."

    def to_dict(self) -> dict[str, Any]:
        return {
            "error": "invalid input",
            "source": self.source,
            "summary": self.summary,
            "problems": [p.__dict__ for p in self.problems],
        }


def short_repr(value: Any, limit: int = 60) -> str:
    """A compact representation of a found value for error messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
