"""The zh-Hans catalog compiled for a test from studio/locale/, wherever the settings point: tests that
read Chinese compile the .po themselves, so they never depend on a stale .mo (none is committed)."""

from __future__ import annotations

import functools
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.test import override_settings
from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "studio" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]


@functools.cache
def compiled(directory: Path) -> Path:
    target = directory / "zh_Hans" / "LC_MESSAGES"
    target.mkdir(parents=True, exist_ok=True)
    subprocess.run(["msgfmt", "--check-format", "-o", str(target / "django.mo"), str(PO)], check=True)
    return directory


@contextmanager
def in_chinese(directory: Path) -> Iterator[None]:
    with override_settings(LOCALE_PATHS=[compiled(directory)], LANGUAGES=LANGUAGES), translation.override("zh-hans"):
        yield
