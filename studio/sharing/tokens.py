"""Share-link tokens: made, hashed and recognised here. No Django, so it is tested on its own.

Only the SHA-256 of a token is stored: a copy of the database (or a backup) opens no shared page.
A token is never compared as text: the page looks its hash up, and a guess's hash is unpredictable,
so the time a lookup takes tells a guesser nothing about any stored hash.
"""

from __future__ import annotations

import hashlib
import re
import secrets

# 32 random bytes = 256 bits, 43 URL-safe characters; the issue asks for at least 128 bits.
TOKEN_BYTES = 32
# What `token_urlsafe(32)` spells; anything else is refused before it reaches the database.
_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def looks_like_token(text: str) -> bool:
    return bool(_SHAPE.fullmatch(text))
