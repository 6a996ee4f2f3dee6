"""Every documented limit of the image models, written once.

The validator, the request builder, the emulator, the forms, the templates and the
JavaScript widgets all read their numbers from this table; nothing else in the code base
spells out 9, 2, 5000 or 768*768.

Reference: ../shared/seeds/002_e63ba47cef0cee16.txt (Wan2.7 image generation and editing API
reference) for every wan2.7 figure; 004_506a2e5c379f57c5.txt for prices.

Later model families (wan2.6-image, wan2.5-i2i-preview, wanx2.1-imageedit, qwen-image-*) are
added as more `ModelCapabilities` entries plus an adapter naming their endpoint and body shape.
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


class Mode(StrEnum):
    """What the reference calls the scenarios whose size rules differ."""

    # No image input and not an image set: the only scenario that takes 4K on wan2.7-image-pro.
    TEXT_TO_IMAGE = "text_to_image"
    # Everything else: image editing, image sets with or without input images.
    OTHER = "other"


def mode_for(*, image_count: int, sequential: bool) -> Mode:
    # Reference: 002, size: "Text-to-image (no image input, not generating an image set)".
    return Mode.TEXT_TO_IMAGE if image_count == 0 and not sequential else Mode.OTHER


@dataclass(frozen=True)
class ImageLimits:
    """Limits on each input image."""

    # Pillow format names decided from the decoded content, with the MIME type each must carry.
    formats: dict[str, str]
    side: IntRange
    # The aspect ratio may be at most 1:max_aspect or max_aspect:1.
    max_aspect: int
    max_bytes: int
    alpha_allowed: bool
    count: IntRange

    @property
    def mime_types(self) -> frozenset[str]:
        return frozenset(self.formats.values())

    def describe_formats(self) -> str:
        return ", ".join(sorted(self.formats))


@dataclass(frozen=True)
class SizeRules:
    """The two mutually exclusive ways to ask for an output size."""

    # Method 1: preset name -> total pixels (1K means 1024*1024).
    presets: dict[str, int]
    default_preset: str
    # Presets allowed only in text-to-image mode.
    text_to_image_only_presets: frozenset[str]
    # Method 2: "W*H"; allowed total pixels per mode, and the aspect limit (1:8 to 8:1).
    custom_pixels: dict[Mode, IntRange]
    custom_max_aspect: int
    # Output pixels may differ slightly from what was asked (reference: "may differ slightly").
    # The emulator rounds sides to this multiple; checks allow this relative tolerance.
    side_multiple: int = 16
    tolerance: float = 0.05

    def presets_for(self, mode: Mode) -> list[str]:
        return [
            name
            for name in self.presets
            if mode is Mode.TEXT_TO_IMAGE or name not in self.text_to_image_only_presets
        ]


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
class ModelCapabilities:
    name: str
    label: str
    family: str
    description: str
    # Which adapter builds the body and parses the answer (see studio.wan.request).
    adapter: str
    sync_path: str | None
    async_path: str | None
    prompt_max_chars: int
    images: ImageLimits
    size: SizeRules
    n: IntRange
    n_default: int
    n_sequential: IntRange | None
    n_sequential_default: int | None
    seed: IntRange
    max_boxes_per_image: int | None
    palette: PaletteRules | None
    supports_thinking_mode: bool
    supports_watermark: bool
    # The provider's usual time to finish one task, used to poll first what is most likely done.
    typical_seconds: float
    # Unit price per successfully generated image, by region; None where the documents give none.
    unit_prices: dict[str, Decimal] = field(default_factory=dict)
    currency: str = "USD"

    @property
    def supports_sequential(self) -> bool:
        return self.n_sequential is not None

    @property
    def supports_bbox(self) -> bool:
        return self.max_boxes_per_image is not None

    def n_range(self, *, sequential: bool) -> IntRange:
        if sequential and self.n_sequential is not None:
            return self.n_sequential
        return self.n

    def default_n(self, *, sequential: bool) -> int:
        if sequential and self.n_sequential_default is not None:
            return self.n_sequential_default
        return self.n_default

    def max_images_billed(self, *, n: int | None, sequential: bool) -> int:
        """The most images one request can be billed for (n, or its default)."""
        return n if n is not None else self.default_n(sequential=sequential)

    def to_json(self) -> dict[str, object]:
        """The limits a browser widget needs, for a data attribute or json_script."""
        return {
            "name": self.name,
            "label": self.label,
            "promptMaxChars": self.prompt_max_chars,
            "maxImages": self.images.count.hi,
            "imageSide": [self.images.side.lo, self.images.side.hi],
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
            "sizePresets": {mode.value: self.size.presets_for(mode) for mode in Mode},
            "defaultPreset": self.size.default_preset,
            "customPixels": {
                mode.value: [r.lo, r.hi] for mode, r in self.size.custom_pixels.items()
            },
            "customMaxAspect": self.size.custom_max_aspect,
            "n": [self.n.lo, self.n.hi, self.n_default],
            "nSequential": None
            if self.n_sequential is None
            else [self.n_sequential.lo, self.n_sequential.hi, self.n_sequential_default],
            "seed": [self.seed.lo, self.seed.hi],
            "thinkingMode": self.supports_thinking_mode,
            "watermark": self.supports_watermark,
            "unitPrices": {region: str(price) for region, price in self.unit_prices.items()},
            "currency": self.currency,
        }


# Reference: 002, "Image limits" — JPEG, JPG, PNG (alpha channel not supported), BMP, WEBP;
# [240, 8000] px per side; aspect [1:8, 8:1]; at most 20 MB; 0 to 9 images.
# Reference: 000, "Image input methods" — the MIME type of each format.
_WAN27_IMAGES = ImageLimits(
    formats={"JPEG": "image/jpeg", "PNG": "image/png", "BMP": "image/bmp", "WEBP": "image/webp"},
    side=IntRange(240, 8000),
    max_aspect=8,
    max_bytes=20 * 1024 * 1024,
    alpha_allowed=False,
    count=IntRange(0, 9),
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

# Reference: 002, seed — [0, 2147483647].
_SEED = IntRange(0, 2147483647)

MODELS: dict[str, ModelCapabilities] = {
    caps.name: caps
    for caps in (
        ModelCapabilities(
            name="wan2.7-image-pro",
            label="Wan2.7 Image Pro",
            family="wan2.7",
            description="Professional edition; 4K for text-to-image.",
            adapter="multimodal",
            sync_path="/services/aigc/multimodal-generation/generation",
            async_path="/services/aigc/image-generation/generation",
            prompt_max_chars=5000,
            images=_WAN27_IMAGES,
            size=SizeRules(
                presets=dict(_PRESETS),
                default_preset="2K",
                text_to_image_only_presets=frozenset({"4K"}),
                custom_pixels={
                    Mode.TEXT_TO_IMAGE: IntRange(768 * 768, 4096 * 4096),
                    Mode.OTHER: IntRange(768 * 768, 2048 * 2048),
                },
                custom_max_aspect=8,
            ),
            n=IntRange(1, 4),
            n_default=4,
            n_sequential=IntRange(1, 12),
            n_sequential_default=12,
            seed=_SEED,
            max_boxes_per_image=2,
            palette=_WAN27_PALETTE,
            supports_thinking_mode=True,
            supports_watermark=True,
            typical_seconds=25.0,
            # Reference: 004 — $0.075/image (international). No Beijing figure is given.
            unit_prices={"singapore": Decimal("0.075")},
        ),
        ModelCapabilities(
            name="wan2.7-image",
            label="Wan2.7 Image",
            family="wan2.7",
            description="Faster generation; up to 2K.",
            adapter="multimodal",
            sync_path="/services/aigc/multimodal-generation/generation",
            async_path="/services/aigc/image-generation/generation",
            prompt_max_chars=5000,
            images=_WAN27_IMAGES,
            size=SizeRules(
                presets={"1K": _PRESETS["1K"], "2K": _PRESETS["2K"]},
                default_preset="2K",
                text_to_image_only_presets=frozenset(),
                custom_pixels={
                    Mode.TEXT_TO_IMAGE: IntRange(768 * 768, 2048 * 2048),
                    Mode.OTHER: IntRange(768 * 768, 2048 * 2048),
                },
                custom_max_aspect=8,
            ),
            n=IntRange(1, 4),
            n_default=4,
            n_sequential=IntRange(1, 12),
            n_sequential_default=12,
            seed=_SEED,
            max_boxes_per_image=2,
            palette=_WAN27_PALETTE,
            supports_thinking_mode=True,
            supports_watermark=True,
            typical_seconds=15.0,
            # Reference: 004 — $0.03/image (international).
            unit_prices={"singapore": Decimal("0.03")},
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


# Reference: 002, "Status transitions during polling" and the task_status enumeration.
TASK_STATUSES = ("PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELED", "UNKNOWN")
TERMINAL_TASK_STATUSES = frozenset({"SUCCEEDED", "FAILED", "CANCELED", "UNKNOWN"})
# Reference: 002 — task ids and result URLs are kept for 24 hours.
RESULT_TTL_SECONDS = 24 * 60 * 60

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
    size = size or caps.size.default_preset
    custom = parse_size(size)
    if custom is not None:
        return custom
    total = caps.size.presets[size]
    if last_image is None:
        side = math.isqrt(total)
        return side, side
    w, h = last_image
    ratio = w / h
    step = caps.size.side_multiple
    out_w = max(step, round(math.sqrt(total * ratio) / step) * step)
    out_h = max(step, round(math.sqrt(total / ratio) / step) * step)
    return out_w, out_h


def within_tolerance(caps: ModelCapabilities, asked: tuple[int, int], got: tuple[int, int]) -> bool:
    """Whether an output size is what was asked, allowing the documented slight difference."""
    tol = caps.size.tolerance
    return all(abs(g - a) <= max(caps.size.side_multiple, a * tol) for a, g in zip(asked, got))
