"""Check a Wan2.7 request body against every rule of the reference, reporting all problems at once.

Each problem carries the JSON path of the offending value (`input.messages[0].content[2].image`,
`parameters.bbox_list[1][0]`) and a message naming the limit. Notes ("note: ...") say what could
not be checked, such as the pixels behind an http(s) URL, which is never fetched.

The body checks (model, input, messages, content, images) live here; the "parameters" object is
checked in validator_params.

Reference: ../shared/seeds/002_e63ba47cef0cee16.txt, "Request body".
"""

from __future__ import annotations

from typing import Any

from studio.wan.capabilities import (
    DEFAULT_MODEL,
    MODELS,
    BodyShape,
    IntRange,
    Mode,
    ModelCapabilities,
    get_model,
)
from studio.wan.request import GenerationRequest, build_body, sent_images
from studio.wan.validator_inputs import check_edit_input, check_image, check_prompt_input, unknown_fields
from studio.wan.validator_params import check_parameters
from studio.wan.problem_words import say
from studio.wan.validator_report import Problem, SeenImage, ValidationReport, describe_value, is_array
from studio.wan.validator_text import check_prompt_text

__all__ = ["Problem", "ValidationReport", "validate_body", "validate_request"]

_BODY_FIELDS = ("model", "input", "parameters")
_INPUT_FIELDS = ("messages",)
_MESSAGE_FIELDS = ("role", "content")
_CONTENT_FIELDS = ("text", "image")
_MESSAGES = "input.messages"
_MESSAGE = "input.messages[0]"
_CONTENT = "input.messages[0].content"


def validate_body(body: object, *, strict: bool = True, region: str | None = None) -> ValidationReport:
    """All problems of a request body. strict=False lets an over-long prompt through, as the
    service does (it truncates); the emulator uses that. With a region, a model that region
    does not serve is a problem too."""
    report = ValidationReport()
    try:
        _check_body(body, report, strict=strict, region=region)
    except Exception as exc:  # Never raise on any input; a bug here must still read as a report.
        report.add("body", say("body.unchecked", error=f"{type(exc).__name__}: {exc}"))
    return report


def validate_request(req: GenerationRequest, *, strict: bool = True, region: str | None = None) -> ValidationReport:
    report = validate_body(build_body(req), strict=strict, region=region)
    unsent = len(req.images) - len(sent_images(req))
    if unsent > 0:
        # The edit body has room for image 1 only: the others would be kept with the job as if
        # sent while the provider never sees them.
        caps = get_model(req.model)
        allowed = caps.images.count
        report.add(
            "input",
            say("images.unsent", count=len(req.images), model=caps.name, lo=allowed.lo, hi=allowed.hi, unsent=unsent),
        )
    return report


def _check_body(body: object, report: ValidationReport, *, strict: bool, region: str | None) -> None:
    if not isinstance(body, dict):
        report.add("body", say("body.not_object", value=describe_value(body)))
        return
    unknown_fields(body, _BODY_FIELDS, "", "what.body_field", report)
    caps = _check_model(body, report)
    if region is not None and "model" not in {p.path for p in report.problems} and not caps.available_in(region):
        report.add("model", say("model.region", model=caps.name, regions=sorted(caps.regions), region=region))
    params = body.get("parameters", {})
    interleave = caps.interleave is not None and isinstance(params, dict) and params.get("enable_interleave") is True
    allowed = caps.image_count(Mode.INTERLEAVE if interleave else Mode.OTHER)
    if caps.body_shape is BodyShape.PROMPT:
        images = check_prompt_input(body, caps, allowed, report, strict=strict)
    elif caps.body_shape is BodyShape.IMAGE_EDIT:
        images = check_edit_input(body, caps, report, strict=strict, params=params)
    else:
        images = _check_input(body, caps, allowed, report, strict=strict)
    inp = body.get("input")
    function = inp.get("function") if isinstance(inp, dict) and isinstance(inp.get("function"), str) else None
    check_parameters(params, caps=caps, images=images, report=report, function=function)


def _known_models() -> str:
    return ", ".join(MODELS)


def _check_model(body: dict[Any, Any], report: ValidationReport) -> ModelCapabilities:
    """The model's capabilities; the default model's when unknown, so the rest is still checked."""
    # Reference: 002, model — "Valid values: wan2.7-image-pro, wan2.7-image".
    if "model" not in body:
        report.add("model", say("model.required", known=_known_models()))
    elif not isinstance(body["model"], str):
        report.add("model", say("model.not_name", known=_known_models(), value=describe_value(body["model"])))
    elif body["model"] not in MODELS:
        report.add("model", say("model.unknown", value=describe_value(body["model"]), known=_known_models()))
    else:
        return get_model(body["model"])
    report.note("model", f"the other fields were checked against {DEFAULT_MODEL}'s limits")
    return get_model(DEFAULT_MODEL)


def _check_input(
    body: dict[Any, Any], caps: ModelCapabilities, allowed: IntRange, report: ValidationReport, *, strict: bool
) -> list[SeenImage]:
    content = _content_of(body, report)
    if content is None:
        return []
    texts: list[tuple[str, object]] = []
    images: list[tuple[str, object]] = []
    for i, item in enumerate(content):
        _sort_item(item, f"{_CONTENT}[{i}]", texts, images, report)
    _check_texts(texts, caps, report, strict=strict)
    # Reference: 002, "Image quantity limits" — 0 to 9 images, in content order (000 and 004
    # for the other models' counts).
    if len(images) not in allowed:
        report.add(_CONTENT, say("images.count", count=len(images), model=caps.name, lo=allowed.lo, hi=allowed.hi))
    if not caps.images.count.hi:
        return []  # a text-to-image model: the count says it all
    return [check_image(value, path, caps.images, report) for path, value in images]


def _content_of(body: dict[Any, Any], report: ValidationReport) -> list[Any] | None:
    """input.messages[0].content, once everything around it has been checked."""
    if "input" not in body:
        report.add("input", say("input.required"))
        return None
    inp = body["input"]
    if not isinstance(inp, dict):
        report.add("input", say("input.not_object", value=describe_value(inp)))
        return None
    unknown_fields(inp, _INPUT_FIELDS, "input", "what.input_field", report)
    messages = inp.get("messages")
    if not is_array(messages):
        report.add(_MESSAGES, say("messages.not_array", value=describe_value(messages)))
        return None
    # Reference: 002, messages — "only single-turn conversations are supported".
    if len(messages) != 1:
        report.add(_MESSAGES, say("messages.count", count=len(messages)))
        if not messages:
            return None
    return _message_content(messages[0], report)


def _message_content(message: object, report: ValidationReport) -> list[Any] | None:
    if not isinstance(message, dict):
        report.add(_MESSAGE, say("message.not_object", value=describe_value(message)))
        return None
    unknown_fields(message, _MESSAGE_FIELDS, _MESSAGE, "what.message_field", report)
    # Reference: 002, role — "This parameter must be set to user."
    if "role" not in message:
        report.add(f"{_MESSAGE}.role", say("role.required"))
    elif message["role"] != "user":
        report.add(f"{_MESSAGE}.role", say("role.not_user", value=describe_value(message["role"])))
    content = message.get("content")
    if not is_array(content) or not content:
        report.add(_CONTENT, say("content.not_array", value=describe_value(content)))
        return None
    return list(content)


def _sort_item(
    item: object,
    path: str,
    texts: list[tuple[str, object]],
    images: list[tuple[str, object]],
    report: ValidationReport,
) -> None:
    if not isinstance(item, dict):
        report.add(path, say("item.not_object", value=describe_value(item)))
        return
    unknown_fields(item, _CONTENT_FIELDS, path, "what.content_field", report)
    if "text" in item and "image" in item:
        report.add(path, say("item.both"))
    elif "text" in item:
        texts.append((f"{path}.text", item["text"]))
    elif "image" in item:
        images.append((f"{path}.image", item["image"]))
    else:
        report.add(path, say("item.neither"))


def _check_texts(
    texts: list[tuple[str, object]], caps: ModelCapabilities, report: ValidationReport, *, strict: bool
) -> None:
    if not texts:
        report.add(_CONTENT, say("content.no_text"))
        return
    for path, _ in texts[1:]:
        report.add(path, say("content.extra_text", first=texts[0][0]))
    path, prompt = texts[0]
    check_prompt_text(prompt, path, caps, report, strict=strict)
