"""Check a Wan2.7 request body against every rule of the reference, reporting all problems at once.

Each problem carries the JSON path of the offending value (`input.messages[0].content[2].image`,
`parameters.bbox_list[1][0]`) and a message naming the limit. Notes ("note: ...") say what could
not be checked, such as the pixels behind an http(s) URL, which is never fetched.

The body checks (model, input, messages, content, images) live here; the "parameters" object is
checked in validator_params.

Reference: ../shared/seeds/002_e63ba47cef0cee16.txt, "Request body".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from studio.wan.capabilities import DEFAULT_MODEL, MODELS, ImageLimits, ModelCapabilities, get_model
from studio.wan.images import (
    ImageDecodeError,
    data_url_byte_size,
    image_problems,
    inspect_image,
    parse_data_url,
    size_problem,
)
from studio.wan.request import GenerationRequest, build_body, is_http_url
from studio.wan.validator_params import SeenImage, check_parameters, describe_value, is_array, plural

_BODY_FIELDS = ("model", "input", "parameters")
_INPUT_FIELDS = ("messages",)
_MESSAGE_FIELDS = ("role", "content")
_CONTENT_FIELDS = ("text", "image")
_MESSAGES = "input.messages"
_MESSAGE = "input.messages[0]"
_CONTENT = "input.messages[0].content"


@dataclass(frozen=True)
class Problem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass
class ValidationReport:
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def note(self, path: str, message: str) -> None:
        self.notes.append(f"note: {path}: {message}")


def validate_body(body: object, *, strict: bool = True) -> ValidationReport:
    """All problems of a request body. strict=False lets an over-long prompt through, as the
    service does (it truncates); the emulator uses that."""
    report = ValidationReport()
    try:
        _check_body(body, report, strict=strict)
    except Exception as exc:  # Never raise on any input; a bug here must still read as a report.
        report.add("body", f"could not be checked completely ({type(exc).__name__}: {exc})")
    return report


def validate_request(req: GenerationRequest, *, strict: bool = True) -> ValidationReport:
    return validate_body(build_body(req), strict=strict)


def _check_body(body: object, report: ValidationReport, *, strict: bool) -> None:
    if not isinstance(body, dict):
        report.add("body", f"must be a JSON object, not {describe_value(body)}")
        return
    _unknown_fields(body, _BODY_FIELDS, "", "a field of the request body", report)
    caps = _check_model(body, report)
    images = _check_input(body, caps, report, strict=strict)
    check_parameters(body.get("parameters", {}), caps=caps, images=images, report=report)


def _join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


def _unknown_fields(
    obj: dict[Any, Any], allowed: tuple[str, ...], path: str, what: str, report: ValidationReport
) -> None:
    for key in obj:
        if key not in allowed:
            report.add(_join(path, key), f"is not {what} (expected {', '.join(allowed)})")


def _known_models() -> str:
    return ", ".join(MODELS)


def _check_model(body: dict[Any, Any], report: ValidationReport) -> ModelCapabilities:
    """The model's capabilities; the default model's when unknown, so the rest is still checked."""
    # Reference: 002, model — "Valid values: wan2.7-image-pro, wan2.7-image".
    if "model" not in body:
        report.add("model", f"is required (known models: {_known_models()})")
    elif not isinstance(body["model"], str):
        report.add("model", f"must be a model name (known: {_known_models()}), not {describe_value(body['model'])}")
    elif body["model"] not in MODELS:
        report.add("model", f"{describe_value(body['model'])} is not a known model (known: {_known_models()})")
    else:
        return get_model(body["model"])
    report.note("model", f"the other fields were checked against {DEFAULT_MODEL}'s limits")
    return get_model(DEFAULT_MODEL)


def _check_input(
    body: dict[Any, Any], caps: ModelCapabilities, report: ValidationReport, *, strict: bool
) -> list[SeenImage]:
    content = _content_of(body, report)
    if content is None:
        return []
    texts: list[tuple[str, object]] = []
    images: list[tuple[str, object]] = []
    for i, item in enumerate(content):
        _sort_item(item, f"{_CONTENT}[{i}]", texts, images, report)
    _check_texts(texts, caps, report, strict=strict)
    # Reference: 002, "Image quantity limits" — 0 to 9 images, in content order.
    if len(images) not in caps.images.count:
        report.add(_CONTENT, f"has {plural(len(images), 'image')}; {caps.name} takes {caps.images.count.describe()}")
    return [_check_image(value, path, caps.images, report) for path, value in images]


def _content_of(body: dict[Any, Any], report: ValidationReport) -> list[Any] | None:
    """input.messages[0].content, once everything around it has been checked."""
    if "input" not in body:
        report.add("input", "is required (an object with messages)")
        return None
    inp = body["input"]
    if not isinstance(inp, dict):
        report.add("input", f"must be an object with messages, not {describe_value(inp)}")
        return None
    _unknown_fields(inp, _INPUT_FIELDS, "input", "a field of input", report)
    messages = inp.get("messages")
    if not is_array(messages):
        report.add(_MESSAGES, f"must be an array holding one message, not {describe_value(messages)}")
        return None
    # Reference: 002, messages — "only single-turn conversations are supported".
    if len(messages) != 1:
        report.add(_MESSAGES, f"must hold exactly one message (single-turn only), not {len(messages)}")
        if not messages:
            return None
    return _message_content(messages[0], report)


def _message_content(message: object, report: ValidationReport) -> list[Any] | None:
    if not isinstance(message, dict):
        report.add(_MESSAGE, f"must be an object with role and content, not {describe_value(message)}")
        return None
    _unknown_fields(message, _MESSAGE_FIELDS, _MESSAGE, "a field of a message", report)
    # Reference: 002, role — "This parameter must be set to user."
    if "role" not in message:
        report.add(f"{_MESSAGE}.role", 'is required and must be "user"')
    elif message["role"] != "user":
        report.add(f"{_MESSAGE}.role", f'must be "user", not {describe_value(message["role"])}')
    content = message.get("content")
    if not is_array(content) or not content:
        report.add(_CONTENT, f"must be a non-empty array of text and image items, not {describe_value(content)}")
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
        report.add(path, f'must be an object with "text" or "image", not {describe_value(item)}')
        return
    _unknown_fields(item, _CONTENT_FIELDS, path, "a content field", report)
    if "text" in item and "image" in item:
        report.add(path, 'must have exactly one of "text" and "image", not both')
    elif "text" in item:
        texts.append((f"{path}.text", item["text"]))
    elif "image" in item:
        images.append((f"{path}.image", item["image"]))
    else:
        report.add(path, 'must have a "text" or an "image"')


def _check_texts(
    texts: list[tuple[str, object]], caps: ModelCapabilities, report: ValidationReport, *, strict: bool
) -> None:
    if not texts:
        report.add(_CONTENT, "needs one text item (the prompt)")
        return
    for path, _ in texts[1:]:
        report.add(path, f"only one text item (the prompt) is allowed; the first is {texts[0][0]}")
    path, prompt = texts[0]
    if not isinstance(prompt, str):
        report.add(path, f"must be a string, not {describe_value(prompt)}")
    elif not prompt.strip():
        report.add(path, "the prompt is empty")
    elif len(prompt) > caps.prompt_max_chars:
        # Reference: 002, text — at most 5,000 characters, each counting as one; "Any excess is
        # automatically truncated", which the emulator (strict=False) imitates.
        if strict:
            report.add(path, f"prompt is {len(prompt):,} characters, more than the {caps.prompt_max_chars:,} allowed")
        else:
            report.note(path, f"prompt is {len(prompt):,} characters; the first {caps.prompt_max_chars:,} are used")


def _check_image(value: object, path: str, limits: ImageLimits, report: ValidationReport) -> SeenImage:
    """Check one image value; its pixel size when it could be read."""
    if not isinstance(value, str):
        report.add(path, f"must be a URL string, not {describe_value(value)}")
        return SeenImage(size=None, is_url=False)
    # Reference: 002, "Supported input formats" — an HTTP(S) URL or data:{MIME_type};base64,{data}.
    if is_http_url(value):
        if not urlsplit(value).netloc:
            report.add(path, f"{describe_value(value)} is not a usable URL (it has no host)")
        else:
            report.note(path, "pixel checks skipped for an http(s) URL (the validator does not fetch it)")
        return SeenImage(size=None, is_url=True)
    if value[:5].lower() == "data:":
        return SeenImage(size=_check_data_url(value, path, limits, report), is_url=False)
    hint = " (file:// paths only work through the SDKs; send the bytes as a data URL)"
    report.add(
        path,
        "must be an http(s) URL or a data:{MIME type};base64,{data} URL, "
        f"not {describe_value(value)}{hint if value[:7].lower() == 'file://' else ''}",
    )
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
        report.add(path, str(exc))
        return None
    for message in image_problems(info, limits, declared_mime=declared_mime):
        report.add(path, message)
    return info.width, info.height
