"""Checks of a body's "input" that every body shape shares (prompt text, one image value), and
the two input objects besides messages: input.prompt/images (references 003 and 004) and the
image edit's input.function/base_image_url/mask_image_url (reference 001).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from studio.wan.capabilities import ImageLimits, IntRange, ModelCapabilities
from studio.wan.images import (
    ImageDecodeError,
    data_url_byte_size,
    image_problems,
    image_warnings,
    inspect_image,
    parse_data_url,
    size_problem,
)
from studio.wan.request import is_http_url
from studio.wan.problem_words import say
from studio.wan.validator_report import SeenImage, ValidationReport, describe_value, is_array
from studio.wan.validator_text import check_negative_prompt, check_prompt_text

_PROMPT_FIELDS = ("prompt", "negative_prompt", "images")
_EDIT_FIELDS = ("function", "prompt", "base_image_url", "mask_image_url")


def _join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


def unknown_fields(
    obj: dict[Any, Any], allowed: tuple[str, ...], path: str, what: str, report: ValidationReport
) -> None:
    for key in obj:
        if key not in allowed:
            report.add(_join(path, key), say("field.unknown", what=say(what), expected=", ".join(allowed)))


def check_image(value: object, path: str, limits: ImageLimits, report: ValidationReport) -> SeenImage:
    """Check one image value; its pixel size when it could be read."""
    if not isinstance(value, str):
        report.add(path, say("image.not_string", value=describe_value(value)))
        return SeenImage(size=None, is_url=False)
    # Reference: 002, "Supported input formats" — an HTTP(S) URL or data:{MIME_type};base64,{data}.
    if is_http_url(value):
        if not urlsplit(value).netloc:
            report.add(path, say("image.url_no_host", value=describe_value(value)))
        else:
            report.note(path, "pixel checks skipped for an http(s) URL (the validator does not fetch it)")
        return SeenImage(size=None, is_url=True)
    if value[:5].lower() == "data:":
        return SeenImage(size=_check_data_url(value, path, limits, report), is_url=False)
    code = "image.file_url" if value[:7].lower() == "file://" else "image.not_url"
    report.add(path, say(code, value=describe_value(value)))
    return SeenImage(size=None, is_url=False)


def _check_data_url(value: str, path: str, limits: ImageLimits, report: ValidationReport) -> tuple[int, int] | None:
    # Refuse an oversized image by its encoded length before decoding it.
    estimated = data_url_byte_size(value)
    if estimated > limits.max_bytes:
        report.add(path, size_problem(estimated, limits.max_bytes))
        return None
    try:
        declared_mime, data = parse_data_url(value)
        info = inspect_image(data)
    except ImageDecodeError as exc:
        report.add(path, exc.args[0])
        return None
    for message in image_problems(info, limits, declared_mime=declared_mime):
        report.add(path, message)
    for message in image_warnings(info, limits):
        report.note(path, message)
    return info.width, info.height


def _input_object(body: dict[Any, Any], fields: tuple[str, ...], report: ValidationReport) -> dict[Any, Any] | None:
    inp = body.get("input")
    if not isinstance(inp, dict):
        report.add("input", say("input.not_object_with", fields=", ".join(fields), value=describe_value(inp)))
        return None
    unknown_fields(inp, fields, "input", "what.input_field", report)
    return inp


def check_prompt_input(
    body: dict[Any, Any], caps: ModelCapabilities, allowed: IntRange, report: ValidationReport, *, strict: bool
) -> list[SeenImage]:
    """input.prompt, input.negative_prompt and input.images (references 003 and 004)."""
    fields = _PROMPT_FIELDS if allowed.hi else _PROMPT_FIELDS[:2]
    inp = _input_object(body, fields, report)
    if inp is None:
        return []
    if "prompt" not in inp:
        report.add("input.prompt", say("prompt.required"))
    else:
        check_prompt_text(inp["prompt"], "input.prompt", caps, report, strict=strict)
    if "negative_prompt" in inp:
        check_negative_prompt(inp["negative_prompt"], "input.negative_prompt", caps, report)
    if not allowed.hi:
        return []
    images = inp.get("images", [])
    if not is_array(images):
        report.add("input.images", say("images.not_array", value=describe_value(images)))
        return []
    # Reference: 003 — "Array of 1–3 image URLs. Array order = image numbering in prompt."
    if len(images) not in allowed:
        report.add("input.images", say("images.count", count=len(images), model=caps.name, lo=allowed.lo, hi=allowed.hi))
    return [check_image(value, f"input.images[{i}]", caps.images, report) for i, value in enumerate(images)]


def check_edit_input(
    body: dict[Any, Any], caps: ModelCapabilities, report: ValidationReport, *, strict: bool, params: object
) -> list[SeenImage]:
    """wanx2.1-imageedit's input: a function, a prompt, a base image and, for mask editing, a mask."""
    rules = caps.image_edit
    assert rules is not None, f"{caps.name} is not an image edit model"
    inp = _input_object(body, _EDIT_FIELDS, report)
    if inp is None:
        return []
    function = inp.get("function")
    known = rules.functions.get(function) if isinstance(function, str) else None
    if known is None:
        functions = ", ".join(rules.functions)
        if function is None:
            report.add("input.function", say("function.required", functions=functions))
        else:
            report.add("input.function", say("function.unknown", value=describe_value(function), functions=functions))
    if "prompt" not in inp:
        report.add("input.prompt", say("edit_prompt.required"))
    else:
        check_prompt_text(inp["prompt"], "input.prompt", caps, report, strict=strict)
        if known is not None and known.styles and isinstance(inp["prompt"], str):
            _check_style_named(inp["prompt"], known.styles, report)
    if "base_image_url" not in inp:
        report.add("input.base_image_url", say("base_image.required"))
        return []
    base = check_image(inp["base_image_url"], "input.base_image_url", caps.images, report)
    if "mask_image_url" in inp:
        if known is not None and not known.needs_mask:
            report.add("input.mask_image_url", say("mask.not_taken", function=function))
        else:
            _check_mask(inp["mask_image_url"], base, caps, report)
    elif known is not None and known.needs_mask:
        # Reference: 001, "Local inpainting" — "You must provide a mask_image_url."
        report.add("input.mask_image_url", say("mask.required", function=function))
    return [base]


def _check_style_named(prompt: str, styles: dict[str, str], report: ValidationReport) -> None:
    # Reference: 001, "Local stylization" — the style is chosen by naming its value in the prompt.
    lowered = prompt.lower()
    if not any(value in lowered for value in styles):
        report.add("input.prompt", say("prompt.style_missing", styles=", ".join(styles)))


def _check_mask(value: object, base: SeenImage, caps: ModelCapabilities, report: ValidationReport) -> None:
    path = "input.mask_image_url"
    limits = caps.images
    mask = check_image(value, path, ImageLimits(
        formats=caps.image_edit.mask_formats if caps.image_edit else limits.formats,
        side=limits.side,
        max_aspect=limits.max_aspect,
        max_bytes=limits.max_bytes,
        alpha_allowed=True,
        count=limits.count,
    ), report)
    if mask.size and base.size and mask.size != base.size:
        report.add(
            path,
            say(
                "mask.size_mismatch",
                mask_width=mask.size[0],
                mask_height=mask.size[1],
                width=base.size[0],
                height=base.size[1],
            ),
        )
