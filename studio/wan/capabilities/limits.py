"""The building blocks model entries share: image formats and limits, the palette, the image
edit functions and the size presets (references beside each)."""

from __future__ import annotations

from studio.wan.capabilities.schema import (
    EditFunction,
    FloatRange,
    ImageEditRules,
    ImageLimits,
    IntRange,
    PaletteRules,
)
from studio.wan.marks import gettext_noop

# Reference: 000, "Image input methods" — the MIME type of each format.
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "BMP": "image/bmp", "WEBP": "image/webp"}
# Reference: 004, qwen-image editing models — "JPG, JPEG, PNG, BMP, TIFF, WEBP, GIF".
QWEN_FORMATS = {**FORMATS, "TIFF": "image/tiff", "GIF": "image/gif"}

# Reference: 002, "Image limits" — JPEG, JPG, PNG (alpha channel not supported), BMP, WEBP;
# [240, 8000] px per side; aspect [1:8, 8:1]; at most 20 MB; 0 to 9 images.
WAN27_IMAGES = ImageLimits(
    formats=FORMATS,
    side=IntRange(240, 8000),
    max_aspect=8,
    max_bytes=20 * 1024 * 1024,
    alpha_allowed=False,
    count=IntRange(0, 9),
)

# Reference: 000, limits table — Wan2.6: 4 images, 240–8,000 px, 10 MB; 004: PNG without alpha.
# The aspect of inputs is not limited in the documents; 1:8 to 8:1 is wan2.7's, kept as a guard.
WAN26_IMAGES = ImageLimits(
    formats=FORMATS,
    side=IntRange(240, 8000),
    max_aspect=8,
    max_bytes=10 * 1024 * 1024,
    alpha_allowed=False,
    count=IntRange(1, 4),
)

# Reference: 000 and 003 — Wan2.5: 1–3 images, 384–5,000 px, 10 MB, "alpha channels are ignored".
WAN25_IMAGES = ImageLimits(
    formats=FORMATS,
    side=IntRange(384, 5000),
    max_aspect=None,
    max_bytes=10 * 1024 * 1024,
    alpha_allowed=True,
    count=IntRange(1, 3),
)


# The largest side any model of the family takes (wan2.7, 002). Where a reference gives sides
# only as advice, the studio refuses nothing smaller, which also bounds images.PIXEL_BOUND.
FAMILY_MAX_SIDE = 8000
# Reference: https://www.alibabacloud.com/help/en/model-studio/qwen-image-edit-api — input
# images: width and height 384–3072 px are recommended "for best results" (too small blurs, too
# large is slow); not a limit, unlike seed 004's "384–3072px per dimension". ≤10 MB, 1–3 images.
QWEN_RECOMMENDED_SIDE = IntRange(384, 3072)


def qwen_images(count: IntRange) -> ImageLimits:
    # Reference: 004 — "≤10MB per image. Max 3 images."; sides: see QWEN_RECOMMENDED_SIDE.
    return ImageLimits(
        formats=QWEN_FORMATS,
        side=IntRange(1, FAMILY_MAX_SIDE),
        max_aspect=None,
        max_bytes=10 * 1024 * 1024,
        alpha_allowed=True,
        count=count,
        recommended_side=QWEN_RECOMMENDED_SIDE,
    )


# Text-to-image models take no images at all (count 0–0; the other limits are never read).
NO_IMAGES = ImageLimits(
    formats=FORMATS, side=IntRange(1, 1), max_aspect=None, max_bytes=0, alpha_allowed=False, count=IntRange(0, 0)
)

# Reference: https://www.alibabacloud.com/help/en/model-studio/wanx-image-edit (General image
# editing - Wan2.1, base_image_url and mask_image_url; seed 001 gives no image limits): JPG,
# JPEG, PNG, BMP, TIFF, WEBP; width and height each 512–4096 px; at most 10 MB; one base image.
WANX21_FORMATS = {**FORMATS, "TIFF": "image/tiff"}
WANX21_IMAGES = ImageLimits(
    formats=WANX21_FORMATS,
    side=IntRange(512, 4096),
    max_aspect=None,
    max_bytes=10 * 1024 * 1024,
    alpha_allowed=True,
    count=IntRange(1, 1),
)

# Reference: 002, color_palette — 3 to 10 colours (8 recommended), "#C2D1E6", "23.51%", sum 100.00%.
WAN27_PALETTE = PaletteRules(
    count=IntRange(3, 10),
    recommended=8,
    hex_pattern=r"^#[0-9A-Fa-f]{6}$",
    ratio_pattern=r"^(\d{1,3})\.(\d{2})%$",
    total_hundredths=10000,
)

PRESETS = {"1K": 1024 * 1024, "2K": 2048 * 2048, "4K": 4096 * 4096}

BEIJING = frozenset({"beijing"})

# Reference: 001, "Key features" — the ten functions and their paired parameters.
WANX21_EDIT = ImageEditRules(
    functions={
        f.name: f
        for f in (
            EditFunction("stylization_all", gettext_noop("Global stylization"), takes_strength=True),
            EditFunction(
                "stylization_local",
                gettext_noop("Local stylization"),
                styles={
                    "ice": gettext_noop("Ice sculpture"),
                    "cloud": gettext_noop("Cloud"),
                    "chinese festive lantern": gettext_noop("Chinese festive lantern"),
                    "wooden": gettext_noop("Plank"),
                    "blue and white porcelain": gettext_noop("Blue and white porcelain"),
                    "fluffy": gettext_noop("Fluffy"),
                    "weaving": gettext_noop("Yarn"),
                    "balloon": gettext_noop("Balloon"),
                },
            ),
            EditFunction("description_edit", gettext_noop("Instruction-based editing"), takes_strength=True),
            EditFunction("description_edit_with_mask", gettext_noop("Local inpainting (mask)"), needs_mask=True),
            EditFunction("remove_watermark", gettext_noop("Text and watermark removal")),
            EditFunction("expand", gettext_noop("Outpainting"), takes_expand=True),
            EditFunction("super_resolution", gettext_noop("Super resolution"), takes_upscale=True),
            EditFunction("colorization", gettext_noop("Colorization")),
            EditFunction("doodle", gettext_noop("Line art / doodle to image"), takes_sketch=True),
            EditFunction("control_cartoon_feature", gettext_noop("Reference cartoon character")),
        )
    },
    strength=FloatRange(0.0, 1.0),
    strength_default=0.5,
    # Reference: 001 gives the example 1.5 but no range; 1.0–2.0 is the studio's limit (the
    # public API reference's), so a scale below 1 (a crop) is never sent.
    scale=FloatRange(1.0, 2.0),
    upscale_factor=IntRange(1, 4),
    # The mask takes the base image's formats and limits (see WANX21_IMAGES).
    mask_formats=WANX21_FORMATS,
)

