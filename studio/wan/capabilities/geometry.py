"""Sizes as text and as pixels: parsing "W*H", the output a request promises, the tolerance."""

from __future__ import annotations

import math

from studio.wan.capabilities.schema import ModelCapabilities, SizeRules



def parse_size(value: str) -> tuple[int, int] | None:
    """'1488*704' -> (1488, 704). Usage figures sometimes use '×' (reference: 002, usage.size)."""
    for sep in ("*", "×"):
        if sep in value:
            w, _, h = value.partition(sep)
            if w.isdigit() and h.isdigit():
                return int(w), int(h)
    return None


def output_size(
    caps: ModelCapabilities,
    *,
    size: str | None,
    last_image: tuple[int, int] | None,
) -> tuple[int, int]:
    """The output resolution the reference promises for a valid request.

    Presets give the total pixels; the aspect ratio is that of the LAST input image, or square
    without images (reference: 002, size, "Image aspect ratio"). "W*H" is taken as asked.
    """
    rules = caps.size
    step = rules.side_multiple if rules else 16
    if rules is None:
        assert caps.output_pixels is not None, f"{caps.name} takes no size; its output follows its input"
        total = caps.output_pixels
    elif size is None and rules.follows_input_aspect:
        total = _default_pixels(rules)
    else:
        size = size or rules.default
        custom = parse_size(size)
        if custom is not None:
            return custom
        total = rules.presets[size]
    if last_image is None:
        side = math.isqrt(total)
        return side, side
    w, h = last_image
    ratio = w / h
    out_w = max(step, round(math.sqrt(total * ratio) / step) * step)
    out_h = max(step, round(math.sqrt(total / ratio) / step) * step)
    return out_w, out_h


def within_tolerance(caps: ModelCapabilities, asked: tuple[int, int], got: tuple[int, int]) -> bool:
    """Whether an output size is what was asked, allowing the documented slight difference."""
    tol, step = (caps.size.tolerance, caps.size.side_multiple) if caps.size else (0.05, 16)
    return all(abs(g - a) <= max(step, a * tol) for a, g in zip(asked, got))


def _default_pixels(rules: SizeRules) -> int:
    custom = parse_size(rules.default)
    return custom[0] * custom[1] if custom else rules.presets[rules.default]
