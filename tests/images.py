"""Solid-colour test images, made one way: the bytes, a data URL, or a named upload."""

from __future__ import annotations

import base64
import io

from PIL import Image


def png_bytes(width: int, height: int, colour: str = "#3366aa") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


def png_data_url(width: int, height: int, colour: str = "#3366aa") -> str:
    """A solid-colour PNG as a data:image/png;base64 URL."""
    return "data:image/png;base64," + base64.b64encode(png_bytes(width, height, colour)).decode("ascii")


def png_upload(name: str, width: int, height: int, colour: str = "#3366aa") -> io.BytesIO:
    """A PNG file as the test client posts it (a named file object)."""
    upload = io.BytesIO(png_bytes(width, height, colour))
    upload.name = name
    return upload
