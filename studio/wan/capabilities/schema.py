"""The shape of a capability entry: ranges, modes, body shapes and the rules a model has.

The data (one entry per model) is in capabilities.models; this module holds no figure of its
own except SEED_RANGE and EXPAND_SCALES, which every model shares.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum


@dataclass(frozen=True)
class IntRange:
    """An inclusive range of integers, as the reference writes them ("[0, 2147483647]")."""

    lo: int
    hi: int

    def __contains__(self, value: object) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and self.lo <= value <= self.hi

    def describe(self) -> str:
        return f"{self.lo}–{self.hi}"


@dataclass(frozen=True)
class FloatRange:
    """An inclusive range of numbers (strength 0.0–1.0, outpainting scales)."""

    lo: float
    hi: float

    def __contains__(self, value: object) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool) and self.lo <= value <= self.hi

    def describe(self) -> str:
        return f"{self.lo:g}–{self.hi:g}"


# Reference: 002 and 004, seed — the same range on every model.
SEED_RANGE = IntRange(0, 2147483647)


class Mode(StrEnum):
    """What the references call the scenarios whose size and image rules differ."""

    # No image input and not an image set: the only scenario that takes 4K on wan2.7-image-pro.
    TEXT_TO_IMAGE = "text_to_image"
    # Everything else: image editing, image sets with or without input images.
    OTHER = "other"
    # wan2.6-image with enable_interleave: text and images in one answer (reference: 004).
    INTERLEAVE = "interleave"


def mode_for(*, image_count: int, sequential: bool, interleave: bool = False) -> Mode:
    # Reference: 002, size: "Text-to-image (no image input, not generating an image set)".
    if interleave:
        return Mode.INTERLEAVE
    return Mode.TEXT_TO_IMAGE if image_count == 0 and not sequential else Mode.OTHER


class BodyShape(StrEnum):
    """The three request bodies of the family; studio.wan.request builds and parses each."""

    # {"input": {"messages": [{"role": "user", "content": [{image}..., {text}]}]}} (002, 004).
    MESSAGES = "messages"
    # {"input": {"prompt", "negative_prompt", "images"}} on .../image-synthesis (003, 004).
    PROMPT = "prompt"
    # {"input": {"function", "prompt", "base_image_url", "mask_image_url"}} (001).
    IMAGE_EDIT = "image_edit"


@dataclass(frozen=True)
class ImageLimits:
    """Limits on each input image."""

    # Pillow format names decided from the decoded content, with the MIME type each must carry.
    formats: dict[str, str]
    side: IntRange
    # The aspect ratio may be at most 1:max_aspect or max_aspect:1; None where none is documented.
    max_aspect: int | None
    max_bytes: int
    alpha_allowed: bool
    count: IntRange
    # Sides the reference recommends "for best results" without refusing others: outside this
    # range the studio warns and still sends (the qwen editing models). None: no such advice.
    recommended_side: IntRange | None = None

    @property
    def mime_types(self) -> frozenset[str]:
        return frozenset(self.formats.values())

    def describe_formats(self) -> str:
        return ", ".join(sorted(self.formats))


@dataclass(frozen=True)
class SizeRules:
    """The ways a model takes an output size: presets, "W*H" within limits, or fixed sizes."""

    # What the model uses when size is left out: a preset or "W*H".
    default: str
    # "W*H": allowed total pixels per mode (no entry: "W*H" is not taken in that mode), and the
    # aspect limit (None where the documents give none).
    custom_pixels: dict[Mode, IntRange]
    custom_max_aspect: int | None
    # Preset name -> total pixels (1K means 1024*1024 on wan2.7). Empty when none exist.
    presets: dict[str, int] = field(default_factory=dict)
    # Presets allowed only in text-to-image mode.
    text_to_image_only_presets: frozenset[str] = frozenset()
    # Some models take only these "W*H" values (qwen-image-plus/max); empty means any in range.
    fixed: tuple[str, ...] = ()
    # Without a size the output follows the last input image's aspect (wan2.5-i2i-preview).
    follows_input_aspect: bool = False
    # Modes in which presets are taken (interleave takes only "W*H").
    preset_modes: frozenset[Mode] = frozenset(Mode)
    # "W*H" whose width and height must each lie in this range (wan2.2-t2i-flash, the qwen
    # edit models) rather than a total-pixel range; custom_pixels then holds the implied lo²–hi².
    custom_side: IntRange | None = None
    # Output pixels may differ slightly from what was asked (reference: "may differ slightly").
    # The emulator rounds sides to this multiple; checks allow this relative tolerance.
    side_multiple: int = 16
    tolerance: float = 0.05

    def presets_for(self, mode: Mode) -> list[str]:
        if mode not in self.preset_modes:
            return []
        return [
            name
            for name in self.presets
            if mode is Mode.TEXT_TO_IMAGE or name not in self.text_to_image_only_presets
        ]

    def pixels_for(self, mode: Mode) -> IntRange | None:
        return self.custom_pixels.get(mode)


def per_side(side: IntRange, *modes: Mode) -> dict[Mode, IntRange]:
    """The total-pixel range each side range implies, for the modes that take "W*H"."""
    return {mode: IntRange(side.lo * side.lo, side.hi * side.hi) for mode in modes}


@dataclass(frozen=True)
class PaletteRules:
    count: IntRange
    recommended: int
    hex_pattern: str
    # "25.00%": exactly two decimals and a percent sign.
    ratio_pattern: str
    # The ratios must add up to this many hundredths of a percent (100.00%).
    total_hundredths: int

    def adds_up(self, hundredths: Sequence[int]) -> bool:
        """The sum rule, for the validator and the editor alike. Integer hundredths:
        "33.33% + 33.33% + 33.34%" is exactly 100.00%, never 99.99999."""
        return sum(hundredths) == self.total_hundredths


@dataclass(frozen=True)
class InterleaveRules:
    """wan2.6-image's interleaved text-and-image mode (reference: 004, "enable_interleave")."""

    images: IntRange
    max_images: IntRange
    max_images_default: int


@dataclass(frozen=True)
class EditFunction:
    """One `function` of wanx2.1-imageedit and the parameters that go with it (reference: 001)."""

    name: str
    label: str
    needs_mask: bool = False
    takes_strength: bool = False
    takes_expand: bool = False
    takes_upscale: bool = False
    takes_sketch: bool = False
    # stylization_local: the prompt names one of these style values ("Change the house to wooden style").
    styles: dict[str, str] = field(default_factory=dict)


# Reference: 001, "Outpainting" — the four expansion ratios of the expand function.
EXPAND_SCALES = ("top_scale", "bottom_scale", "left_scale", "right_scale")


@dataclass(frozen=True)
class ImageEditRules:
    functions: dict[str, EditFunction]
    strength: FloatRange
    strength_default: float
    scale: FloatRange
    upscale_factor: IntRange
    # White is edited, black kept (reference: 001). The studio also holds the mask to the base
    # image's exact pixels, which the document implies but does not state.
    mask_formats: dict[str, str]


@dataclass(frozen=True)
class ModelCapabilities:
    name: str
    label: str
    family: str
    description: str
    # Which body the model takes (see studio.wan.request) and where it is sent.
    body_shape: BodyShape
    sync_path: str | None
    async_path: str | None
    # Over this many characters a prompt is refused (the service would cut it).
    prompt_max_chars: int
    images: ImageLimits
    # None: the model takes no size (wanx2.1-imageedit follows its input image; qwen-image-edit
    # keeps the last input's shape, see output_pixels).
    size: SizeRules | None
    # None: the model takes no n and always makes one image (z-image-turbo, qwen-image-edit).
    n: IntRange | None
    n_default: int
    # The provider's usual time to finish one task, used to poll first what is most likely done.
    typical_seconds: float
    # Reference: 002 and 004, seed — [0, 2147483647] for every model that takes one.
    seed: IntRange = SEED_RANGE
    # wan2.7 only (reference: 002): image sets, boxes, palette, thinking mode.
    n_sequential: IntRange | None = None
    n_sequential_default: int | None = None
    max_boxes_per_image: int | None = None
    palette: PaletteRules | None = None
    supports_thinking_mode: bool = False
    supports_watermark: bool = True
    # Unit price per successfully generated image, by region; None where the documents give none.
    unit_prices: dict[str, Decimal] = field(default_factory=dict)
    currency: str = "USD"
    negative_prompt_max_chars: int | None = None
    supports_prompt_extend: bool = False
    supports_seed: bool = True
    interleave: InterleaveRules | None = None
    image_edit: ImageEditRules | None = None
    # The regions whose endpoint serves the model (reference: 001 — wanx2.1 is Beijing only).
    regions: frozenset[str] = frozenset({"singapore", "beijing"})
    # The prompt may be empty (wanx2.1: colorization, removing a small object; reference: 001).
    prompt_optional: bool = False
    # The provider's own limits for the model, where documented: task submissions per second
    # and tasks in flight per account (reference: 001 — wanx2.1: 2 RPS, 2 concurrent).
    submits_per_second: float | None = None
    concurrent_tasks: int | None = None
    # A prompt limit documented in tokens, not characters (qwen-image-2.0). A token is at least
    # one character, so a prompt of at most this many characters always fits; a longer one may
    # be cut by the service (the studio says so), and past prompt_max_chars it surely is.
    prompt_max_tokens: int | None = None
    # A model that takes no size: its output keeps the last input image's aspect at about this
    # many pixels (qwen-image-edit). None for the others.
    output_pixels: int | None = None
    # The seed documents (and public references) the entry's figures come from.
    documents: str = ""

    @property
    def supports_sequential(self) -> bool:
        return self.n_sequential is not None

    @property
    def supports_bbox(self) -> bool:
        return self.max_boxes_per_image is not None

    @property
    def sync_only(self) -> bool:
        return self.async_path is None

    def image_count(self, mode: Mode) -> IntRange:
        if mode is Mode.INTERLEAVE and self.interleave is not None:
            return self.interleave.images
        return self.images.count

    def n_range(self, *, sequential: bool) -> IntRange:
        if sequential and self.n_sequential is not None:
            return self.n_sequential
        return self.n or IntRange(1, 1)

    def default_n(self, *, sequential: bool) -> int:
        if sequential and self.n_sequential_default is not None:
            return self.n_sequential_default
        return self.n_default

    def max_images_billed(
        self, *, n: int | None, sequential: bool, interleave: bool = False, max_images: int | None = None
    ) -> int:
        """The most images one request can be billed for (n, max_images, or their defaults)."""
        if interleave and self.interleave is not None:
            # Reference: 004 — "max_images ... Billed per image"; n must be 1 in this mode.
            return max_images if max_images is not None else self.interleave.max_images_default
        if self.n is None:
            return 1
        return n if n is not None else self.default_n(sequential=sequential)

    def available_in(self, region: str) -> bool:
        return region in self.regions
