"""Which request parameters exist, which models take them, and how each one maps.

One descriptor per parameter, in the order the references list them. Everything that used to
spell out parameter names reads this table: the request builder and parser (which body shape
carries a value, and where), the validator (which names a model takes, booleans, ranges), the
editor (the draft field that stores it, its label, its default) and the gallery (a job's
parameters back into draft fields, and their order on the image page).

Adding an optional parameter to a model is a change here (a descriptor, if the name is new)
and in the model's entry, plus a test.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from studio.wan.capabilities.schema import (
    EXPAND_SCALES,
    BodyShape,
    FloatRange,
    IntRange,
    ModelCapabilities,
)
from studio.wan.marks import gettext_noop


class Carrier(StrEnum):
    """Where a body holds the value: beside the prompt, or among the options."""

    INPUT = "input"
    PARAMETERS = "parameters"


class Stored(StrEnum):
    """How the editor's draft keeps a parameter until the person asks to generate."""

    # As typed, at most 32 characters (numbers stay text until checked).
    TEXT = "text"
    # As typed, long enough for any model's negative prompt.
    LONG_TEXT = "long_text"
    # A checkbox: on or off.
    FLAG = "flag"
    # A preset name, or "custom" with a width and a height (see editor.compose).
    SIZE = "size"
    # Not a draft field: boxes live on the references, the palette in its own rows.
    APART = "apart"


_MESSAGES = {BodyShape.MESSAGES: Carrier.PARAMETERS}
_MESSAGES_OR_PROMPT = {BodyShape.MESSAGES: Carrier.PARAMETERS, BodyShape.PROMPT: Carrier.PARAMETERS}
_EVERY_SHAPE = {shape: Carrier.PARAMETERS for shape in BodyShape}
_IMAGE_EDIT = {BodyShape.IMAGE_EDIT: Carrier.PARAMETERS}


@dataclass(frozen=True)
class Parameter:
    """One request parameter: its API name and type, who takes it and how it maps."""

    name: str
    # What the editor calls it (field labels, refusals).
    label: str
    # bool, int, float or str; None for the structured ones the builder lays out itself
    # (bbox_list, color_palette).
    kind: type | None
    # Whether a model takes it at all (its entry says so).
    takes: Callable[[ModelCapabilities], bool]
    # The body shapes that carry it, and where; a shape not named never carries it.
    carried_by: Mapping[BodyShape, Carrier]
    # The draft field holding it, and how.
    field: str | None
    stored: Stored
    # What the model uses when it is left out, where the references say (None: nothing said,
    # or it depends on other values, like n).
    default: object = None
    # The documented range for a number (None where the validator has a rule of its own).
    allowed: Callable[[ModelCapabilities], IntRange | FloatRange | None] | None = None
    # A switch that is sent only when on (enable_sequential, enable_interleave).
    only_when_on: bool = False
    # wanx2.1: the EditFunction attribute saying whether the chosen function takes it (001).
    function_flag: str | None = None
    # A reference for where the parameter, or a model's use of it, comes from.
    source: str = field(default="", compare=False)

    def carrier(self, shape: BodyShape) -> Carrier | None:
        return self.carried_by.get(shape)

    def range_for(self, caps: ModelCapabilities) -> IntRange | FloatRange | None:
        return self.allowed(caps) if self.allowed else None


def _edit_range(attribute: str) -> Callable[[ModelCapabilities], IntRange | FloatRange | None]:
    return lambda caps: getattr(caps.image_edit, attribute) if caps.image_edit else None


def _edits(caps: ModelCapabilities) -> bool:
    return caps.image_edit is not None


_EXPAND_LABELS = (
    gettext_noop("Expand up"),
    gettext_noop("Expand down"),
    gettext_noop("Expand left"),
    gettext_noop("Expand right"),
)

PARAMETERS: tuple[Parameter, ...] = (
    Parameter(
        name="bbox_list", label=gettext_noop("Boxes"), kind=None,
        takes=lambda caps: caps.supports_bbox, carried_by=_MESSAGES,
        field=None, stored=Stored.APART, source="002, bbox_list",
    ),
    Parameter(
        name="enable_sequential", label=gettext_noop("Image set"), kind=bool,
        takes=lambda caps: caps.supports_sequential, carried_by=_MESSAGES,
        field="sequential", stored=Stored.FLAG, default=False, only_when_on=True, source="002, enable_sequential",
    ),
    Parameter(
        name="enable_interleave", label=gettext_noop("Interleaved text and images"), kind=bool,
        takes=lambda caps: caps.interleave is not None, carried_by=_MESSAGES,
        field="interleave", stored=Stored.FLAG, default=False, only_when_on=True, source="004, enable_interleave",
    ),
    Parameter(
        name="size", label=gettext_noop("Size"), kind=str,
        takes=lambda caps: caps.size is not None, carried_by=_MESSAGES_OR_PROMPT,
        field="size_preset", stored=Stored.SIZE, source="002, size",
    ),
    Parameter(
        name="n", label=gettext_noop("Number of images"), kind=int,
        takes=lambda caps: caps.n is not None, carried_by=_EVERY_SHAPE,
        field="n", stored=Stored.TEXT, source="002, n",
    ),
    Parameter(
        name="max_images", label=gettext_noop("Images in the answer"), kind=int,
        takes=lambda caps: caps.interleave is not None, carried_by=_MESSAGES_OR_PROMPT,
        field="max_images", stored=Stored.TEXT,
        allowed=lambda caps: caps.interleave.max_images if caps.interleave else None, source="004, max_images",
    ),
    Parameter(
        name="negative_prompt", label=gettext_noop("Negative prompt"), kind=str,
        takes=lambda caps: caps.negative_prompt_max_chars is not None,
        # The messages body carries it among the options, the prompt body beside the prompt (003, 004).
        carried_by={BodyShape.MESSAGES: Carrier.PARAMETERS, BodyShape.PROMPT: Carrier.INPUT},
        field="negative_prompt", stored=Stored.LONG_TEXT, source="004 and 000, negative_prompt",
    ),
    Parameter(
        name="prompt_extend", label=gettext_noop("Prompt rewriting"), kind=bool,
        takes=lambda caps: caps.supports_prompt_extend,
        # wanx2.1-imageedit too: 001's sample sends it with an image edit body.
        carried_by=_EVERY_SHAPE,
        field="prompt_extend", stored=Stored.FLAG, default=True, source="004 and 000, prompt_extend",
    ),
    Parameter(
        name="thinking_mode", label=gettext_noop("Thinking mode"), kind=bool,
        takes=lambda caps: caps.supports_thinking_mode, carried_by=_MESSAGES_OR_PROMPT,
        field="thinking_mode", stored=Stored.FLAG, default=True, source="002, thinking_mode",
    ),
    Parameter(
        name="color_palette", label=gettext_noop("Palette"), kind=None,
        takes=lambda caps: caps.palette is not None, carried_by=_MESSAGES,
        field=None, stored=Stored.APART, source="002, color_palette",
    ),
    Parameter(
        name="watermark", label=gettext_noop("Watermark"), kind=bool,
        takes=lambda caps: caps.supports_watermark, carried_by=_EVERY_SHAPE,
        field="watermark", stored=Stored.FLAG, default=False, source="002, watermark",
    ),
    Parameter(
        name="seed", label=gettext_noop("Seed"), kind=int,
        takes=lambda caps: caps.supports_seed, carried_by=_EVERY_SHAPE,
        field="seed", stored=Stored.TEXT, allowed=lambda caps: caps.seed, source="002 and 004, seed",
    ),
    Parameter(
        name="strength", label=gettext_noop("Strength"), kind=float,
        takes=_edits, carried_by=_IMAGE_EDIT,
        field="strength", stored=Stored.TEXT, default=0.5, allowed=_edit_range("strength"),
        function_flag="takes_strength", source="001, parameters.strength",
    ),
    *(
        Parameter(
            name=name, label=label, kind=float,
            takes=_edits, carried_by=_IMAGE_EDIT,
            field=name, stored=Stored.TEXT, allowed=_edit_range("scale"),
            function_flag="takes_expand", source="001, Outpainting",
        )
        for name, label in zip(EXPAND_SCALES, _EXPAND_LABELS, strict=True)
    ),
    Parameter(
        name="upscale_factor", label=gettext_noop("Upscale factor"), kind=int,
        takes=_edits, carried_by=_IMAGE_EDIT,
        field="upscale_factor", stored=Stored.TEXT, default=1, allowed=_edit_range("upscale_factor"),
        function_flag="takes_upscale", source="001, parameters.upscale_factor",
    ),
    Parameter(
        name="is_sketch", label=gettext_noop("Input is a sketch"), kind=bool,
        takes=_edits, carried_by=_IMAGE_EDIT,
        field="is_sketch", stored=Stored.FLAG, default=False,
        function_flag="takes_sketch", source="001, parameters.is_sketch",
    ),
    # Not an option but the edit's input: which of wanx2.1's ten functions (001).
    Parameter(
        name="function", label=gettext_noop("Edit function"), kind=str,
        takes=_edits, carried_by={BodyShape.IMAGE_EDIT: Carrier.INPUT},
        field="function", stored=Stored.TEXT, source="001, input.function",
    ),
)

BY_NAME: dict[str, Parameter] = {p.name: p for p in PARAMETERS}
# The parameters a request holds as plain values (the structured ones are laid out apart).
OPTIONS: tuple[str, ...] = tuple(p.name for p in PARAMETERS if p.kind is not None)


def parameters_of(caps: ModelCapabilities) -> tuple[Parameter, ...]:
    """The parameters a model takes, in the references' order."""
    return tuple(p for p in PARAMETERS if p.takes(caps) and p.carrier(caps.body_shape) is not None)


def known_parameters(caps: ModelCapabilities) -> list[str]:
    """The names a model's body takes among its "parameters", in the references' order."""
    return [p.name for p in parameters_of(caps) if p.carrier(caps.body_shape) is Carrier.PARAMETERS]


def function_owners(caps: ModelCapabilities, parameter: Parameter) -> list[str]:
    """wanx2.1: the functions that take a paired parameter (reference: 001)."""
    if caps.image_edit is None or parameter.function_flag is None:
        return []
    return [f.name for f in caps.image_edit.functions.values() if getattr(f, parameter.function_flag)]
