"""The Simplified Chinese catalogs are complete and up to date with the code.

makemessages runs on a temporary copy of the repository (the committed .po files are never rewritten
by a test run), then GNU gettext's `msgfmt --check --statistics` must count no untranslated and no
fuzzy message, and every msgid the code has must already be in the committed catalog. A failure
lists the msgids concerned, so whoever merges knows what to translate.

To update the catalogs (README, "翻译"): run the makemessages commands in MAKEMESSAGES below from
the repository's top, translate the new msgstr in studio/locale/zh_Hans/LC_MESSAGES/*.po, then
`python manage.py compile_catalogs`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

REPO = Path(__file__).resolve().parent.parent
LOCALE = "zh_Hans"
DOMAINS = ("django", "djangojs")
IGNORE = [".venv", "tests", "var", "node_modules", "screenshots", "build"]
MAKEMESSAGES = {
    domain: ["manage.py", "makemessages", "-d", domain, "-l", LOCALE, "--no-location", "--no-wrap"]
    + [f"--ignore={pattern}" for pattern in IGNORE]
    for domain in DOMAINS
}
STATISTICS = re.compile(r"(?:(\d+) translated messages?)?(?:, )?(?:(\d+) fuzzy translations?)?(?:, )?(?:(\d+) untranslated messages?)?")


def committed(domain: str) -> Path:
    return REPO / "studio" / "locale" / LOCALE / "LC_MESSAGES" / f"{domain}.po"


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> dict[str, Path]:
    """Each domain's catalog as makemessages leaves it on a copy of the repository, today's code."""
    for tool in ("msgfmt", "xgettext", "msgmerge"):
        if shutil.which(tool) is None:
            pytest.fail(f"GNU gettext's {tool} is missing: `make test` installs Debian's gettext package")
    copy = tmp_path_factory.mktemp("repo") / "repo"
    shutil.copytree(
        REPO,
        copy,
        ignore=shutil.ignore_patterns(*IGNORE, ".git", "__pycache__", "*.mo", ".pytest_cache", "*.egg-info"),
        symlinks=True,
    )
    env = {**os.environ, "PYTHONPATH": str(copy), "STUDIO_DATA_DIR": str(copy / "var")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    for domain, command in MAKEMESSAGES.items():
        run = subprocess.run([sys.executable, *command], cwd=copy, env=env, capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, f"makemessages -d {domain} failed:\n{run.stdout}\n{run.stderr}"
    return {domain: copy / "studio" / "locale" / LOCALE / "LC_MESSAGES" / f"{domain}.po" for domain in DOMAINS}


def label(entry: polib.POEntry) -> str:
    return f"[{entry.msgctxt}] {entry.msgid!r}" if entry.msgctxt else repr(entry.msgid)


def listing(entries: list[polib.POEntry], limit: int = 400) -> str:
    lines = [f"  {label(e)}" for e in entries[:limit]]
    if len(entries) > limit:
        lines.append(f"  … and {len(entries) - limit} more")
    return "\n".join(lines)


@pytest.mark.parametrize("domain", DOMAINS)
def test_msgfmt_counts_no_untranslated_and_no_fuzzy_message(extracted, domain):
    path = extracted[domain]
    if not path.exists():
        pytest.skip(f"the code has no {domain} strings")
    run = subprocess.run(["msgfmt", "--check", "--statistics", "-o", os.devnull, str(path)], capture_output=True, text=True)
    assert run.returncode == 0, f"msgfmt --check refused {domain}.po:\n{run.stderr}"
    # The counts are msgfmt's last line (warnings about the header may come before it).
    counts = STATISTICS.match(run.stderr.strip().splitlines()[-1])
    assert counts is not None and counts.group(0), run.stderr
    fuzzy, untranslated = int(counts.group(2) or 0), int(counts.group(3) or 0)
    catalog = polib.pofile(str(path))
    assert (untranslated, fuzzy) == (0, 0), (
        f"{domain}.po after makemessages: {run.stderr.strip()}\n"
        f"untranslated:\n{listing(catalog.untranslated_entries())}\n"
        f"fuzzy (makemessages guessed from a similar msgid: check and remove the flag):\n{listing(catalog.fuzzy_entries())}"
    )


@pytest.mark.parametrize("domain", DOMAINS)
def test_the_committed_catalog_has_every_msgid_of_the_code(extracted, domain):
    path = extracted[domain]
    if not path.exists():
        pytest.skip(f"the code has no {domain} strings")
    wanted = [e for e in polib.pofile(str(path)) if not e.obsolete]
    have = committed(domain)
    known = {(e.msgctxt, e.msgid) for e in polib.pofile(str(have)) if not e.obsolete} if have.exists() else set()
    missing = [e for e in wanted if (e.msgctxt, e.msgid) not in known]
    assert missing == [], (
        f"{len(missing)} msgids of the code are not in studio/locale/{LOCALE}/LC_MESSAGES/{domain}.po "
        f"(run makemessages, see this module's docstring):\n{listing(missing)}"
    )


@pytest.mark.parametrize("domain", DOMAINS)
def test_the_committed_catalog_has_no_msgid_the_code_dropped(extracted, domain):
    have = committed(domain)
    if not have.exists():
        pytest.skip(f"no committed {domain}.po")
    path = extracted[domain]
    used = {(e.msgctxt, e.msgid) for e in polib.pofile(str(path)) if not e.obsolete} if path.exists() else set()
    stale = [e for e in polib.pofile(str(have)) if not e.obsolete and (e.msgctxt, e.msgid) not in used]
    assert stale == [], f"msgids no code uses any more (makemessages keeps them as #~ obsolete):\n{listing(stale)}"


def test_every_catalog_declares_the_one_chinese_plural_form():
    for domain in DOMAINS:
        if committed(domain).exists():
            assert polib.pofile(str(committed(domain))).metadata.get("Plural-Forms") == "nplurals=1; plural=0;", domain
