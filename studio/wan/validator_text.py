"""Checks of the texts a body carries: the prompt (characters, or tokens where documented) and
the negative prompt. Shared by the input checks of every body shape and the parameters check."""

from __future__ import annotations

from studio.wan.capabilities import ModelCapabilities
from studio.wan.validator_report import ValidationReport, describe_value


def check_prompt_text(
    prompt: object, path: str, caps: ModelCapabilities, report: ValidationReport, *, strict: bool
) -> None:
    if not isinstance(prompt, str):
        report.add(path, f"must be a string, not {describe_value(prompt)}")
    elif not prompt.strip():
        if not caps.prompt_optional:
            report.add(path, "the prompt is empty")
    elif len(prompt) > caps.prompt_max_chars:
        # Reference: 002, text — at most 5,000 characters, each counting as one (004: 2,000 for
        # wan2.6-image, 2,100 for wan2.6-t2i); "Any excess is automatically truncated", which
        # the emulator (strict=False) imitates.
        if strict:
            report.add(path, _too_long(len(prompt), caps))
        else:
            report.note(path, f"prompt is {len(prompt):,} characters; the first {caps.prompt_max_chars:,} are used")
    elif caps.prompt_max_tokens is not None and len(prompt) > caps.prompt_max_tokens:
        # A token limit (qwen-image-2.0): the studio cannot count the service's tokens, so a
        # prompt that may be over is sent with a note; the service cuts what is beyond.
        report.note(path, prompt_may_be_cut(len(prompt), caps))


def _too_long(length: int, caps: ModelCapabilities) -> str:
    message = f"prompt is {length:,} characters, more than the {caps.prompt_max_chars:,} allowed"
    if caps.prompt_max_tokens is not None:
        message += f" (surely over the {caps.prompt_max_tokens:,} tokens {caps.name} reads)"
    return message


def prompt_may_be_cut(length: int, caps: ModelCapabilities) -> str:
    """What the editor and the validator say of a prompt that may pass a token limit."""
    return (
        f"prompt is {length:,} characters; {caps.name} reads up to {caps.prompt_max_tokens:,} tokens "
        "(about one per Chinese character, one per few English letters) and cuts the rest"
    )


def check_negative_prompt(value: object, path: str, caps: ModelCapabilities, report: ValidationReport) -> None:
    limit = caps.negative_prompt_max_chars
    if limit is None:
        report.add(path, f"{caps.name} takes no negative_prompt")
    elif not isinstance(value, str):
        report.add(path, f"must be a string, not {describe_value(value)}")
    elif len(value) > limit:
        # Reference: 004 and 000 — negative_prompt "Max 500 characters".
        report.add(path, f"negative prompt is {len(value):,} characters, more than the {limit:,} allowed")
