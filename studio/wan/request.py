"""A generation request as typed values, and the exact JSON body each model documents.

Three body shapes (studio.wan.capabilities.BodyShape):

* messages — reference 002 ("Request body") and 004: one user message whose content holds the
  images (their order is the image order) and one text item; options under "parameters";
* prompt — references 003 and 004: input.prompt, input.negative_prompt, input.images;
* image_edit — reference 001: input.function, input.prompt, input.base_image_url and
  input.mask_image_url.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from studio.wan.capabilities import (
    BY_NAME,
    MODELS,
    PARAMETERS,
    BodyShape,
    Carrier,
    format_ratio,
    parse_ratio,
)
from studio.wan.capabilities import OPTIONS as PARAMETER_OPTIONS
from studio.wan.images import (
    ImageDecodeError,
    inspect_image,
    parse_data_url,
    to_data_url,
)

Box = tuple[int, int, int, int]

# Reference: 002, "Supported input formats" — public HTTP/HTTPS URLs or base64 data URLs.
# file:// paths are an SDK convenience (000, "Image input methods") and never go over HTTP.
_HTTP_SCHEMES = ("http://", "https://")


def is_http_url(value: str) -> bool:
    return value[:8].lower().startswith(_HTTP_SCHEMES)


@dataclass(frozen=True)
class ImageInput:
    """One input image: its bytes (sent as a data URL) or a public http(s) URL.

    A placeholder names an image instead (the editor's request preview shows "image 1 (…)"
    where the data URL would be); a body holding one is only ever shown, never sent."""

    data: bytes | None = None
    mime: str | None = None
    url: str | None = None
    width: int | None = None
    height: int | None = None
    placeholder: str | None = None

    def __post_init__(self) -> None:
        if sum(value is not None for value in (self.data, self.url, self.placeholder)) != 1:
            raise ValueError("an ImageInput needs either bytes or a URL, not both or neither")
        if self.url is not None and not is_http_url(self.url):
            raise ValueError(f"only http(s) URLs can be sent, not {self.url[:40]!r}")

    @classmethod
    def from_bytes(cls, data: bytes) -> ImageInput:
        """Inspect the bytes to learn their real type and size; ImageDecodeError if not an image."""
        info = inspect_image(data)
        return cls(data=data, mime=info.mime, width=info.width, height=info.height)

    @property
    def size(self) -> tuple[int, int] | None:
        if self.width is None or self.height is None:
            return None
        return self.width, self.height

    def as_api_value(self) -> str:
        return self._api_value

    @cached_property
    def _api_value(self) -> str:
        # Kept: a 20 MB image is base64-encoded once however often its body is built (the job
        # gate checks the body, then the preview or the submit may build it again).
        if self.placeholder is not None:
            return self.placeholder
        if self.data is None:
            assert self.url is not None  # __post_init__ guarantees one of the two
            return self.url
        return to_data_url(self.data, self.mime or _sniff_mime(self.data))


def _sniff_mime(data: bytes) -> str:
    # Undecodable bytes still produce a body, so the validator can say what is wrong with them.
    try:
        return inspect_image(data).mime
    except ImageDecodeError:
        return "application/octet-stream"


@dataclass(frozen=True)
class PaletteColor:
    hex: str
    hundredths: int

    @property
    def ratio(self) -> str:
        return format_ratio(self.hundredths)


@dataclass(frozen=True)
class GenerationRequest:
    model: str
    prompt: str
    images: tuple[ImageInput, ...] = ()
    boxes: tuple[tuple[Box, ...], ...] = ()  # per image, may be empty
    color_palette: tuple[PaletteColor, ...] = ()
    size: str | None = None
    n: int | None = None
    enable_sequential: bool = False
    thinking_mode: bool | None = None
    watermark: bool | None = None
    seed: int | None = None
    # wan2.5/2.6, qwen-image: text to keep out, and the provider's prompt rewriting.
    negative_prompt: str | None = None
    prompt_extend: bool | None = None
    # wan2.6-image: interleaved text and images, at most max_images of them.
    enable_interleave: bool = False
    max_images: int | None = None
    # wanx2.1-imageedit: the function, its mask (white = edit) and its paired parameters.
    function: str | None = None
    mask: ImageInput | None = None
    strength: float | None = None
    top_scale: float | None = None
    bottom_scale: float | None = None
    left_scale: float | None = None
    right_scale: float | None = None
    upscale_factor: int | None = None
    is_sketch: bool | None = None


# The request's options beside its content (model, prompt, images, boxes, palette, mask): the
# capability table's parameters that hold plain values. format_ratio and parse_ratio (above)
# stay importable from here for the callers that knew them here.
OPTIONS = PARAMETER_OPTIONS
__all__ = ["OPTIONS", "GenerationRequest", "ImageInput", "PaletteColor", "build_body", "format_ratio", "is_http_url", "parse_body",
           "parse_ratio", "sent_images", "shape_of"]


def shape_of(model: str, body: dict[str, Any] | None = None) -> BodyShape:
    """A model's body shape; for a model nobody knows, the shape its body has."""
    if model in MODELS:
        return MODELS[model].body_shape
    inp = (body or {}).get("input")
    if isinstance(inp, dict) and "function" in inp:
        return BodyShape.IMAGE_EDIT
    if isinstance(inp, dict) and "prompt" in inp:
        return BodyShape.PROMPT
    return BodyShape.MESSAGES


def build_body(req: GenerationRequest) -> dict[str, Any]:
    """The JSON body for both the sync and the async endpoint."""
    shape = shape_of(req.model)
    inp: dict[str, Any]
    if shape is BodyShape.PROMPT:
        inp = {"prompt": req.prompt}
    elif shape is BodyShape.IMAGE_EDIT:
        inp = {"function": req.function, "prompt": req.prompt}
    else:
        content: list[dict[str, str]] = [{"image": image.as_api_value()} for image in req.images]
        content.append({"text": req.prompt})
        inp = {"messages": [{"role": "user", "content": content}]}
    params: dict[str, Any] = {}
    for parameter in PARAMETERS:
        carrier = parameter.carrier(shape)
        if carrier is None or parameter.name in inp:  # the edit's function leads its input (above)
            continue
        value = _STRUCTURED[parameter.name](req) if parameter.kind is None else getattr(req, parameter.name)
        if value is None or value == "" or value == [] or (parameter.only_when_on and not value):
            continue
        (inp if carrier is Carrier.INPUT else params)[parameter.name] = value
    if shape is BodyShape.PROMPT and req.images:
        inp["images"] = [image.as_api_value() for image in req.images]
    elif shape is BodyShape.IMAGE_EDIT:
        if req.images:
            inp["base_image_url"] = req.images[0].as_api_value()
        if req.mask is not None:
            inp["mask_image_url"] = req.mask.as_api_value()
    return {"model": req.model, "input": inp, "parameters": params}


def sent_images(req: GenerationRequest) -> tuple[ImageInput, ...]:
    """The images build_body puts in the body: all of them, except for the image edit body,
    which carries image 1 only (input.base_image_url, reference 001)."""
    if shape_of(req.model) is BodyShape.IMAGE_EDIT:
        return req.images[:1]
    return req.images


def _bbox_list(req: GenerationRequest) -> list[list[list[int]]] | None:
    if not any(req.boxes):
        return None
    # Reference: 002, bbox_list — one entry per input image, [] for an image without boxes.
    # More entries than images are kept, so the validator can point at the mistake.
    entries = max(len(req.images), len(req.boxes))
    return [[list(box) for box in (req.boxes[i] if i < len(req.boxes) else ())] for i in range(entries)]


def _color_palette(req: GenerationRequest) -> list[dict[str, str]] | None:
    return [{"hex": c.hex, "ratio": c.ratio} for c in req.color_palette] or None


# The parameters whose body value is laid out from the request's content.
_STRUCTURED = {"bbox_list": _bbox_list, "color_palette": _color_palette}


def parse_body(body: dict[str, Any]) -> GenerationRequest:
    """The request a validated body describes; ValueError when the body is not well formed."""
    try:
        return _parse_body(body)
    except (KeyError, IndexError, TypeError, AttributeError, StopIteration, ImageDecodeError) as exc:
        raise ValueError(f"not a well-formed generation request body ({exc!r})") from None


def _parse_body(body: dict[str, Any]) -> GenerationRequest:
    shape = shape_of(body["model"], body)
    params: dict[str, Any] = body.get("parameters") or {}
    inp = body["input"]
    mask = None
    if shape is BodyShape.PROMPT:
        prompt = inp["prompt"]
        images = tuple(_parse_image(value) for value in inp.get("images", ()))
    elif shape is BodyShape.IMAGE_EDIT:
        prompt = inp.get("prompt", "")
        images = (_parse_image(inp["base_image_url"]),)
        mask = _parse_image(inp["mask_image_url"]) if inp.get("mask_image_url") else None
    else:
        content = inp["messages"][0]["content"]
        images = tuple(_parse_image(item["image"]) for item in content if "image" in item)
        prompt = next(item["text"] for item in content if "text" in item)
    options = {}
    for name in OPTIONS:
        parameter = BY_NAME[name]
        source = inp if parameter.carrier(shape) is Carrier.INPUT else params
        options[name] = source.get(name, False if parameter.only_when_on else None)
    return GenerationRequest(
        model=body["model"],
        prompt=prompt,
        images=images,
        mask=mask,
        boxes=tuple(tuple(_parse_box(box) for box in entry) for entry in params.get("bbox_list", ())),
        color_palette=tuple(_parse_color(entry) for entry in params.get("color_palette", ())),
        **options,
    )


def _parse_image(value: str) -> ImageInput:
    if is_http_url(value):
        return ImageInput(url=value)
    declared_mime, data = parse_data_url(value)
    info = inspect_image(data)
    # The declared type is kept as written, so build_body gives back the same string.
    return ImageInput(data=data, mime=declared_mime, width=info.width, height=info.height)


def _parse_box(box: list[int]) -> Box:
    x1, y1, x2, y2 = box
    return (x1, y1, x2, y2)


def _parse_color(entry: dict[str, str]) -> PaletteColor:
    hundredths = parse_ratio(entry["ratio"])
    if hundredths is None:
        raise ValueError(f"ratio {entry['ratio']!r} is not of the form 25.00%")
    return PaletteColor(hex=entry["hex"], hundredths=hundredths)
