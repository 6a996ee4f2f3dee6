"""A generation request as typed values, and the exact JSON body each model documents.

Three body shapes (studio.wan.capabilities.BodyShape):

* messages — reference 002 ("Request body") and 004: one user message whose content holds the
  images (their order is the image order) and one text item; options under "parameters";
* prompt — references 003 and 004: input.prompt, input.negative_prompt, input.images;
* image_edit — reference 001: input.function, input.prompt, input.base_image_url and
  input.mask_image_url.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from studio.wan.capabilities import (
    DEFAULT_MODEL,
    EXPAND_SCALES,
    MODELS,
    BodyShape,
    PaletteRules,
    get_model,
)
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
    """One input image: its bytes (sent as a data URL) or a public http(s) URL."""

    data: bytes | None = None
    mime: str | None = None
    url: str | None = None
    width: int | None = None
    height: int | None = None

    def __post_init__(self) -> None:
        if (self.data is None) == (self.url is None):
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


def _palette_rules() -> PaletteRules:
    rules = get_model(DEFAULT_MODEL).palette
    assert rules is not None, "the default model documents a colour palette"
    return rules


def format_ratio(hundredths: int) -> str:
    """2351 -> '23.51%': exactly two decimals, from integers (no float rounding)."""
    if hundredths < 0:
        raise ValueError(f"a ratio cannot be negative ({hundredths} hundredths)")
    return f"{hundredths // 100}.{hundredths % 100:02d}%"


def parse_ratio(text: str, *, rules: PaletteRules | None = None) -> int | None:
    """'23.51%' -> 2351; None unless the text has exactly the documented form."""
    if not isinstance(text, str):
        return None
    # Reference: 002, color_palette.ratio — "accurate to two decimal places (for example, "25.00%")".
    # re.ASCII: "\d" must not accept other scripts' digits.
    match = re.fullmatch((rules or _palette_rules()).ratio_pattern, text, re.ASCII)
    if match is None:
        return None
    whole, cents = match.groups()
    return int(whole) * 100 + int(cents)


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


# Parameters sent as given when set, in the documents' order.
_PLAIN_PARAMETERS = ("size", "n", "max_images", "prompt_extend", "thinking_mode", "watermark", "seed")
# wanx2.1's parameters paired with a function (reference: 001).
_FUNCTION_PARAMETERS = ("strength", *EXPAND_SCALES, "upscale_factor", "is_sketch")
_EDIT_PARAMETERS = ("n", "watermark", "seed", *_FUNCTION_PARAMETERS)
# The request's options beside its content (model, prompt, images, boxes, palette, mask).
OPTIONS = (*_PLAIN_PARAMETERS, "enable_sequential", "negative_prompt", "enable_interleave", "function", *_FUNCTION_PARAMETERS)


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
    if shape is BodyShape.PROMPT:
        inp: dict[str, Any] = {"prompt": req.prompt}
        if req.negative_prompt:
            inp["negative_prompt"] = req.negative_prompt
        if req.images:
            inp["images"] = [image.as_api_value() for image in req.images]
        return {"model": req.model, "input": inp, "parameters": _set(req, _PLAIN_PARAMETERS)}
    if shape is BodyShape.IMAGE_EDIT:
        inp = {"function": req.function, "prompt": req.prompt}
        if req.images:
            inp["base_image_url"] = req.images[0].as_api_value()
        if req.mask is not None:
            inp["mask_image_url"] = req.mask.as_api_value()
        return {"model": req.model, "input": inp, "parameters": _set(req, _EDIT_PARAMETERS)}
    content: list[dict[str, str]] = [{"image": image.as_api_value()} for image in req.images]
    content.append({"text": req.prompt})
    return {
        "model": req.model,
        "input": {"messages": [{"role": "user", "content": content}]},
        "parameters": _parameters(req),
    }


def sent_images(req: GenerationRequest) -> tuple[ImageInput, ...]:
    """The images build_body puts in the body: all of them, except for the image edit body,
    which carries image 1 only (input.base_image_url, reference 001)."""
    if shape_of(req.model) is BodyShape.IMAGE_EDIT:
        return req.images[:1]
    return req.images


def _set(req: GenerationRequest, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(req, name) for name in names if getattr(req, name) is not None}


def _parameters(req: GenerationRequest) -> dict[str, Any]:
    params = _set(req, _PLAIN_PARAMETERS)
    if req.negative_prompt:
        params["negative_prompt"] = req.negative_prompt
    if req.enable_interleave:
        params["enable_interleave"] = True
    if req.enable_sequential:
        params["enable_sequential"] = True
    if any(req.boxes):
        # Reference: 002, bbox_list — one entry per input image, [] for an image without boxes.
        # More entries than images are kept, so the validator can point at the mistake.
        entries = max(len(req.images), len(req.boxes))
        params["bbox_list"] = [
            [list(box) for box in (req.boxes[i] if i < len(req.boxes) else ())] for i in range(entries)
        ]
    if req.color_palette:
        params["color_palette"] = [{"hex": c.hex, "ratio": c.ratio} for c in req.color_palette]
    return params


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
    negative_prompt = params.get("negative_prompt")
    if shape is BodyShape.PROMPT:
        prompt = inp["prompt"]
        images = tuple(_parse_image(value) for value in inp.get("images", ()))
        negative_prompt = inp.get("negative_prompt")
    elif shape is BodyShape.IMAGE_EDIT:
        prompt = inp.get("prompt", "")
        images = (_parse_image(inp["base_image_url"]),)
        mask = _parse_image(inp["mask_image_url"]) if inp.get("mask_image_url") else None
    else:
        content = inp["messages"][0]["content"]
        images = tuple(_parse_image(item["image"]) for item in content if "image" in item)
        prompt = next(item["text"] for item in content if "text" in item)
    return GenerationRequest(
        model=body["model"],
        prompt=prompt,
        images=images,
        negative_prompt=negative_prompt,
        prompt_extend=params.get("prompt_extend"),
        enable_interleave=params.get("enable_interleave", False),
        max_images=params.get("max_images"),
        function=inp.get("function"),
        mask=mask,
        **{name: params.get(name) for name in _FUNCTION_PARAMETERS},
        boxes=tuple(tuple(_parse_box(box) for box in entry) for entry in params.get("bbox_list", ())),
        color_palette=tuple(_parse_color(entry) for entry in params.get("color_palette", ())),
        size=params.get("size"),
        n=params.get("n"),
        enable_sequential=params.get("enable_sequential", False),
        thinking_mode=params.get("thinking_mode"),
        watermark=params.get("watermark"),
        seed=params.get("seed"),
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
