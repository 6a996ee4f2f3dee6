"""Reading a form-encoded body too large for Django without holding it: which fields are large.

Django refuses a form-encoded body over DATA_UPLOAD_MAX_MEMORY_SIZE with a bare "Bad Request"
that names nothing. The editor sends its fields form-encoded (htmx), so a pasted 3 MB prompt
would be refused without saying that the prompt is what is too long. This streams the body,
keeps the fields of a sensible size and only measures the others.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import unquote_plus

# A field value longer than this (as sent, percent-encoded) is measured, not kept. Every editor
# field is far below it: the longest prompt any model takes is a few thousand characters.
FIELD_KEEP_BYTES = 256 * 1024
# Field names are short; one longer than this is not one of ours and is cut when reported.
_NAME_BYTES = 200


@dataclass(frozen=True)
class LargeField:
    name: str
    size: int  # bytes as sent, percent-encoded


@dataclass
class ScannedForm:
    kept: list[bytes] = field(default_factory=list)  # "name=value" pairs, still encoded
    large: list[LargeField] = field(default_factory=list)

    def body(self) -> bytes:
        return b"&".join(self.kept)


def scan(chunks: Iterable[bytes]) -> ScannedForm:
    """Split a form-encoded body into kept pairs and the fields too large to keep."""
    out = ScannedForm()
    pair = bytearray()
    size = 0

    def finish() -> None:
        if size == 0:
            return
        if size <= FIELD_KEEP_BYTES:
            out.kept.append(bytes(pair))
        else:
            name = bytes(pair).split(b"=", 1)[0][:_NAME_BYTES]
            out.large.append(LargeField(unquote_plus(name.decode("ascii", "replace")), size))

    for chunk in chunks:
        start = 0
        while start < len(chunk):
            end = chunk.find(b"&", start)
            piece = chunk[start:] if end == -1 else chunk[start:end]
            # Memory stays bounded: of a large field only the start is kept, enough for its name.
            pair += piece[: max(0, FIELD_KEEP_BYTES + 1 - len(pair))]
            size += len(piece)
            if end == -1:
                break
            finish()
            pair, size = bytearray(), 0
            start = end + 1
    finish()
    return out
