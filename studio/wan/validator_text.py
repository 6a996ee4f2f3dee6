"""Checks of the texts a body carries: the prompt (characters, or tokens where documented) and
the negative prompt. Shared by the input checks of every body shape and the parameters check."""

from __future__ import annotations

from studio.wan.capabilities import ModelCapabilities
from studio.wan.problem_words import Said, say
from studio.wan.validator_report import ValidationReport, describe_value


def check_prompt_text(
    prompt: object, path: str, caps: ModelCapabilities, report: ValidationReport, *, strict: bool
) -> None:
    if not isinstance(prompt, str):
        report.add(path, say("text.not_string", value=describe_value(prompt)))
    elif not prompt.strip():
        if not caps.prompt_optional:
            report.add(path, say("prompt.empty"))
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


def _too_long(length: int, caps: ModelCapabilities) -> Said:
    if caps.prompt_max_tokens is not None:
        return say(
            "prompt.too_long_tokens",
            length=length,
            limit=caps.prompt_max_chars,
            tokens=caps.prompt_max_tokens,
            model=caps.name,
        )
    return say("prompt.too_long", length=length, limit=caps.prompt_max_chars)


def prompt_may_be_cut(length: int, caps: ModelCapabilities) -> Said:
    """What the editor and the validator say of a prompt that may pass a token limit."""
    return say("prompt.may_be_cut", length=length, model=caps.name, tokens=caps.prompt_max_tokens)


def check_negative_prompt(value: object, path: str, caps: ModelCapabilities, report: ValidationReport) -> None:
    limit = caps.negative_prompt_max_chars
    if limit is None:
        report.add(path, say("negative_prompt.not_taken", model=caps.name))
    elif not isinstance(value, str):
        report.add(path, say("text.not_string", value=describe_value(value)))
    elif len(value) > limit:
        # Reference: 004 and 000 — negative_prompt "Max 500 characters".
        report.add(path, say("negative_prompt.too_long", length=len(value), limit=limit))
