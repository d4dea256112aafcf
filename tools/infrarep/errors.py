"""One exception family and one exit-code scheme for every command."""

from __future__ import annotations

import reprlib
from enum import IntEnum


class ExitCode(IntEnum):
    """Shaped like terraform's -detailed-exitcode; the same for every command."""

    OK = 0
    ERROR = 1
    FOUND = 2
    GATE_REFUSED = 3
    INTERRUPTED = 130


class InfrarepError(Exception):
    """An error a user can act on: one line naming where and what, plus an optional hint."""

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class ConfigError(InfrarepError):
    """A file, field or env in the user's input is wrong."""


class ToolchainError(InfrarepError):
    """terraform, go or the AWS provider is missing or unusable."""


class TerraformFailed(InfrarepError):
    """A terraform command exited non-zero."""

    def __init__(self, command: list[str], returncode: int, stderr_tail: str) -> None:
        shown = " ".join(command)
        super().__init__(
            f"`{shown}` failed with exit code {returncode}: {stderr_tail.strip() or '(no output)'}"
        )
        self.command = command
        self.returncode = returncode
        self.stderr_tail = stderr_tail


class LocalAwsError(InfrarepError):
    """The local AWS (moto server) could not be started, reached or stopped."""


class Interrupted(InfrarepError):
    """The user pressed Ctrl-C; whatever was running has stopped cleanly."""

    exit_code = ExitCode.INTERRUPTED


SHOWN_CHARACTERS = 120
"""The most of a user's value an error message quotes: a 3 KB YAML file can hold a value whose
repr is megabytes long, and an error is one line."""

_SHOWN = reprlib.Repr()
_SHOWN.maxlevel = 3
_SHOWN.maxstring = _SHOWN.maxother = SHOWN_CHARACTERS
_SHOWN.maxlist = _SHOWN.maxtuple = _SHOWN.maxdict = _SHOWN.maxset = 6


def shown(value: object) -> str:
    """`repr(value)` as an error message quotes it: at most SHOWN_CHARACTERS, and built without
    walking all of a huge value."""
    return cut(_SHOWN.repr(value))


def cut(text: str) -> str:
    """Text from elsewhere (a parser's message that quotes the input) cut to SHOWN_CHARACTERS."""
    return text if len(text) <= SHOWN_CHARACTERS else text[: SHOWN_CHARACTERS - 3] + "..."
