"""The limits a browser widget needs, as JSON (a data attribute or json_script)."""

from __future__ import annotations

from studio.wan.capabilities.schema import Mode, ModelCapabilities


def browser_limits(caps: ModelCapabilities) -> dict[str, object]:
    """The limits a browser widget needs, for a data attribute or json_script."""
    size = caps.size
    return {
        "name": caps.name,
        "label": caps.label,
        "promptMaxChars": caps.prompt_max_chars,
        "promptMaxTokens": caps.prompt_max_tokens,
        "maxImages": caps.images.count.hi,
        "imageSide": [caps.images.side.lo, caps.images.side.hi],
        "imageSideRecommended": None
        if caps.images.recommended_side is None
        else [caps.images.recommended_side.lo, caps.images.recommended_side.hi],
        "imageMaxAspect": caps.images.max_aspect,
        "imageMaxBytes": caps.images.max_bytes,
        "imageMimeTypes": sorted(caps.images.mime_types),
        "maxBoxesPerImage": caps.max_boxes_per_image or 0,
        "palette": None
        if caps.palette is None
        else {
            "min": caps.palette.count.lo,
            "max": caps.palette.count.hi,
            "recommended": caps.palette.recommended,
            "totalHundredths": caps.palette.total_hundredths,
        },
        "sizePresets": {mode.value: size.presets_for(mode) for mode in Mode} if size else {},
        "defaultSize": size.default if size else None,
        "customPixels": {mode.value: [r.lo, r.hi] for mode, r in size.custom_pixels.items()} if size else {},
        "customSide": [size.custom_side.lo, size.custom_side.hi] if size and size.custom_side else None,
        "customMaxAspect": size.custom_max_aspect if size else None,
        "n": None if caps.n is None else [caps.n.lo, caps.n.hi, caps.n_default],
        "nSequential": None
        if caps.n_sequential is None
        else [caps.n_sequential.lo, caps.n_sequential.hi, caps.n_sequential_default],
        "seed": [caps.seed.lo, caps.seed.hi],
        "thinkingMode": caps.supports_thinking_mode,
        "watermark": caps.supports_watermark,
        "negativePromptMaxChars": caps.negative_prompt_max_chars,
        "promptExtend": caps.supports_prompt_extend,
        "interleave": None
        if caps.interleave is None
        else {"maxImages": [caps.interleave.max_images.lo, caps.interleave.max_images.hi]},
        "editFunctions": sorted(caps.image_edit.functions) if caps.image_edit else [],
        "regions": sorted(caps.regions),
        "unitPrices": {region: str(price) for region, price in caps.unit_prices.items()},
        "currency": caps.currency,
    }
