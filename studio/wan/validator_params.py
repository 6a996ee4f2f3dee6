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
from studio.wan.problem_words import Said, say
from studio.wan.validator_report import SeenImage, ValidationReport, describe_value, is_array, is_int
from studio.wan.validator_text import check_negative_prompt

_PARAMS = "parameters"
_BOOLEANS = tuple(p.name for p in PARAMETERS if p.kind is bool)
_PALETTE_FIELDS = ("hex", "ratio")
_CUSTOM_SIZE = re.compile(r"(\d{1,9})\*(\d{1,9})", re.ASCII)
_MODE_LABELS = {
    Mode.TEXT_TO_IMAGE: "mode.text_to_image",
    Mode.OTHER: "mode.other",
    Mode.INTERLEAVE: "mode.interleave",
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
        report.add(_PARAMS, say("parameters.not_object", value=describe_value(params)))
        return
    known = known_parameters(caps)
    for name in params:
        if name not in known:
            report.add(f"{_PARAMS}.{name}", say("parameter.unknown", model=caps.name, known=", ".join(known)))
    for name in _BOOLEANS:
        if name in params and name in known and not isinstance(params[name], bool):
            report.add(f"{_PARAMS}.{name}", say("parameter.not_boolean", value=describe_value(params[name])))
    sequential = params.get("enable_sequential") is True
    interleave = params.get("enable_interleave") is True and caps.interleave is not None
    mode = mode_for(image_count=len(images), sequential=sequential, interleave=interleave)
    if "n" in params and "n" in known:
        if interleave:
            # Reference: 004 — n "Must be 1" in interleave mode; max_images sets the count.
            if params["n"] != 1:
                report.add(f"{_PARAMS}.n", say("n.interleave", value=describe_value(params["n"])))
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


def _check_int_in(
    value: object, allowed: IntRange, path: str, report: ValidationReport, code: str = "integer.outside", **hint: int
) -> None:
    if not is_int(value):
        report.add(path, say("integer.not_integer", value=describe_value(value)))
    elif value not in allowed:
        report.add(path, say(code, value=describe_value(value), lo=allowed.lo, hi=allowed.hi, **hint))


def _check_interleave(params: dict, caps: ModelCapabilities, interleave: bool, report: ValidationReport) -> None:
    assert caps.interleave is not None
    if "max_images" in params:
        if not interleave:
            report.add(f"{_PARAMS}.max_images", say("max_images.without_interleave"))
        else:
            _check_int_in(params["max_images"], caps.interleave.max_images, f"{_PARAMS}.max_images", report)
    # Reference: 004 — prompt_extend is for editing mode only ("—" for interleave).
    if interleave and "prompt_extend" in params:
        report.add(f"{_PARAMS}.prompt_extend", say("prompt_extend.interleave"))


def _check_number_in(value: object, allowed: FloatRange, path: str, report: ValidationReport) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        report.add(path, say("number.not_number", value=describe_value(value)))
    elif value not in allowed:
        report.add(path, say("number.outside", value=describe_value(value), lo=allowed.lo, hi=allowed.hi))


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
            owners = list(function_owners(caps, parameter))
            report.add(path, say("parameter.wrong_function", owners=owners, function=function.name))
            continue
        allowed = parameter.range_for(caps)
        if isinstance(allowed, IntRange):
            _check_int_in(params[parameter.name], allowed, path, report)
        elif isinstance(allowed, FloatRange):
            _check_number_in(params[parameter.name], allowed, path, report)


def _check_n(value: object, caps: ModelCapabilities, sequential: bool, report: ValidationReport) -> None:
    # Reference: 002, n — 1–4 (default 4); with enable_sequential 1–12 (default 12).
    allowed, path = caps.n_range(sequential=sequential), f"{_PARAMS}.n"
    if sequential:
        _check_int_in(value, allowed, path, report, "n.outside_set")
    elif caps.n_sequential is not None:
        sets = caps.n_sequential
        _check_int_in(value, allowed, path, report, "n.outside_sets_allow", set_lo=sets.lo, set_hi=sets.hi)
    else:
        _check_int_in(value, allowed, path, report)


def _as_size(pixels: int) -> str:
    """1048576 -> '1024*1024' when it is a square, else the plain count."""
    side = math.isqrt(pixels)
    return f"{side}*{side}" if side * side == pixels else f"{pixels:,}"


def _size_choices(caps: ModelCapabilities, mode: Mode) -> Said:
    rules = caps.size
    assert rules is not None
    if rules.fixed:
        return say("choices.fixed", sizes=", ".join(rules.fixed))
    pixels = rules.pixels_for(mode)
    choices = [say("choice.presets", presets=", ".join(rules.presets_for(mode)))] if rules.presets_for(mode) else []
    if pixels is not None and rules.custom_side is not None:
        choices.append(say("choice.custom_side", lo=rules.custom_side.lo, hi=rules.custom_side.hi))
    elif pixels is not None:
        choices.append(say("choice.custom_pixels", lo=_as_size(pixels.lo), hi=_as_size(pixels.hi)))
    if not choices:
        return say("choices.none", default=rules.default)
    options = choices[0] if len(choices) == 1 else say("choices.or", first=choices[0], second=choices[1])
    return say("choices.some", options=options, default=rules.default)


def _check_size(
    value: object, caps: ModelCapabilities, mode: Mode, image_count: int, sequential: bool, report: ValidationReport
) -> None:
    path = f"{_PARAMS}.size"
    rules = caps.size
    assert rules is not None
    # Reference: 002, size — a preset (1K, 2K, 4K) or "W*H", never both; 004 for the others.
    if not isinstance(value, str):
        report.add(path, say("size.not_string", choices=_size_choices(caps, mode), value=describe_value(value)))
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
            report.add(path, say("size.not_fixed", size=value, model=caps.name, choices=_size_choices(caps, mode)))
        return
    width, height = int(match[1]), int(match[2])
    allowed = rules.pixels_for(mode)
    if allowed is None:
        mode_label = say(_MODE_LABELS[mode])
        report.add(path, say("size.custom_not_taken", mode=mode_label, model=caps.name, choices=_size_choices(caps, mode)))
        return
    if rules.custom_side is not None:
        # Reference: each side on its own (wan2.2-t2i-flash 512–1440, qwen-image-edit-max/plus
        # 512–2048; see the capability table), not a total.
        sides = (("side.width_px", width), ("side.height_px", height))
        outside = [say(label, value=side) for label, side in sides if side not in rules.custom_side]
        if outside:
            report.add(
                path,
                say(
                    "size.sides_outside",
                    width=width,
                    height=height,
                    outside=outside,
                    lo=rules.custom_side.lo,
                    hi=rules.custom_side.hi,
                    model=caps.name,
                ),
            )
    elif width * height not in allowed:
        report.add(
            path,
            say(
                "size.pixels_outside",
                width=width,
                height=height,
                pixels=width * height,
                lo=_as_size(allowed.lo),
                hi=_as_size(allowed.hi),
                mode=say(_MODE_LABELS[mode]),
                model=caps.name,
            ),
        )
    limit = rules.custom_max_aspect
    if not aspect_within(width, height, limit):
        report.add(path, say("aspect.outside", ratio=format_aspect(width, height), limit=limit))


def _preset_refusal(value: str, caps: ModelCapabilities, mode: Mode, image_count: int, sequential: bool) -> Said:
    if mode is Mode.INTERLEAVE:
        # Reference: 004 — "In interleave mode: use pixel dimensions".
        return say("size.preset_interleave", size=value, choices=_size_choices(caps, mode))
    # Reference: 002, size — 4K only for "Text-to-image (no image input, not generating an image set)".
    reasons = []
    if image_count:
        reasons.append(say("reason.images", count=image_count))
    if sequential:
        reasons.append(say("reason.sequential"))
    presets = ", ".join(caps.size.presets_for(mode))
    return say("size.preset_text_only", size=value, model=caps.name, reasons=reasons, presets=presets)


def _unknown_size(value: str, caps: ModelCapabilities, mode: Mode) -> Said:
    elsewhere = [m for m in MODELS.values() if m.size is not None and value in m.size.presets]
    if elsewhere:
        where = [
            say("where.text_only" if value in m.size.text_to_image_only_presets else "where.model", model=m.name)
            for m in elsewhere
        ]
        return say("size.unavailable", size=value, model=caps.name, where=where, choices=_size_choices(caps, mode))
    return say("size.unknown", value=describe_value(value), choices=_size_choices(caps, mode))


def _check_bbox_list(value: object, max_boxes: int, images: list[SeenImage], report: ValidationReport) -> None:
    path = f"{_PARAMS}.bbox_list"
    # Reference: 002, bbox_list — "The length of the list must match the number of input images".
    if not images:
        report.add(path, say("bbox.no_images"))
        return
    if not is_array(value):
        report.add(path, say("bbox.not_array", value=describe_value(value)))
        return
    if len(value) != len(images):
        report.add(path, say("bbox.count", entries=len(value), images=len(images)))
    for i, entry in enumerate(value):
        image = images[i] if i < len(images) else None
        _check_boxes_of_image(entry, i, image, max_boxes, report)


def _check_boxes_of_image(
    entry: object, index: int, image: SeenImage | None, max_boxes: int, report: ValidationReport
) -> None:
    path = f"{_PARAMS}.bbox_list[{index}]"
    if not is_array(entry):
        report.add(path, say("boxes.not_array", value=describe_value(entry)))
        return
    # Reference: 002, bbox_list — "A single image supports a maximum of 2 bounding boxes."
    if len(entry) > max_boxes:
        report.add(path, say("boxes.too_many", count=len(entry), image=index + 1, limit=max_boxes))
    size = image.size if image is not None else None
    for j, box in enumerate(entry):
        _check_box(box, f"{path}[{j}]", size, report)
    if entry and image is not None and image.is_url:
        report.note(path, f"bounds not checked: image {index + 1} is an http(s) URL, its size is unknown")


def _check_box(box: object, path: str, size: tuple[int, int] | None, report: ValidationReport) -> None:
    # Reference: 002, bbox_list — [x1, y1, x2, y2] in absolute pixels, (0, 0) top-left.
    if not is_array(box) or len(box) != 4:
        shown = say("value.count", count=len(box)) if is_array(box) else describe_value(box)
        report.add(path, say("box.shape", value=shown))
        return
    names = ("x1", "y1", "x2", "y2")
    bad = [say("coordinate.is", name=name, value=describe_value(v)) for name, v in zip(names, box) if not is_int(v)]
    if bad:
        report.add(path, say("box.not_integers", bad=bad))
        return
    x1, y1, x2, y2 = box
    if x1 >= x2:
        report.add(path, say("box.x_order", x1=x1, x2=x2))
    if y1 >= y2:
        report.add(path, say("box.y_order", y1=y1, y2=y2))
    for name, v in zip(names, box):
        if v < 0:
            report.add(path, say("box.negative", name=name, value=v))
    if size is not None:
        width, height = size
        for name, v in zip(names, box):
            label, limit = ("side.width", width) if name[0] == "x" else ("side.height", height)
            if v > limit:
                report.add(path, say("box.beyond", name=name, value=v, side=say(label), limit=limit))


def _check_palette(value: object, rules: PaletteRules, sequential: bool, report: ValidationReport) -> None:
    path = f"{_PARAMS}.color_palette"
    # Reference: 002, color_palette — "Available only when image set mode is disabled".
    if sequential:
        report.add(path, say("palette.sequential"))
    if not is_array(value):
        report.add(path, say("palette.not_array", value=describe_value(value)))
        return
    if len(value) not in rules.count:
        report.add(
            path,
            say("palette.count", count=len(value), lo=rules.count.lo, hi=rules.count.hi, recommended=rules.recommended),
        )
    ratios = [_check_color(entry, f"{path}[{i}]", rules, report) for i, entry in enumerate(value)]
    if ratios and all(r is not None for r in ratios):
        total = sum(r for r in ratios if r is not None)
        if not rules.adds_up([r for r in ratios if r is not None]):
            report.add(path, say("palette.sum", total=format_ratio(total), expected=format_ratio(rules.total_hundredths)))


def _check_color(entry: object, path: str, rules: PaletteRules, report: ValidationReport) -> int | None:
    """Check one {hex, ratio}; its ratio in hundredths when readable."""
    if not isinstance(entry, dict):
        report.add(path, say("colour.not_object", value=describe_value(entry)))
        return None
    for key in entry:
        if key not in _PALETTE_FIELDS:
            report.add(f"{path}.{key}", say("colour.unknown_field", expected=", ".join(_PALETTE_FIELDS)))
    if "hex" not in entry:
        report.add(f"{path}.hex", say("colour.hex_required"))
    elif not isinstance(entry["hex"], str) or not re.fullmatch(rules.hex_pattern, entry["hex"], re.ASCII):
        report.add(f"{path}.hex", say("colour.hex_invalid", value=describe_value(entry["hex"])))
    if "ratio" not in entry:
        report.add(f"{path}.ratio", say("colour.ratio_required"))
        return None
    hundredths = parse_ratio(entry["ratio"], rules=rules) if isinstance(entry["ratio"], str) else None
    if hundredths is None:
        report.add(f"{path}.ratio", say("colour.ratio_invalid", value=describe_value(entry["ratio"])))
    return hundredths
