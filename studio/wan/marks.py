"""Marks English words of the protocol for translation without importing Django.

makemessages extracts every string passed to a function named gettext_noop, wherever it is
defined; the web layer translates the marked words where it shows them (studio.pipeline.problem_text,
studio.editor.labels). Here they stay English, as the protocol's logs and the CLI want them."""

from __future__ import annotations


def gettext_noop(message: str) -> str:
    return message
