"""Every documented limit of the image models, written once.

The validator, the request builder, the emulator, the forms, the templates and the
JavaScript widgets all read their numbers from this table; nothing else in the code base
spells out 9, 2, 5000 or 768*768.

References (../shared/seeds/): 002 for every wan2.7 figure; 004 for wan2.6, qwen-image,
z-image-turbo and prices; 000 for the per-model image limits; 003 for wan2.5-i2i-preview; 001
for wanx2.1-imageedit. Where the seeds are silent or disagree with Alibaba's public Model Studio
API references, the public reference decides and its address is named beside the rule. Each
model is one entry here plus its body shape (studio.wan.request); where no document gives a
figure the entry says so and names the studio's choice.
"""

from __future__ import annotations

import math
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

    def default_pixels(self) -> int:
        custom = parse_size(self.default)
        return custom[0] * custom[1] if custom else self.presets[self.default]


def _per_side(side: IntRange, *modes: Mode) -> dict[Mode, IntRange]:
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

    def to_json(self) -> dict[str, object]:
        """The limits a browser widget needs, for a data attribute or json_script."""
        size = self.size
        return {
            "name": self.name,
            "label": self.label,
            "promptMaxChars": self.prompt_max_chars,
            "promptMaxTokens": self.prompt_max_tokens,
            "maxImages": self.images.count.hi,
            "imageSide": [self.images.side.lo, self.images.side.hi],
            "imageSideRecommended": None
            if self.images.recommended_side is None
            else [self.images.recommended_side.lo, self.images.recommended_side.hi],
            "imageMaxAspect": self.images.max_aspect,
            "imageMaxBytes": self.images.max_bytes,
            "imageMimeTypes": sorted(self.images.mime_types),
            "maxBoxesPerImage": self.max_boxes_per_image or 0,
            "palette": None
            if self.palette is None
            else {
                "min": self.palette.count.lo,
                "max": self.palette.count.hi,
                "recommended": self.palette.recommended,
                "totalHundredths": self.palette.total_hundredths,
            },
            "sizePresets": {mode.value: size.presets_for(mode) for mode in Mode} if size else {},
            "defaultSize": size.default if size else None,
            "customPixels": {mode.value: [r.lo, r.hi] for mode, r in size.custom_pixels.items()} if size else {},
            "customSide": [size.custom_side.lo, size.custom_side.hi] if size and size.custom_side else None,
            "customMaxAspect": size.custom_max_aspect if size else None,
            "n": None if self.n is None else [self.n.lo, self.n.hi, self.n_default],
            "nSequential": None
            if self.n_sequential is None
            else [self.n_sequential.lo, self.n_sequential.hi, self.n_sequential_default],
            "seed": [self.seed.lo, self.seed.hi],
            "thinkingMode": self.supports_thinking_mode,
            "watermark": self.supports_watermark,
            "negativePromptMaxChars": self.negative_prompt_max_chars,
            "promptExtend": self.supports_prompt_extend,
            "interleave": None
            if self.interleave is None
            else {"maxImages": [self.interleave.max_images.lo, self.interleave.max_images.hi]},
            "editFunctions": sorted(self.image_edit.functions) if self.image_edit else [],
            "regions": sorted(self.regions),
            "unitPrices": {region: str(price) for region, price in self.unit_prices.items()},
            "currency": self.currency,
        }


# Reference: 000, "Image input methods" — the MIME type of each format.
_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "BMP": "image/bmp", "WEBP": "image/webp"}
# Reference: 004, qwen-image editing models — "JPG, JPEG, PNG, BMP, TIFF, WEBP, GIF".
_QWEN_FORMATS = {**_FORMATS, "TIFF": "image/tiff", "GIF": "image/gif"}

# Reference: 002, "Image limits" — JPEG, JPG, PNG (alpha channel not supported), BMP, WEBP;
# [240, 8000] px per side; aspect [1:8, 8:1]; at most 20 MB; 0 to 9 images.
_WAN27_IMAGES = ImageLimits(
    formats=_FORMATS,
    side=IntRange(240, 8000),
    max_aspect=8,
    max_bytes=20 * 1024 * 1024,
    alpha_allowed=False,
    count=IntRange(0, 9),
)

# Reference: 000, limits table — Wan2.6: 4 images, 240–8,000 px, 10 MB; 004: PNG without alpha.
# The aspect of inputs is not limited in the documents; 1:8 to 8:1 is wan2.7's, kept as a guard.
_WAN26_IMAGES = ImageLimits(
    formats=_FORMATS,
    side=IntRange(240, 8000),
    max_aspect=8,
    max_bytes=10 * 1024 * 1024,
    alpha_allowed=False,
    count=IntRange(1, 4),
)

# Reference: 000 and 003 — Wan2.5: 1–3 images, 384–5,000 px, 10 MB, "alpha channels are ignored".
_WAN25_IMAGES = ImageLimits(
    formats=_FORMATS,
    side=IntRange(384, 5000),
    max_aspect=None,
    max_bytes=10 * 1024 * 1024,
    alpha_allowed=True,
    count=IntRange(1, 3),
)


# The largest side any model of the family takes (wan2.7, 002). Where a reference gives sides
# only as advice, the studio refuses nothing smaller, which also bounds images.PIXEL_BOUND.
_FAMILY_MAX_SIDE = 8000
# Reference: https://www.alibabacloud.com/help/en/model-studio/qwen-image-edit-api — input
# images: width and height 384–3072 px are recommended "for best results" (too small blurs, too
# large is slow); not a limit, unlike seed 004's "384–3072px per dimension". ≤10 MB, 1–3 images.
_QWEN_RECOMMENDED_SIDE = IntRange(384, 3072)


def _qwen_images(count: IntRange) -> ImageLimits:
    # Reference: 004 — "≤10MB per image. Max 3 images."; sides: see _QWEN_RECOMMENDED_SIDE.
    return ImageLimits(
        formats=_QWEN_FORMATS,
        side=IntRange(1, _FAMILY_MAX_SIDE),
        max_aspect=None,
        max_bytes=10 * 1024 * 1024,
        alpha_allowed=True,
        count=count,
        recommended_side=_QWEN_RECOMMENDED_SIDE,
    )


# Text-to-image models take no images at all (count 0–0; the other limits are never read).
_NO_IMAGES = ImageLimits(
    formats=_FORMATS, side=IntRange(1, 1), max_aspect=None, max_bytes=0, alpha_allowed=False, count=IntRange(0, 0)
)

# Reference: https://www.alibabacloud.com/help/en/model-studio/wanx-image-edit (General image
# editing - Wan2.1, base_image_url and mask_image_url; seed 001 gives no image limits): JPG,
# JPEG, PNG, BMP, TIFF, WEBP; width and height each 512–4096 px; at most 10 MB; one base image.
_WANX21_FORMATS = {**_FORMATS, "TIFF": "image/tiff"}
_WANX21_IMAGES = ImageLimits(
    formats=_WANX21_FORMATS,
    side=IntRange(512, 4096),
    max_aspect=None,
    max_bytes=10 * 1024 * 1024,
    alpha_allowed=True,
    count=IntRange(1, 1),
)

# Reference: 002, color_palette — 3 to 10 colours (8 recommended), "#C2D1E6", "23.51%", sum 100.00%.
_WAN27_PALETTE = PaletteRules(
    count=IntRange(3, 10),
    recommended=8,
    hex_pattern=r"^#[0-9A-Fa-f]{6}$",
    ratio_pattern=r"^(\d{1,3})\.(\d{2})%$",
    total_hundredths=10000,
)

_PRESETS = {"1K": 1024 * 1024, "2K": 2048 * 2048, "4K": 4096 * 4096}


_MULTIMODAL_SYNC = "/services/aigc/multimodal-generation/generation"
_MULTIMODAL_ASYNC = "/services/aigc/image-generation/generation"
_IMAGE2IMAGE = "/services/aigc/image2image/image-synthesis"
_TEXT2IMAGE = "/services/aigc/text2image/image-synthesis"

_BEIJING = frozenset({"beijing"})

# Reference: 001, "Key features" — the ten functions and their paired parameters.
_WANX21_EDIT = ImageEditRules(
    functions={
        f.name: f
        for f in (
            EditFunction("stylization_all", "Global stylization", takes_strength=True),
            EditFunction(
                "stylization_local",
                "Local stylization",
                styles={
                    "ice": "Ice sculpture",
                    "cloud": "Cloud",
                    "chinese festive lantern": "Chinese festive lantern",
                    "wooden": "Plank",
                    "blue and white porcelain": "Blue and white porcelain",
                    "fluffy": "Fluffy",
                    "weaving": "Yarn",
                    "balloon": "Balloon",
                },
            ),
            EditFunction("description_edit", "Instruction-based editing", takes_strength=True),
            EditFunction("description_edit_with_mask", "Local inpainting (mask)", needs_mask=True),
            EditFunction("remove_watermark", "Text and watermark removal"),
            EditFunction("expand", "Outpainting", takes_expand=True),
            EditFunction("super_resolution", "Super resolution", takes_upscale=True),
            EditFunction("colorization", "Colorization"),
            EditFunction("doodle", "Line art / doodle to image", takes_sketch=True),
            EditFunction("control_cartoon_feature", "Reference cartoon character"),
        )
    },
    strength=FloatRange(0.0, 1.0),
    strength_default=0.5,
    # Reference: 001 gives the example 1.5 but no range; 1.0–2.0 is the studio's limit (the
    # public API reference's), so a scale below 1 (a crop) is never sent.
    scale=FloatRange(1.0, 2.0),
    upscale_factor=IntRange(1, 4),
    # The mask takes the base image's formats and limits (see _WANX21_IMAGES).
    mask_formats=_WANX21_FORMATS,
)


def _wan27(name: str, label: str, description: str, *, four_k: bool, typical: float, price: str) -> ModelCapabilities:
    presets = dict(_PRESETS) if four_k else {"1K": _PRESETS["1K"], "2K": _PRESETS["2K"]}
    text_to_image_hi = 4096 * 4096 if four_k else 2048 * 2048
    return ModelCapabilities(
        name=name,
        label=label,
        family="wan2.7",
        description=description,
        body_shape=BodyShape.MESSAGES,
        sync_path=_MULTIMODAL_SYNC,
        async_path=_MULTIMODAL_ASYNC,
        prompt_max_chars=5000,
        images=_WAN27_IMAGES,
        size=SizeRules(
            presets=presets,
            default="2K",
            text_to_image_only_presets=frozenset({"4K"}) if four_k else frozenset(),
            custom_pixels={
                Mode.TEXT_TO_IMAGE: IntRange(768 * 768, text_to_image_hi),
                Mode.OTHER: IntRange(768 * 768, 2048 * 2048),
            },
            custom_max_aspect=8,
        ),
        n=IntRange(1, 4),
        n_default=4,
        n_sequential=IntRange(1, 12),
        n_sequential_default=12,
        max_boxes_per_image=2,
        palette=_WAN27_PALETTE,
        supports_thinking_mode=True,
        supports_watermark=True,
        typical_seconds=typical,
        # Reference: 004 — international prices. No Beijing figure is given.
        unit_prices={"singapore": Decimal(price)},
        documents="002",
    )


# Reference: https://www.alibabacloud.com/help/en/model-studio/qwen-image-edit-api — the
# "size" of qwen-image-edit-max and -plus: width and height each 512–2048 px (seed 004 gives a
# total of 512*512 to 2048*2048 for all); qwen-image-2.0 and -pro keep that total.
_QWEN_EDIT_SIDE = IntRange(512, 2048)
# Qwen's tokenizer spends about one token on a Chinese character and one on every four or so
# letters of English: past this many characters a token limit is surely exceeded.
_CHARS_PER_TOKEN_AT_MOST = 4


def _qwen_edit(
    name: str,
    label: str,
    description: str,
    *,
    text_to_image: bool,
    size: SizeRules | None,
    n_max: int | None,
    prompt_extend: bool = True,
    prompt_tokens: int | None = None,
) -> ModelCapabilities:
    # Reference: 004, "Qwen Image series" editing models: messages like wan2.6-image, 1–3
    # references (qwen-image-2.0 and -pro also pure text), n 1–6, default size 1024*1024;
    # synchronous. The public edit reference (qwen-image-edit-api, above) for what differs.
    return ModelCapabilities(
        name=name,
        label=label,
        family="qwen-image",
        description=description,
        body_shape=BodyShape.MESSAGES,
        sync_path=_MULTIMODAL_SYNC,
        async_path=None,
        # Reference: qwen-image-edit-api (above) — text: at most 800 characters, the excess is
        # cut; qwen-image-2.0 counts 1,300 tokens instead (see prompt_tokens).
        prompt_max_chars=prompt_tokens * _CHARS_PER_TOKEN_AT_MOST if prompt_tokens else 800,
        prompt_max_tokens=prompt_tokens,
        images=_qwen_images(IntRange(0 if text_to_image else 1, 3)),
        size=size,
        n=IntRange(1, n_max) if n_max else None,
        n_default=1,
        typical_seconds=15.0,
        negative_prompt_max_chars=500,
        supports_prompt_extend=prompt_extend,
        # Without a size the image keeps the last reference's aspect at about 1024*1024 pixels,
        # as the edit reference (above) says of an omitted size.
        output_pixels=None if size is not None else 1024 * 1024,
        documents="004, qwen-image-edit-api",
    )


def _qwen_total_size() -> SizeRules:
    # Reference: 004 — "Total pixels 512×512–2048×2048", default 1024*1024 (qwen-image-2.0, -pro).
    return SizeRules(
        default="1024*1024",
        custom_pixels={mode: IntRange(512 * 512, 2048 * 2048) for mode in (Mode.TEXT_TO_IMAGE, Mode.OTHER)},
        custom_max_aspect=None,
    )


def _qwen_side_size() -> SizeRules:
    return SizeRules(
        default="1024*1024",
        custom_side=_QWEN_EDIT_SIDE,
        custom_pixels=_per_side(_QWEN_EDIT_SIDE, Mode.TEXT_TO_IMAGE, Mode.OTHER),
        custom_max_aspect=None,
    )


# Reference: https://www.alibabacloud.com/help/en/model-studio/qwen-image-api (Qwen
# text-to-image API reference; the seeds' 004 says "async text2image only, n 1–4, default
# 1328*1328", which it contradicts). Every model takes the synchronous multimodal-generation call
# with a messages body; only qwen-image-plus and qwen-image also take the asynchronous text2image
# call with input.prompt (also https://docs.qwencloud.com/api-reference/image-generation/
# qwen-text-to-image-async: "supported only by qwen-image-plus and qwen-image. All other models
# use the synchronous API"). n "is fixed at 1; setting another value causes an error"; default
# size 1664*928; five fixed sizes; prompt up to 800 characters, negative prompt 500.
#
# qwen-image-max therefore goes synchronously. qwen-image-plus keeps its asynchronous call, which
# the same reference documents for it: a task survives a crash of the studio (an interrupted
# submission is found again in the provider's task list), while a lost synchronous answer leaves
# nothing to look up and waits for a person. The table holds one call per model, so the emulator
# refuses a synchronous qwen-image-plus call that the service would take; the studio never sends one.
_QWEN_FIXED_SIZES = ("1664*928", "1472*1104", "1328*1328", "1104*1472", "928*1664")


def _qwen_text_to_image(name: str, label: str, *, asynchronous: bool) -> ModelCapabilities:
    return ModelCapabilities(
        name=name,
        label=label,
        family="qwen-image",
        description="Fixed sizes, one image per request.",
        body_shape=BodyShape.PROMPT if asynchronous else BodyShape.MESSAGES,
        sync_path=None if asynchronous else _MULTIMODAL_SYNC,
        async_path=_TEXT2IMAGE if asynchronous else None,
        prompt_max_chars=800,
        images=_NO_IMAGES,
        size=SizeRules(
            default="1664*928",
            custom_pixels={Mode.TEXT_TO_IMAGE: IntRange(928 * 1664, 1328 * 1328)},
            custom_max_aspect=None,
            fixed=_QWEN_FIXED_SIZES,
        ),
        n=IntRange(1, 1),
        n_default=1,
        typical_seconds=15.0,
        negative_prompt_max_chars=500,
        supports_prompt_extend=True,
        documents="qwen-image-api",
    )


# Reference: https://www.alibabacloud.com/help/en/model-studio/text-to-image-v2-api-reference
# (Wan text-to-image V2; seed 004 names the model only): wan2.2-t2i-flash takes "W*H" with
# "both width and height between 512 and 1440 pixels" (so at most 1440*1440, about 2
# megapixels), default 1024*1024; n 1–4, default 4; prompt up to 800 characters, the excess cut.
_FLASH_SIDE = IntRange(512, 1440)
_WAN22_FLASH = ModelCapabilities(
    name="wan2.2-t2i-flash",
    label="Wan2.2 T2I Flash",
    family="wan2.2",
    description="Fastest, cheapest drafts.",
    body_shape=BodyShape.PROMPT,
    sync_path=None,
    async_path=_TEXT2IMAGE,
    prompt_max_chars=800,
    images=_NO_IMAGES,
    size=SizeRules(
        default="1024*1024",
        custom_side=_FLASH_SIDE,
        custom_pixels=_per_side(_FLASH_SIDE, Mode.TEXT_TO_IMAGE),
        custom_max_aspect=None,
    ),
    n=IntRange(1, 4),
    n_default=4,
    typical_seconds=5.0,
    negative_prompt_max_chars=500,
    supports_prompt_extend=True,
    documents="004, text-to-image-v2-api-reference",
)


MODELS: dict[str, ModelCapabilities] = {
    caps.name: caps
    for caps in (
        _wan27(
            "wan2.7-image-pro",
            "Wan2.7 Image Pro",
            "Professional edition; 4K for text-to-image.",
            four_k=True,
            typical=25.0,
            price="0.075",
        ),
        _wan27("wan2.7-image", "Wan2.7 Image", "Faster generation; up to 2K.", four_k=False, typical=15.0, price="0.03"),
        ModelCapabilities(
            name="wan2.6-image",
            label="Wan2.6 Image",
            family="wan2.6",
            description="Editing with 1–4 references, or interleaved text and images.",
            body_shape=BodyShape.MESSAGES,
            # Reference: 004 — sync for editing only; interleave needs async (the studio polls).
            sync_path=_MULTIMODAL_SYNC,
            async_path=_MULTIMODAL_ASYNC,
            # Reference: 004, "Prompt length limit" — 2,000 characters for wan2.6-image.
            prompt_max_chars=2000,
            images=_WAN26_IMAGES,
            # Reference: 004 — editing: 1K (default) or 2K or W*H with [768², 2048²] pixels;
            # interleave: W*H with [768², 1280²]; 000 — aspect 1:4 to 4:1.
            size=SizeRules(
                presets={"1K": 1280 * 1280, "2K": 2048 * 2048},
                default="1K",
                custom_pixels={
                    Mode.OTHER: IntRange(768 * 768, 2048 * 2048),
                    Mode.INTERLEAVE: IntRange(768 * 768, 1280 * 1280),
                },
                custom_max_aspect=4,
                preset_modes=frozenset({Mode.OTHER}),
            ),
            n=IntRange(1, 4),
            n_default=4,
            typical_seconds=20.0,
            negative_prompt_max_chars=500,
            supports_prompt_extend=True,
            interleave=InterleaveRules(images=IntRange(0, 1), max_images=IntRange(1, 5), max_images_default=5),
            documents="004, 000",
        ),
        ModelCapabilities(
            name="wan2.6-t2i",
            label="Wan2.6 Text to Image",
            family="wan2.6",
            description="Dedicated text-to-image; no references.",
            body_shape=BodyShape.MESSAGES,
            sync_path=_MULTIMODAL_SYNC,
            async_path=_MULTIMODAL_ASYNC,
            # Reference: 004, "Prompt length limit" — 2,100 characters for wan2.6-t2i.
            prompt_max_chars=2100,
            images=_NO_IMAGES,
            # Reference: 004 — default 1280*1280; total [1280², 1440²]; aspect 1:4 to 4:1. The
            # same document recommends 1472*1104 and 1696*960, just under 1280²: the lower bound
            # is the smallest recommended size, so every size the document suggests is taken.
            size=SizeRules(
                default="1280*1280",
                custom_pixels={Mode.TEXT_TO_IMAGE: IntRange(1472 * 1104, 1440 * 1440)},
                custom_max_aspect=4,
            ),
            n=IntRange(1, 4),
            n_default=4,
            typical_seconds=15.0,
            negative_prompt_max_chars=500,
            supports_prompt_extend=True,
            documents="004",
        ),
        _WAN22_FLASH,
        ModelCapabilities(
            name="wan2.5-i2i-preview",
            label="Wan2.5 Image to Image (preview)",
            family="wan2.5",
            description="Editing and fusion of 1–3 images; shows the rewritten prompt.",
            body_shape=BodyShape.PROMPT,
            sync_path=None,
            async_path=_IMAGE2IMAGE,
            # Reference: 000, limits table — 2,000 characters.
            prompt_max_chars=2000,
            images=_WAN25_IMAGES,
            # Reference: 000 — W*H only, [768*768, 1280*1280] pixels, 1:4 to 4:1; without a
            # size the output follows the (last) input image's aspect at about 1280*1280.
            size=SizeRules(
                default="1280*1280",
                custom_pixels={Mode.OTHER: IntRange(768 * 768, 1280 * 1280)},
                custom_max_aspect=4,
                follows_input_aspect=True,
            ),
            n=IntRange(1, 4),
            n_default=4,
            typical_seconds=45.0,
            negative_prompt_max_chars=500,
            supports_prompt_extend=True,
            documents="003, 000",
        ),
        ModelCapabilities(
            name="wanx2.1-imageedit",
            label="Wanx2.1 Image Edit",
            family="wanx2.1",
            description="Ten editing functions, including mask inpainting and outpainting. Beijing only.",
            body_shape=BodyShape.IMAGE_EDIT,
            sync_path=None,
            async_path=_IMAGE2IMAGE,
            # Not in the documents; the studio's limit (the public API reference's 800).
            prompt_max_chars=800,
            images=_WANX21_IMAGES,
            size=None,
            n=IntRange(1, 4),
            n_default=1,
            typical_seconds=12.0,
            # Reference: 001, "Pricing" (Beijing) — $0.020070/image.
            unit_prices={"beijing": Decimal("0.020070")},
            image_edit=_WANX21_EDIT,
            regions=_BEIJING,
            prompt_optional=True,
            # Reference: 001, "Pricing" — RPS limit for task submission 2, concurrent tasks 2.
            submits_per_second=2.0,
            concurrent_tasks=2,
            documents="001",
        ),
        _qwen_edit(
            "qwen-image-2.0-pro",
            "Qwen-Image 2.0 Pro",
            "Best text rendering; text-to-image or editing with 1–3 references.",
            text_to_image=True,
            size=_qwen_total_size(),
            n_max=6,
        ),
        _qwen_edit(
            "qwen-image-2.0",
            "Qwen-Image 2.0",
            "Text-to-image or editing with 1–3 references; long prompts.",
            text_to_image=True,
            size=_qwen_total_size(),
            n_max=6,
            # Reference: https://www.alibabacloud.com/help/en/model-studio/qwen-image-generation-and-editing-api-reference
            # — qwen-image-2.0 reads prompts of up to 1,300 tokens (the others 800 characters)
            # and cuts the rest.
            prompt_tokens=1300,
        ),
        _qwen_edit(
            "qwen-image-edit-max",
            "Qwen-Image Edit Max",
            "Precise text and element editing, 1–3 references.",
            text_to_image=False,
            size=_qwen_side_size(),
            n_max=6,
        ),
        _qwen_edit(
            "qwen-image-edit-plus",
            "Qwen-Image Edit Plus",
            "Text and element editing, 1–3 references.",
            text_to_image=False,
            size=_qwen_side_size(),
            n_max=6,
        ),
        # Reference: qwen-image-edit-api (above) — size, prompt_extend and n (1–6) belong to
        # qwen-image-edit-max and -plus; qwen-image-edit makes one image whose shape follows
        # the last reference, so none of the three is sent.
        _qwen_edit(
            "qwen-image-edit",
            "Qwen-Image Edit",
            "Editing with 1–3 references; one image, shaped like the last reference.",
            text_to_image=False,
            size=None,
            n_max=None,
            prompt_extend=False,
        ),
        _qwen_text_to_image("qwen-image-plus", "Qwen-Image Plus", asynchronous=True),
        _qwen_text_to_image("qwen-image-max", "Qwen-Image Max", asynchronous=False),
        ModelCapabilities(
            name="z-image-turbo",
            label="Z-Image Turbo",
            family="z-image",
            description="Fast, low-cost text-to-image; one image per request.",
            body_shape=BodyShape.MESSAGES,
            # Reference: 004 — "Sync-only ... async invocation is not supported."
            sync_path=_MULTIMODAL_SYNC,
            async_path=None,
            # Not in the documents; the studio's limit (the public reference's 800).
            prompt_max_chars=800,
            images=_NO_IMAGES,
            # Reference: 004 — default 1024*1024 (common: 1024*1024, 1280*720, 720*1280); no
            # range is documented, so the studio takes 512*512 to 2048*2048 pixels.
            size=SizeRules(
                default="1024*1024",
                custom_pixels={Mode.TEXT_TO_IMAGE: IntRange(512 * 512, 2048 * 2048)},
                custom_max_aspect=None,
            ),
            # Reference: 004 — "No n parameter ... the server returns 400 if n is provided".
            n=None,
            n_default=1,
            supports_watermark=False,
            typical_seconds=3.0,
            supports_prompt_extend=True,
            documents="004",
        ),
    )
}

DEFAULT_MODEL = "wan2.7-image-pro"


class UnknownModel(KeyError):
    pass


def get_model(name: str) -> ModelCapabilities:
    try:
        return MODELS[name]
    except KeyError:
        raise UnknownModel(name) from None


# Reference: 002, "Status transitions during polling" and the task_status enumeration; the
# official SDK (dashscope 2.x, dashscope/common/constants.py TaskStatus) adds SUSPENDED, and its
# wait() (dashscope/client/base_api.py) stops only on SUCCEEDED, FAILED, CANCELED and UNKNOWN:
# a suspended task is still alive and is polled again.
TASK_STATUSES = ("PENDING", "RUNNING", "SUSPENDED", "SUCCEEDED", "FAILED", "CANCELED", "UNKNOWN")
TERMINAL_TASK_STATUSES = frozenset({"SUCCEEDED", "FAILED", "CANCELED", "UNKNOWN"})
# Reference: 002 — task ids and result URLs are kept for 24 hours.
RESULT_TTL_SECONDS = 24 * 60 * 60
# Not in the seeds. Reference: "Asynchronous task management API",
# https://www.alibabacloud.com/help/en/model-studio/manage-asynchronous-tasks (Chinese original:
# https://help.aliyun.com/zh/model-studio/developer-reference/manage-asynchronous-tasks) — task
# queries (single task and task list) are limited to 20 a second per Alibaba Cloud account; the
# task list answers at most 24 hours between start_time and end_time (the last 24 hours when
# neither is given) and 10 rows a page by default (no maximum page_size is documented).
TASK_QUERIES_PER_SECOND = 20
TASK_LIST_MAX_SPAN_SECONDS = 24 * 60 * 60
TASK_LIST_DEFAULT_PAGE_SIZE = 10

# Reference: 003, "Network access configuration" — the OSS hosts result images come from.
RESULT_HOSTS = (
    "dashscope-result-bj.oss-cn-beijing.aliyuncs.com",
    "dashscope-result-hz.oss-cn-hangzhou.aliyuncs.com",
    "dashscope-result-sh.oss-cn-shanghai.aliyuncs.com",
    "dashscope-result-wlcb.oss-cn-wulanchabu.aliyuncs.com",
    "dashscope-result-zjk.oss-cn-zhangjiakou.aliyuncs.com",
    "dashscope-result-sz.oss-cn-shenzhen.aliyuncs.com",
    "dashscope-result-hy.oss-cn-heyuan.aliyuncs.com",
    "dashscope-result-cd.oss-cn-chengdu.aliyuncs.com",
    "dashscope-result-gz.oss-cn-guangzhou.aliyuncs.com",
    "dashscope-result-wlcb-acdr-1.oss-cn-wulanchabu-acdr-1.aliyuncs.com",
)

# Reference: 002, "Prerequisites" — separate endpoints (and API keys) per region.
REGION_BASE_URLS = {
    "singapore": "https://dashscope-intl.aliyuncs.com/api/v1",
    "beijing": "https://dashscope.aliyuncs.com/api/v1",
}


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
        total = rules.default_pixels()
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
