"""Every problem the validator (and the image checks) can report, as a stable code with an
English template, in one table. The protocol stays free of Django: a problem carries its code
and plain parameters next to its English message, and the web layer renders the same code in
the user's language (studio.pipeline.problem_text) with the same `render`.

Templates are str.format strings with three additions, all handled by `render`:
- `{count:plural:image:images}` writes "1 image" / "3 images" (a translation that needs no
  plural writes `{count} 张图`);
- a parameter may be a phrase of its own (a `Said`: a value's description, a size's choices),
  stored flattened as `name__code` and `name__<param>` so every parameter stays a plain value;
- a list of phrases or names joins with `{name:and}` (" and ") or `{name:list}` (", "), whose
  joiners are translated too.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from typing import Any

from studio.wan.marks import gettext_noop

Translate = Callable[[str], str]
Plain = str | int | float | bool | None


# A problem: what follows its JSON path ("parameters.n: must be an integer, not ...").
PROBLEMS: dict[str, str] = {
    # The body and its messages (studio.wan.validator).
    "body.unchecked": gettext_noop("could not be checked completely ({error})"),
    "body.not_object": gettext_noop("must be a JSON object, not {value}"),
    "field.unknown": gettext_noop("is not {what} (expected {expected})"),
    "model.region": gettext_noop("{model} is served only in the {regions:and} region, not {region}"),
    "model.required": gettext_noop("is required (known models: {known})"),
    "model.not_name": gettext_noop("must be a model name (known: {known}), not {value}"),
    "model.unknown": gettext_noop("{value} is not a known model (known: {known})"),
    "images.count": gettext_noop("has {count:plural:image:images}; {model} takes {lo}–{hi}"),
    "images.unsent": gettext_noop(
        "has {count:plural:image:images}; {model} takes {lo}–{hi} (it edits image 1; remove the other "
        "{unsent:plural:image:images})"
    ),
    "input.required": gettext_noop("is required (an object with messages)"),
    "input.not_object": gettext_noop("must be an object with messages, not {value}"),
    "input.not_object_with": gettext_noop("must be an object with {fields}, not {value}"),
    "messages.not_array": gettext_noop("must be an array holding one message, not {value}"),
    "messages.count": gettext_noop("must hold exactly one message (single-turn only), not {count}"),
    "message.not_object": gettext_noop("must be an object with role and content, not {value}"),
    "role.required": gettext_noop('is required and must be "user"'),
    "role.not_user": gettext_noop('must be "user", not {value}'),
    "content.not_array": gettext_noop("must be a non-empty array of text and image items, not {value}"),
    "item.not_object": gettext_noop('must be an object with "text" or "image", not {value}'),
    "item.both": gettext_noop('must have exactly one of "text" and "image", not both'),
    "item.neither": gettext_noop('must have a "text" or an "image"'),
    "content.no_text": gettext_noop("needs one text item (the prompt)"),
    "content.extra_text": gettext_noop("only one text item (the prompt) is allowed; the first is {first}"),
    # Texts (studio.wan.validator_text).
    "text.not_string": gettext_noop("must be a string, not {value}"),
    "prompt.empty": gettext_noop("the prompt is empty"),
    "prompt.too_long": gettext_noop("prompt is {length:,} characters, more than the {limit:,} allowed"),
    "prompt.too_long_tokens": gettext_noop(
        "prompt is {length:,} characters, more than the {limit:,} allowed (surely over the {tokens:,} tokens "
        "{model} reads)"
    ),
    "prompt.required": gettext_noop("is required (the text instruction)"),
    "prompt.style_missing": gettext_noop("must name one of the styles: {styles}"),
    "negative_prompt.not_taken": gettext_noop("{model} takes no negative_prompt"),
    "negative_prompt.too_long": gettext_noop(
        "negative prompt is {length:,} characters, more than the {limit:,} allowed"
    ),
    # Input images and the image edit's input (studio.wan.validator_inputs, studio.wan.images).
    "image.not_string": gettext_noop("must be a URL string, not {value}"),
    "image.url_no_host": gettext_noop("{value} is not a usable URL (it has no host)"),
    "image.not_url": gettext_noop("must be an http(s) URL or a data:{{MIME type}};base64,{{data}} URL, not {value}"),
    "image.file_url": gettext_noop(
        "must be an http(s) URL or a data:{{MIME type}};base64,{{data}} URL, not {value} (file:// paths only "
        "work through the SDKs; send the bytes as a data URL)"
    ),
    "images.not_array": gettext_noop("must be an array of image URLs, not {value}"),
    "image.format": gettext_noop("format {format} is not supported ({formats})"),
    "image.mime_mismatch": gettext_noop("declared MIME type {declared} does not match the content ({format})"),
    "image.side_small": gettext_noop("{side} {value} px is below the minimum of {limit} px"),
    "image.side_large": gettext_noop("{side} {value} px is above the maximum of {limit} px"),
    "image.file_size": gettext_noop("file is {shown}, more than the {limit:g} MB limit"),
    "image.alpha": gettext_noop("{format} has an alpha channel, which the API does not take"),
    "aspect.outside": gettext_noop("aspect ratio {ratio} is outside 1:{limit} to {limit}:1"),
    "data_url.form": gettext_noop("not a data URL of the form data:{{MIME type}};base64,{{data}}"),
    "data_url.empty": gettext_noop("the data URL carries no image data"),
    "data_url.base64": gettext_noop("the data URL's base64 data is malformed ({detail})"),
    "image.empty": gettext_noop("the image is empty (0 bytes)"),
    "image.unrecognised": gettext_noop("the data is not an image in a recognised format ({formats})"),
    "image.bomb": gettext_noop("the image has too many pixels to decode safely ({detail})"),
    "image.undecodable": gettext_noop("the {format} image could not be decoded ({detail})"),
    "image.too_many_pixels": gettext_noop(
        "the image is {width}×{height} pixels, more than the {limit:,} pixels any accepted image can have; it "
        "was not decoded"
    ),
    "function.required": gettext_noop("is required (one of: {functions})"),
    "function.unknown": gettext_noop("{value} is not a function (one of: {functions})"),
    "edit_prompt.required": gettext_noop("is required (it may be empty for colorization or a small removal)"),
    "base_image.required": gettext_noop("is required (the image to edit)"),
    "mask.not_taken": gettext_noop("is only taken by description_edit_with_mask, not {function}"),
    "mask.required": gettext_noop("is required for {function} (white is edited, black kept)"),
    "mask.size_mismatch": gettext_noop(
        "mask is {mask_width}×{mask_height} px but the base image is {width}×{height}; they must be the same size"
    ),
    # Parameters (studio.wan.validator_params).
    "parameters.not_object": gettext_noop("must be an object, not {value}"),
    "parameter.unknown": gettext_noop("is not a parameter of {model} (its parameters: {known})"),
    "parameter.not_boolean": gettext_noop("must be true or false (a JSON boolean), not {value}"),
    "parameter.wrong_function": gettext_noop("is only taken by {owners:and}, not {function}"),
    "integer.not_integer": gettext_noop("must be an integer, not {value}"),
    "integer.outside": gettext_noop("{value} is outside {lo}–{hi}"),
    "number.not_number": gettext_noop("must be a number, not {value}"),
    "number.outside": gettext_noop("{value} is outside {lo:g}–{hi:g}"),
    "n.interleave": gettext_noop("must be 1 with enable_interleave (use max_images), not {value}"),
    "n.outside_set": gettext_noop("{value} is outside {lo}–{hi} for an image set (enable_sequential on)"),
    "n.outside_sets_allow": gettext_noop(
        "{value} is outside {lo}–{hi}; image sets (enable_sequential) allow {set_lo}–{set_hi}"
    ),
    "max_images.without_interleave": gettext_noop("is only taken with enable_interleave true (use n otherwise)"),
    "prompt_extend.interleave": gettext_noop("is for editing mode only, not with enable_interleave"),
    "size.not_string": gettext_noop("must be a string; {choices}; not {value}"),
    "size.preset_interleave": gettext_noop("{size} is not taken with enable_interleave; {choices}"),
    "size.preset_text_only": gettext_noop(
        "{size} is only available for text-to-image on {model} (no input images, enable_sequential off); this "
        'request {reasons:and}; use {presets} or "W*H"'
    ),
    "size.not_fixed": gettext_noop("{size} is not one of {model}'s fixed sizes; {choices}"),
    "size.custom_not_taken": gettext_noop('"W*H" is not taken for {mode} on {model}; {choices}'),
    "size.sides_outside": gettext_noop(
        "{width}*{height} has {outside:and}; each side must be {lo}–{hi} px on {model}"
    ),
    "size.pixels_outside": gettext_noop(
        "{width}*{height} is {pixels:,} pixels, outside {lo} to {hi} for {mode} on {model}"
    ),
    "size.unavailable": gettext_noop("{size} is not available on {model}, only on {where:list}; {choices}"),
    "size.unknown": gettext_noop("{value} is not a size; {choices}"),
    "bbox.no_images": gettext_noop("bbox_list needs input images; this request has none"),
    "bbox.not_array": gettext_noop("must be an array with one list of boxes per input image, not {value}"),
    "bbox.count": gettext_noop(
        "has {entries:plural:entry:entries} for {images:plural:input image:input images}; give one per image, [] "
        "for an image without boxes"
    ),
    "boxes.not_array": gettext_noop("must be an array of boxes ([] for none), not {value}"),
    "boxes.too_many": gettext_noop("has {count:plural:box:boxes} on image {image}; at most {limit} per image"),
    "box.shape": gettext_noop("must be [x1, y1, x2, y2], four integers, not {value}"),
    "box.not_integers": gettext_noop("coordinates must be integers: {bad:list}"),
    "box.x_order": gettext_noop("x1 ({x1}) must be less than x2 ({x2})"),
    "box.y_order": gettext_noop("y1 ({y1}) must be less than y2 ({y2})"),
    "box.negative": gettext_noop("{name} ({value}) is negative; coordinates start at 0"),
    "box.beyond": gettext_noop("{name} ({value}) is beyond the image {side} of {limit} px"),
    "palette.sequential": gettext_noop("is only available when enable_sequential is false"),
    "palette.not_array": gettext_noop("must be an array of {{hex, ratio}} objects, not {value}"),
    "palette.count": gettext_noop(
        "has {count:plural:colour:colours}; it must have {lo}–{hi} ({recommended} recommended)"
    ),
    "palette.sum": gettext_noop("ratios sum to {total}, must be {expected}"),
    "colour.not_object": gettext_noop("must be an object with hex and ratio, not {value}"),
    "colour.unknown_field": gettext_noop("is not a field of a palette colour (expected {expected})"),
    "colour.hex_required": gettext_noop('is required (a colour like "#C2D1E6")'),
    "colour.hex_invalid": gettext_noop('must be a colour like "#C2D1E6", not {value}'),
    "colour.ratio_required": gettext_noop('is required (a percentage like "25.00%")'),
    "colour.ratio_invalid": gettext_noop(
        'must have exactly two decimals and a percent sign, like "25.00%", not {value}'
    ),
}

# Pieces that problems embed: a value's description, what a field belongs to, size choices.
PHRASES: dict[str, str] = {
    "value.null": gettext_noop("null"),
    "value.true": gettext_noop("true"),
    "value.false": gettext_noop("false"),
    "value.integer": gettext_noop("{text}"),  # the digits; a translation may name them ("整数 5")
    "value.huge_integer": gettext_noop("a very large integer"),
    "value.number": gettext_noop("the number {text}"),
    "value.string": gettext_noop("the string {text}"),
    "value.array": gettext_noop("an array"),
    "value.object": gettext_noop("an object"),
    "value.other": gettext_noop("a {type}"),
    "value.count": gettext_noop("{count} values"),
    "what.body_field": gettext_noop("a field of the request body"),
    "what.input_field": gettext_noop("a field of input"),
    "what.message_field": gettext_noop("a field of a message"),
    "what.content_field": gettext_noop("a content field"),
    "side.width": gettext_noop("width"),
    "side.height": gettext_noop("height"),
    "side.width_px": gettext_noop("width {value} px"),
    "side.height_px": gettext_noop("height {value} px"),
    "mode.text_to_image": gettext_noop("text-to-image"),
    "mode.other": gettext_noop("image editing and image sets"),
    "mode.interleave": gettext_noop("interleaved text and images"),
    "choices.fixed": gettext_noop("use one of {sizes}"),
    "choices.some": gettext_noop("use {options} (default {default})"),
    "choices.none": gettext_noop("use no size (default {default})"),
    "choices.or": gettext_noop("{first} or {second}"),
    "choice.presets": "{presets}",
    "choice.custom_side": gettext_noop('"W*H" with each side {lo}–{hi} px'),
    "choice.custom_pixels": gettext_noop('"W*H" with {lo} to {hi} pixels in total'),
    "reason.images": gettext_noop("has {count:plural:input image:input images}"),
    "reason.sequential": gettext_noop("has enable_sequential on"),
    "where.model": "{model}",
    "where.text_only": gettext_noop("{model} (text-to-image only)"),
    "coordinate.is": gettext_noop("{name} is {value}"),
    "file.megabytes": gettext_noop("{megabytes:.1f} MB"),
    "file.bytes": gettext_noop("{bytes:,} bytes"),
}

JOINERS: dict[str, str] = {"and": gettext_noop(" and "), "list": gettext_noop(", ")}

# Words a note or a hint reuses outside a problem (the editor words a long prompt with it).
NOTES: dict[str, str] = {
    "prompt.may_be_cut": gettext_noop(
        "prompt is {length:,} characters; {model} reads up to {tokens:,} tokens (about one per Chinese "
        "character, one per few English letters) and cuts the rest"
    ),
    "image.side_advice": gettext_noop(
        "{width}×{height} px is outside the {lo}–{hi} px per side recommended for best results (sent anyway: "
        "smaller may blur, larger is slower)"
    ),
}

TEMPLATES: dict[str, str] = {**PROBLEMS, **PHRASES, **NOTES}


class Said(str):
    """An English message that remembers its code and plain parameters, so it can be said again
    in another language. A str, so callers that only want the English need not change."""

    code: str
    params: dict[str, Plain]

    def __new__(cls, code: str, params: dict[str, Plain]) -> Said:
        said = super().__new__(cls, render(code, params))
        said.code = code
        said.params = params
        return said

    def __getnewargs__(self) -> tuple[str, dict[str, Plain]]:  # type: ignore[override]
        # Pickling and copying rebuild a Said from its code and parameters, not its text.
        return (self.code, self.params)


def say(code: str, **params: Any) -> Said:
    """The message `code` with `params`; phrases (Said) and lists among them are flattened."""
    if code not in TEMPLATES:
        raise KeyError(f"no template for problem code {code!r}")
    return Said(code, _flatten(params))


def _flatten(params: Mapping[str, Any], prefix: str = "") -> dict[str, Plain]:
    flat: dict[str, Plain] = {}
    for name, value in params.items():
        key = prefix + name
        if isinstance(value, Said):
            flat[f"{key}__code"] = value.code
            flat.update(_flatten(value.params, f"{key}__"))
        elif isinstance(value, (list, tuple)):
            flat[f"{key}__count"] = len(value)
            for i, item in enumerate(value):
                if isinstance(item, Said):
                    flat.update(_flatten({str(i): item}, f"{key}__"))
                else:
                    flat[f"{key}__{i}"] = item
        else:
            flat[key] = value
    return flat


def _identity(message: str) -> str:
    return message


def render(code: str, params: Mapping[str, Plain], translate: Translate = _identity) -> str:
    """The message `code` says with `params`, in the language `translate` gives (English by default)."""
    return _Formatter(translate, params).format(translate(TEMPLATES[code]))


def fields_of(template: str) -> set[str]:
    """The parameter names a template uses ("{count:plural:image:images}" -> {"count"})."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class _Formatter(string.Formatter):
    def __init__(self, translate: Translate, params: Mapping[str, Plain]) -> None:
        self.translate = translate
        self.params = params

    def get_value(self, key: int | str, args: Any, kwargs: Any) -> Any:
        name = str(key)
        params = self.params
        if f"{name}__code" in params:
            return render(str(params[f"{name}__code"]), _sub(params, name), self.translate)
        if f"{name}__count" in params:
            items = []
            for i in range(int(params[f"{name}__count"] or 0)):
                item = f"{name}__{i}"
                if f"{item}__code" in params:
                    items.append(render(str(params[f"{item}__code"]), _sub(params, item), self.translate))
                else:
                    items.append(str(params[item]))
            return items
        return params[name]

    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec.startswith("plural:"):
            _, one, many = format_spec.split(":", 2)
            return f"{value} {one if value == 1 else many}"
        if format_spec in JOINERS:
            return self.translate(JOINERS[format_spec]).join(str(v) for v in value)
        return super().format_field(value, format_spec)


def _sub(params: Mapping[str, Plain], name: str) -> dict[str, Plain]:
    prefix = f"{name}__"
    return {key[len(prefix):]: value for key, value in params.items() if key.startswith(prefix)}
