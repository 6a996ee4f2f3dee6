"""Generated hostile inputs: damaged images of every accepted format, chunk bombs, odd digits.

Nothing here is hand-picked per test: each class is made from a valid file by a rule (cut it
short, flip bytes with a seeded generator, grow a compressed chunk), so a new format or a new
seed widens the net without new code.
"""

from __future__ import annotations

import io
import random
import struct
import zlib

from PIL import Image

# Every format some model accepts for a reference (wanx2.1 adds TIFF).
FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "TIFF")
SIZE = (300, 260)

# "²".isdigit() and "٣".isdigit() are true; int("²") raises and int("٣") is 3.
ODD_DIGITS = ("²", "٣", "５", "1²", "-1", "1e3", "0x10", "１２", "1 2")
# Past a 64-bit integer (SQLite and PostgreSQL both stop there) and past a timedelta.
HUGE = ("99999999999999999999999", str(10**23), "9223372036854775808")


def valid(fmt: str, size: tuple[int, int] = SIZE) -> bytes:
    image = Image.new("RGB", size)
    # A gradient, so a flipped byte lands in real compressed data rather than in a flat run.
    image.putdata([(x % 256, y % 256, (x * y) % 256) for y in range(size[1]) for x in range(size[0])])
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def truncations(data: bytes) -> dict[str, bytes]:
    """The file cut inside its header and part-way through its pixels."""
    return {f"first {n} bytes": data[:n] for n in (8, 20, 60, 100, len(data) // 2, len(data) * 3 // 4)}


def mutations(data: bytes, seed: int, count: int) -> list[bytes]:
    """`count` copies of `data`, each with 1–8 random bytes replaced (and sometimes cut short)."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        mutated = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            mutated[rng.randrange(len(mutated))] = rng.randrange(256)
        if rng.random() < 0.25:
            mutated = mutated[: rng.randrange(16, len(mutated))]
        out.append(bytes(mutated))
    return out


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_with_chunk(kind: bytes, body: bytes, *, base: bytes | None = None) -> bytes:
    """A valid PNG with one more chunk right after IHDR."""
    data = base or valid("PNG")
    after_ihdr = 8 + 8 + 13 + 4
    return data[:after_ihdr] + _chunk(kind, body) + data[after_ihdr:]


def chunk_bombs() -> dict[str, bytes]:
    """PNG text and ICC chunks that inflate past Pillow's 1 MB text limit (from a few KB)."""
    inflating = zlib.compress(b"\0" * (4 * 1024 * 1024), 9)
    return {
        "zTXt bomb": png_with_chunk(b"zTXt", b"Comment\0\0" + inflating),
        "iCCP bomb": png_with_chunk(b"iCCP", b"profile\0\0" + inflating),
        "iTXt bomb": png_with_chunk(b"iTXt", b"Comment\0\1\0\0\0" + inflating),
    }


def broken_headers() -> dict[str, bytes]:
    png = valid("PNG")
    ihdr12 = png[:8] + _chunk(b"IHDR", png[16:28]) + png[33:]
    bmp = bytearray(valid("BMP"))
    bmp[14:18] = struct.pack("<I", 200)  # a DIB header size no BMP version has
    return {"PNG with a 12-byte IHDR": ihdr12, "BMP with a bad header": bytes(bmp)}
