"""The protocol's image inspection, for the web apps (arrows point down only: the editor reads
uploads through the pipeline, never studio.wan directly).

What an image really is (decided from its bytes, never its name), whether its shape fits a
model's limits, and what a reference advises against without refusing.
"""

from __future__ import annotations

from studio.wan.images import (
    PIXEL_BOUND,
    ImageDecodeError,
    aspect_within,
    format_aspect,
    inspect_image,
    side_advice,
)

__all__ = ["PIXEL_BOUND", "ImageDecodeError", "aspect_within", "format_aspect", "inspect_image", "side_advice"]
