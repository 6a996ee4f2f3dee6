"""The English words of the studio's own interface, and the English text left on a page once user
content is set aside: what tests/test_zh_pages_browser.py and tests/test_zh_editor_browser.py look for.

User content is marked in templates with `translate="no"` (the HTML attribute that tells translation
tools "leave this as written"): prompts, file names, comments, team and board names, usernames. Those
subtrees are skipped, as are <code>/<kbd> (API field names like size, n, seed, bbox_list) and form
values (what people typed). Everything else, hidden parts included (menus, dialogs, toasts shown later),
plus the names and hints a screen reader or a tooltip shows (aria-label, title, placeholder, alt).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import polib

from studio.wan.capabilities import MODELS

CATALOGS = Path(__file__).resolve().parent.parent / "studio" / "locale" / "zh_Hans" / "LC_MESSAGES"

# Names written the same in every language: products, the provider, file formats and the keys a
# Chinese keyboard labels in English too (better still inside <kbd>, which is skipped anyway).
KEPT_AS_WRITTEN = (
    "Wan Studio", "Model Studio", "Alibaba Cloud", "DashScope", "Wan", "Qwen",
    "ZIP", "PNG", "JPEG", "WEBP", "BMP", "JSON", "API", "CSV", "OK", "HTTP", "URL", "ID", "RGB",
    "Ctrl", "Shift", "Enter", "Space", "Esc", "Tab", "Alt", "Delete", "Backspace",
    # Standards and protocol words Chinese consoles write in English too (Model Studio's says "Webhook").
    "Standard Webhooks", "Webhooks", "Webhook", "POST", "GET", "ping",
    # The models' display names: product names, like the names the provider writes (wan2.7-image-pro).
    *(caps.label for caps in MODELS.values()),
)
# Placeholders, markup and entities inside msgids are not words of the interface.
NOT_TEXT = re.compile(r"%\(\w+\)[sdifr]|%[sdifr]|\{\{.*?\}\}|\{[\w.]*\}|<[^>]+>|&\w+;")
WORD = re.compile(r"[A-Za-z]{4,}")

VISIBLE_TEXT = """() => {
  const SKIP = 'script, style, noscript, template, code, kbd, [translate="no"]';
  const out = [document.title];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest(SKIP)) continue;
    const text = node.data.replace(/\\s+/g, ' ').trim();
    if (text) out.push(text);
  }
  for (const el of document.body.querySelectorAll('[aria-label], [title], [placeholder], img[alt], input[type=submit], input[type=button]')) {
    if (el.closest(SKIP)) continue;
    for (const name of ['aria-label', 'title', 'placeholder', 'alt', 'aria-description']) {
      const value = el.getAttribute(name);
      if (value && value.trim()) out.push(value.trim());
    }
    if (el.matches('input[type=submit], input[type=button]') && el.value) out.push(el.value);
  }
  return out;
}"""


@cache
def ui_words() -> frozenset[str]:
    """Every word of 4+ letters in the English msgids of the committed catalogs, lowercased, but for
    names kept as written ("Model Studio" leaves no "model"; "Model" alone does)."""
    words: set[str] = set()
    for path in sorted(CATALOGS.glob("*.po")):
        for entry in polib.pofile(str(path)):
            if entry.obsolete:
                continue
            for text in (entry.msgid, entry.msgid_plural or ""):
                words.update(w.lower() for w in WORD.findall(_without_names(NOT_TEXT.sub(" ", text))))
    return frozenset(words)


def _without_names(text: str) -> str:
    # Longest first, so "wan2.7-image-pro" goes whole before "wan2.7-image" could leave "-pro".
    for name in sorted(MODELS, key=len, reverse=True):
        text = text.replace(name, " ")
    for name in sorted(KEPT_AS_WRITTEN, key=len, reverse=True):
        text = re.sub(rf"(?<![\w-]){re.escape(name)}(?![\w-])", " ", text, flags=re.IGNORECASE)
    # File names, addresses, URL paths, colours and identifiers (task_id, DASHSCOPE_API_KEY, the webhook-* headers) are data, not interface.
    return re.sub(
        r"\S+\.(?:png|jpe?g|webp|zip|csv|json)\b|https?://\S+|(?<!\w)/[\w/{}.-]+|#[0-9A-Fa-f]{6}\b|\b[A-Za-z0-9]+(?:_[A-Za-z0-9]+)+\b|\bwebhook-[a-z]+\b",
        " ",
        text,
    )


def english_words(texts: list[str], *, user_content: tuple[str, ...] = ()) -> dict[str, str]:
    """The interface's English words found in `texts`, each with the text it was found in."""
    allowed = {w.lower() for text in user_content for w in WORD.findall(text)}
    found: dict[str, str] = {}
    for text in texts:
        for word in WORD.findall(_without_names(text)):
            lowered = word.lower()
            if lowered in ui_words() and lowered not in allowed and lowered not in found:
                found[lowered] = text[:120]
    return found
