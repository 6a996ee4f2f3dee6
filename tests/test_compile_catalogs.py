"""manage.py compile_catalogs: .po to .mo in pure Python (make run needs no GNU gettext), leaving fuzzy
entries out as msgfmt does, and skipping catalogs whose .mo is already newer."""

from __future__ import annotations

import gettext

from django.core.management import call_command

PO = '''msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"
"Plural-Forms: nplurals=1; plural=0;\\n"

msgid "%(count)s box"
msgid_plural "%(count)s boxes"
msgstr[0] "%(count)s 个框"

msgctxt "gallery image"
msgid "Open"
msgstr "打开"

#, fuzzy
msgid "Reference"
msgstr "参考"
'''


def catalog_dir(tmp_path):
    directory = tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES"
    directory.mkdir(parents=True)
    (directory / "django.po").write_text(PO, encoding="utf-8")
    return directory


def test_plurals_and_contexts_are_compiled_and_fuzzy_entries_left_out(settings, tmp_path):
    directory = catalog_dir(tmp_path)
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    call_command("compile_catalogs")
    with (directory / "django.mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    assert compiled.ngettext("%(count)s box", "%(count)s boxes", 3) == "%(count)s 个框"
    assert compiled.pgettext("gallery image", "Open") == "打开"
    assert compiled.gettext("Reference") == "Reference"


def test_an_up_to_date_catalog_is_not_rewritten(settings, tmp_path, capsys):
    catalog_dir(tmp_path)
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    settings.BASE_DIR = tmp_path
    call_command("compile_catalogs")
    assert "compiled locale/zh_Hans/LC_MESSAGES/django.mo" in capsys.readouterr().out
    call_command("compile_catalogs")
    assert "catalogs up to date" in capsys.readouterr().out
