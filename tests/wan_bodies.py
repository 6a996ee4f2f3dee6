"""Request bodies for the validator tests, built the way the reference (002) shows them."""

from __future__ import annotations

import functools
import io
from typing import Any

from PIL import Image

from studio.wan.images import to_data_url
from studio.wan.validator import validate_body

# Reference: 002, color_palette, "Click to view an input example".
PALETTE = [
    {"hex": "#C2D1E6", "ratio": "23.51%"},
    {"hex": "#CDD8E9", "ratio": "20.13%"},
    {"hex": "#B5C8DB", "ratio": "15.88%"},
    {"hex": "#C0B5B4", "ratio": "13.27%"},
    {"hex": "#DAE0EC", "ratio": "10.11%"},
    {"hex": "#636574", "ratio": "8.93%"},
    {"hex": "#CACAD2", "ratio": "5.55%"},
    {"hex": "#CBD4E4", "ratio": "2.62%"},
]
URL = "https://img.alicdn.com/imgextra/i3/clock.webp"
CONTENT = "input.messages[0].content"


@functools.lru_cache
def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (256, 256), mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, "navy").save(buffer, fmt)
    return buffer.getvalue()


def data_url(
    fmt: str = "PNG", size: tuple[int, int] = (256, 256), mode: str = "RGB", mime: str | None = None
) -> str:
    return to_data_url(image_bytes(fmt, size, mode), mime or f"image/{fmt.lower()}")


def body(
    *,
    model: str = "wan2.7-image-pro",
    images: tuple[object, ...] = (),
    prompt: object = "a red bicycle",
    **params: Any,
) -> dict[str, Any]:
    content: list[dict[str, object]] = [{"image": image} for image in images]
    content.append({"text": prompt})
    return {"model": model, "input": {"messages": [{"role": "user", "content": content}]}, "parameters": params}


def problems(value: object, *, strict: bool = True) -> list[str]:
    return [str(p) for p in validate_body(value, strict=strict).problems]


def paths(value: object) -> list[str]:
    return [p.path for p in validate_body(value).problems]


def assert_valid(value: object, *, strict: bool = True) -> None:
    assert problems(value, strict=strict) == []
