"""Checks of a request body's "parameters" object, for studio.wan.validator.

Reference: ../shared/seeds/002_e63ba47cef0cee16.txt, "parameters": bbox_list, enable_sequential,
size, n, thinking_mode, color_palette, watermark, seed; 004 for negative_prompt, prompt_extend,
enable_interleave and max_images; 001 for the image edit's strength, scales, upscale_factor and
is_sketch. Which of them a model takes comes from its capability entry.
"""

from __future__ import annotations

import math
import re

from studio.wan.capabilities import (
    MODELS,
    PARAMETERS,
    FloatRange,
    IntRange,
    Mode,
    ModelCapabilities,
    PaletteRules,
    format_ratio,
    function_owners,
    known_parameters,
    mode_for,
    parse_ratio,
)
from studio.wan.images import aspect_within, format_aspect
from studio.wan.validator_report import SeenImage, ValidationReport, describe_value, is_array, is_int, plural
from studio.wan.validator_text import check_negative_prompt

_PARAMS = "parameters"
_BOOLEANS = tuple(p.name for p in PARAMETERS if p.kind is bool)
_PALETTE_FIELDS = ("hex", "ratio")
_CUSTOM_SIZE = re.compile(r"(\d{1,9})\*(\d{1,9})", re.ASCII)
_MODE_LABELS = {
    Mode.TEXT_TO_IMAGE: "text-to-image",
    Mode.OTHER: "image editing and image sets",
    Mode.INTERLEAVE: "interleaved text and images",
}


def check_parameters(
    params: object,
    *,
    caps: ModelCapabilities,
    images: list[SeenImage],
    report: ValidationReport,
    function: str | None = None,
) -> None:
    if not isinstance(params, dict):
        report.add(_PARAMS, f"must be an object, not {describe_value(params)}")
        return
    known = known_parameters(caps)
    for name in params:
        if name not in known:
            report.add(f"{_PARAMS}.{name}", f"is not a parameter of {caps.name} (its parameters: {', '.join(known)})")
    for name in _BOOLEANS:
        if name in params and name in known and not isinstance(params[name], bool):
            shown = describe_value(params[name])
            report.add(f"{_PARAMS}.{name}", f"must be true or false (a JSON boolean), not {shown}")
    sequential = params.get("enable_sequential") is True
    interleave = params.get("enable_interleave") is True and caps.interleave is not None
    mode = mode_for(image_count=len(images), sequential=sequential, interleave=interleave)
    if "n" in params and "n" in known:
        if interleave:
            # Reference: 004 — n "Must be 1" in interleave mode; max_images sets the count.
            if params["n"] != 1:
                report.add(f"{_PARAMS}.n", f"must be 1 with enable_interleave (use max_images), not {describe_value(params['n'])}")
        else:
            _check_n(params["n"], caps, sequential, report)
    if "seed" in params and "seed" in known:
        _check_int_in(params["seed"], caps.seed, f"{_PARAMS}.seed", report)
    if "size" in params and "size" in known:
        _check_size(params["size"], caps, mode, len(images), sequential, report)
    if "negative_prompt" in params and "negative_prompt" in known:
        check_negative_prompt(params["negative_prompt"], f"{_PARAMS}.negative_prompt", caps, report)
    if caps.interleave is not None:
        _check_interleave(params, caps, interleave, report)
    if caps.image_edit is not None:
        _check_edit_parameters(params, caps, function, report)
    if "bbox_list" in params and caps.max_boxes_per_image is not None:
        _check_bbox_list(params["bbox_list"], caps.max_boxes_per_image, images, report)
    if "color_palette" in params and caps.palette is not None:
        _check_palette(params["color_palette"], caps.palette, sequential, report)
    # Reference: 002, thinking_mode — "effective only when image set mode is disabled and there
    # is no image input". Accepted anyway, so only a note.
    if "thinking_mode" in params and (images or sequential):
        report.note(
            f"{_PARAMS}.thinking_mode",
            "has no effect with input images or enable_sequential; it only applies to text-to-image",
        )


def _check_int_in(value: object, allowed: IntRange, path: str, report: ValidationReport, hint: str = "") -> None:
    if not is_int(value):
        report.add(path, f"must be an integer, not {describe_value(value)}")
    elif value not in allowed:
        report.add(path, f"{describe_value(value)} is outside {allowed.describe()}{hint}")


def _check_interleave(params: dict, caps: ModelCapabilities, interleave: bool, report: ValidationReport) -> None:
    assert caps.interleave is not None
    if "max_images" in params:
        if not interleave:
            report.add(f"{_PARAMS}.max_images", "is only taken with enable_interleave true (use n otherwise)")
        else:
            _check_int_in(params["max_images"], caps.interleave.max_images, f"{_PARAMS}.max_images", report)
    # Reference: 004 — prompt_extend is for editing mode only ("—" for interleave).
    if interleave and "prompt_extend" in params:
        report.add(f"{_PARAMS}.prompt_extend", "is for editing mode only, not with enable_interleave")


def _check_number_in(value: object, allowed: FloatRange, path: str, report: ValidationReport) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        report.add(path, f"must be a number, not {describe_value(value)}")
    elif value not in allowed:
        report.add(path, f"{describe_value(value)} is outside {allowed.describe()}")


def _check_edit_parameters(
    params: dict, caps: ModelCapabilities, function_name: str | None, report: ValidationReport
) -> None:
    """Reference: 001 — each paired parameter belongs to its function."""
    rules = caps.image_edit
    assert rules is not None
    function = rules.functions.get(function_name) if function_name else None
    for parameter in PARAMETERS:
        if parameter.function_flag is None or parameter.name not in params:
            continue
        path = f"{_PARAMS}.{parameter.name}"
        if function is not None and not getattr(function, parameter.function_flag):
            owners = " and ".join(function_owners(caps, parameter))
            report.add(path, f"is only taken by {owners}, not {function.name}")
            continue
        allowed = parameter.range_for(caps)
        if isinstance(allowed, IntRange):
            _check_int_in(params[parameter.name], allowed, path, report)
        elif isinstance(allowed, FloatRange):
            _check_number_in(params[parameter.name], allowed, path, report)


def _check_n(value: object, caps: ModelCapabilities, sequential: bool, report: ValidationReport) -> None:
    # Reference: 002, n — 1–4 (default 4); with enable_sequential 1–12 (default 12).
    if sequential:
        hint = " for an image set (enable_sequential on)"
    elif caps.n_sequential is not None:
        hint = f"; image sets (enable_sequential) allow {caps.n_sequential.describe()}"
    else:
        hint = ""
    _check_int_in(value, caps.n_range(sequential=sequential), f"{_PARAMS}.n", report, hint)


def _as_size(pixels: int) -> str:
    """1048576 -> '1024*1024' when it is a square, else the plain count."""
    side = math.isqrt(pixels)
    return f"{side}*{side}" if side * side == pixels else f"{pixels:,}"


def _size_choices(caps: ModelCapabilities, mode: Mode) -> str:
    rules = caps.size
    assert rules is not None
    if rules.fixed:
        return f"use one of {', '.join(rules.fixed)}"
    pixels = rules.pixels_for(mode)
    choices = [", ".join(rules.presets_for(mode))] if rules.presets_for(mode) else []
    if pixels is not None and rules.custom_side is not None:
        choices.append(f"\"W*H\" with each side {rules.custom_side.describe()} px")
    elif pixels is not None:
        choices.append(f"\"W*H\" with {_as_size(pixels.lo)} to {_as_size(pixels.hi)} pixels in total")
    return f"use {' or '.join(choices) or 'no size'} (default {rules.default})"


def _check_size(
    value: object, caps: ModelCapabilities, mode: Mode, image_count: int, sequential: bool, report: ValidationReport
) -> None:
    path = f"{_PARAMS}.size"
    rules = caps.size
    assert rules is not None
    # Reference: 002, size — a preset (1K, 2K, 4K) or "W*H", never both; 004 for the others.
    if not isinstance(value, str):
        report.add(path, f"must be a string; {_size_choices(caps, mode)}; not {describe_value(value)}")
        return
    if value in rules.presets:
        if value not in rules.presets_for(mode):
            report.add(path, _preset_refusal(value, caps, mode, image_count, sequential))
        return
    match = _CUSTOM_SIZE.fullmatch(value)
    if match is None:
        report.add(path, _unknown_size(value, caps, mode))
        return
    if rules.fixed:
        # Reference: 004 — qwen-image-plus/max take five fixed resolutions only.
        if value not in rules.fixed:
            report.add(path, f"{value} is not one of {caps.name}'s fixed sizes; {_size_choices(caps, mode)}")
        return
    width, height = int(match[1]), int(match[2])
    allowed = rules.pixels_for(mode)
    if allowed is None:
        report.add(path, f"\"W*H\" is not taken for {_MODE_LABELS[mode]} on {caps.name}; {_size_choices(caps, mode)}")
        return
    if rules.custom_side is not None:
        # Reference: each side on its own (wan2.2-t2i-flash 512–1440, qwen-image-edit-max/plus
        # 512–2048; see the capability table), not a total.
        sides = (("width", width), ("height", height))
        outside = [f"{label} {side} px" for label, side in sides if side not in rules.custom_side]
        if outside:
            report.add(
                path,
                f"{width}*{height} has {' and '.join(outside)}; each side must be {rules.custom_side.describe()} px "
                f"on {caps.name}",
            )
    elif width * height not in allowed:
        report.add(
            path,
            f"{width}*{height} is {width * height:,} pixels, outside {_as_size(allowed.lo)} to "
            f"{_as_size(allowed.hi)} for {_MODE_LABELS[mode]} on {caps.name}",
        )
    limit = rules.custom_max_aspect
    if not aspect_within(width, height, limit):
        report.add(path, f"aspect ratio {format_aspect(width, height)} is outside 1:{limit} to {limit}:1")


def _preset_refusal(value: str, caps: ModelCapabilities, mode: Mode, image_count: int, sequential: bool) -> str:
    if mode is Mode.INTERLEAVE:
        # Reference: 004 — "In interleave mode: use pixel dimensions".
        return f"{value} is not taken with enable_interleave; {_size_choices(caps, mode)}"
    # Reference: 002, size — 4K only for "Text-to-image (no image input, not generating an image set)".
    reasons = []
    if image_count:
        reasons.append(f"has {plural(image_count, 'input image')}")
    if sequential:
        reasons.append("has enable_sequential on")
    return (
        f"{value} is only available for text-to-image on {caps.name} (no input images, enable_sequential "
        f"off); this request {' and '.join(reasons)}; use {', '.join(caps.size.presets_for(mode))} "
        f"or \"W*H\""
    )


def _unknown_size(value: str, caps: ModelCapabilities, mode: Mode) -> str:
    elsewhere = [m for m in MODELS.values() if m.size is not None and value in m.size.presets]
    if elsewhere:
        where = ", ".join(
            m.name + (" (text-to-image only)" if value in m.size.text_to_image_only_presets else "")
            for m in elsewhere
        )
        return f"{value} is not available on {caps.name}, only on {where}; {_size_choices(caps, mode)}"
    return f"{describe_value(value)} is not a size; {_size_choices(caps, mode)}"


def _check_bbox_list(value: object, max_boxes: int, images: list[SeenImage], report: ValidationReport) -> None:
    path = f"{_PARAMS}.bbox_list"
    # Reference: 002, bbox_list — "The length of the list must match the number of input images".
    if not images:
        report.add(path, "bbox_list needs input images; this request has none")
        return
    if not is_array(value):
        report.add(path, f"must be an array with one list of boxes per input image, not {describe_value(value)}")
        return
    if len(value) != len(images):
        report.add(
            path,
            f"has {plural(len(value), 'entry', 'entries')} for {plural(len(images), 'input image')}; "
            "give one per image, [] for an image without boxes",
        )
    for i, entry in enumerate(value):
        image = images[i] if i < len(images) else None
        _check_boxes_of_image(entry, i, image, max_boxes, report)


def _check_boxes_of_image(
    entry: object, index: int, image: SeenImage | None, max_boxes: int, report: ValidationReport
) -> None:
    path = f"{_PARAMS}.bbox_list[{index}]"
    if not is_array(entry):
        report.add(path, f"must be an array of boxes ([] for none), not {describe_value(entry)}")
        return
    # Reference: 002, bbox_list — "A single image supports a maximum of 2 bounding boxes."
    if len(entry) > max_boxes:
        boxes = plural(len(entry), "box", "boxes")
        report.add(path, f"has {boxes} on image {index + 1}; at most {max_boxes} per image")
    size = image.size if image is not None else None
    for j, box in enumerate(entry):
        _check_box(box, f"{path}[{j}]", size, report)
    if entry and image is not None and image.is_url:
        report.note(path, f"bounds not checked: image {index + 1} is an http(s) URL, its size is unknown")


def _check_box(box: object, path: str, size: tuple[int, int] | None, report: ValidationReport) -> None:
    # Reference: 002, bbox_list — [x1, y1, x2, y2] in absolute pixels, (0, 0) top-left.
    if not is_array(box) or len(box) != 4:
        shown = f"{len(box)} values" if is_array(box) else describe_value(box)
        report.add(path, f"must be [x1, y1, x2, y2], four integers, not {shown}")
        return
    names = ("x1", "y1", "x2", "y2")
    bad = [f"{name} is {describe_value(v)}" for name, v in zip(names, box) if not is_int(v)]
    if bad:
        report.add(path, f"coordinates must be integers: {', '.join(bad)}")
        return
    x1, y1, x2, y2 = box
    if x1 >= x2:
        report.add(path, f"x1 ({x1}) must be less than x2 ({x2})")
    if y1 >= y2:
        report.add(path, f"y1 ({y1}) must be less than y2 ({y2})")
    for name, v in zip(names, box):
        if v < 0:
            report.add(path, f"{name} ({v}) is negative; coordinates start at 0")
    if size is not None:
        width, height = size
        for name, v in zip(names, box):
            label, limit = ("width", width) if name[0] == "x" else ("height", height)
            if v > limit:
                report.add(path, f"{name} ({v}) is beyond the image {label} of {limit} px")


def _check_palette(value: object, rules: PaletteRules, sequential: bool, report: ValidationReport) -> None:
    path = f"{_PARAMS}.color_palette"
    # Reference: 002, color_palette — "Available only when image set mode is disabled".
    if sequential:
        report.add(path, "is only available when enable_sequential is false")
    if not is_array(value):
        report.add(path, f"must be an array of {{hex, ratio}} objects, not {describe_value(value)}")
        return
    if len(value) not in rules.count:
        report.add(
            path,
            f"has {plural(len(value), 'colour')}; it must have {rules.count.describe()} "
            f"({rules.recommended} recommended)",
        )
    ratios = [_check_color(entry, f"{path}[{i}]", rules, report) for i, entry in enumerate(value)]
    if ratios and all(r is not None for r in ratios):
        total = sum(r for r in ratios if r is not None)
        if not rules.adds_up([r for r in ratios if r is not None]):
            report.add(path, f"ratios sum to {format_ratio(total)}, must be {format_ratio(rules.total_hundredths)}")


def _check_color(entry: object, path: str, rules: PaletteRules, report: ValidationReport) -> int | None:
    """Check one {hex, ratio}; its ratio in hundredths when readable."""
    if not isinstance(entry, dict):
        report.add(path, f"must be an object with hex and ratio, not {describe_value(entry)}")
        return None
    for key in entry:
        if key not in _PALETTE_FIELDS:
            report.add(f"{path}.{key}", f"is not a field of a palette colour (expected {', '.join(_PALETTE_FIELDS)})")
    if "hex" not in entry:
        report.add(f"{path}.hex", 'is required (a colour like "#C2D1E6")')
    elif not isinstance(entry["hex"], str) or not re.fullmatch(rules.hex_pattern, entry["hex"], re.ASCII):
        report.add(f"{path}.hex", f'must be a colour like "#C2D1E6", not {describe_value(entry["hex"])}')
    if "ratio" not in entry:
        report.add(f"{path}.ratio", 'is required (a percentage like "25.00%")')
        return None
    hundredths = parse_ratio(entry["ratio"], rules=rules) if isinstance(entry["ratio"], str) else None
    if hundredths is None:
        report.add(
            f"{path}.ratio",
            f'must have exactly two decimals and a percent sign, like "25.00%", not {describe_value(entry["ratio"])}',
        )
    return hundredths
