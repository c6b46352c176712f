"""Translations: French by default, English available, catalogues complete and compiled.

The catalogues live in parvis/locale and are refreshed with scripts/i18n.sh (see
docs/translations.md). The compiled .mo files are committed, so these tests need no gettext.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from parvis.workspaces.models import NetworkChoice
from tests.conftest import login

PARVIS = Path(__file__).resolve().parent.parent / "parvis"
LOCALE = PARVIS / "locale"
FR_PO = LOCALE / "fr" / "LC_MESSAGES" / "django.po"
EN_PO = LOCALE / "en" / "LC_MESSAGES" / "django.po"
NBSP = "\u00a0"


def catalogue(entries) -> dict[tuple[str | None, str], object]:
    """(context, msgid) -> msgstr, or the tuple of plural forms, for the translated entries."""
    result: dict[tuple[str | None, str], object] = {}
    for e in entries:
        if not e.msgid or e.obsolete or getattr(e, "fuzzy", False):
            continue
        if e.msgid_plural:
            forms = tuple(e.msgstr_plural[i] for i in sorted(e.msgstr_plural))
            if all(forms):
                result[(e.msgctxt, e.msgid)] = forms
        elif e.msgstr:
            result[(e.msgctxt, e.msgid)] = e.msgstr
    return result


@pytest.fixture(scope="module")
def fr_po() -> polib.POFile:
    return polib.pofile(str(FR_PO))


# --- The catalogues -------------------------------------------------------------------------


def test_french_catalogue_is_complete_and_not_fuzzy(fr_po):
    assert len(fr_po) > 100, "the French catalogue looks empty: run scripts/i18n.sh"
    assert not fr_po.metadata_is_fuzzy
    assert fr_po.metadata["Plural-Forms"] == "nplurals=2; plural=(n > 1);"
    problems = []
    for e in fr_po:
        if e.obsolete:
            continue
        if e.fuzzy:
            problems.append(f"fuzzy: {e.msgid!r}")
        elif e.msgid_plural:
            if sorted(e.msgstr_plural) != [0, 1] or not all(e.msgstr_plural.values()):
                problems.append(f"plural forms missing: {e.msgid!r}")
        elif not e.msgstr.strip():
            problems.append(f"untranslated: {e.msgid!r}")
    assert not problems, "\n".join(problems)


PLACEHOLDER = re.compile(r"%\([^)]+\)[sdif]|%[sdif]|\{\{[^}]*\}\}")


def test_french_translations_keep_placeholders(fr_po):
    problems = []
    for e in fr_po.translated_entries():
        wanted = sorted(PLACEHOLDER.findall(e.msgid))
        if e.msgid_plural:
            strings = list(e.msgstr_plural.values())
            wanted_plural = sorted(PLACEHOLDER.findall(e.msgid_plural))
            # the singular may drop a count placeholder, the plural must keep them all
            if sorted(PLACEHOLDER.findall(strings[-1])) != wanted_plural:
                problems.append(e.msgid)
        elif sorted(PLACEHOLDER.findall(e.msgstr)) != wanted:
            problems.append(e.msgid)
    assert not problems, f"placeholders changed in: {problems}"


def test_french_typography(fr_po):
    """A non-breaking space, never a plain one, before : ; ? ! » and after «."""
    problems = []
    for e in fr_po.translated_entries():
        for text in [e.msgstr, *e.msgstr_plural.values()]:
            if re.search(r" [:;?!»]|« ", text) or re.search(r"\w[;?!»]", text):
                problems.append(text)
    assert not problems, problems


def test_english_catalogue_exists_with_the_same_messages(fr_po):
    assert "en" in dict(settings.LANGUAGES) and settings.LANGUAGE_CODE == "fr"
    en_po = polib.pofile(str(EN_PO))
    assert en_po.metadata["Language"] == "en"
    assert (EN_PO.with_suffix(".mo")).is_file()
    ids = {(e.msgctxt, e.msgid) for e in fr_po if not e.obsolete}
    assert {(e.msgctxt, e.msgid) for e in en_po if not e.obsolete} == ids


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_committed_mo_matches_po(lang, tmp_path):
    po = polib.pofile(str(LOCALE / lang / "LC_MESSAGES" / "django.po"))
    fresh = tmp_path / "django.mo"
    po.save_as_mofile(str(fresh))
    committed_path = LOCALE / lang / "LC_MESSAGES" / "django.mo"
    assert committed_path.is_file(), f"{committed_path} is missing: run scripts/i18n.sh"
    committed = polib.mofile(str(committed_path))
    assert catalogue(committed) == catalogue(polib.mofile(str(fresh))) == catalogue(po), (
        f"{committed_path} is out of date: run scripts/i18n.sh and commit the .mo"
    )
    assert committed.metadata.get("Plural-Forms") == po.metadata["Plural-Forms"]


# Every literal marked for translation in the code must be in the catalogue, so a string
# added without re-running scripts/i18n.sh is caught here.

GETTEXT_FUNCS = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy"}
PGETTEXT_FUNCS = {"pgettext", "pgettext_lazy", "npgettext", "npgettext_lazy"}
TEMPLATE_LITERAL = re.compile(
    r"""\{%\s*(?:translate|trans)\s+(["'])(?P<msgid>.*?)\1"""
    r"""(?:[^%]*?\bcontext\s+(["'])(?P<ctx>.*?)\3)?[^%]*%\}"""
    r"""|\b_\((["'])(?P<underscore>.*?)\5\)"""
)


def python_files():
    for path in sorted(PARVIS.rglob("*.py")):
        rel = path.relative_to(PARVIS)
        if rel.parts[0] != "intelligence" and "migrations" not in rel.parts:
            yield path


def templates():
    return sorted(PARVIS.glob("*/templates/**/*.html"))


def marked_strings():
    for path in python_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            args = [a.value if isinstance(a, ast.Constant) else None for a in node.args]
            if node.func.id in GETTEXT_FUNCS and args and isinstance(args[0], str):
                yield path, None, args[0]
            elif node.func.id in PGETTEXT_FUNCS and len(args) > 1 and isinstance(args[1], str):
                yield path, args[0], args[1]
    for path in templates():
        for m in TEMPLATE_LITERAL.finditer(path.read_text(encoding="utf-8")):
            yield path, m.group("ctx"), m.group("msgid") or m.group("underscore")


def test_every_marked_string_is_in_the_catalogue(fr_po):
    known = {(e.msgctxt, e.msgid) for e in fr_po if not e.obsolete}
    found = list(marked_strings())
    assert len(found) > 100
    missing = sorted(
        f"{path.relative_to(PARVIS)}: {msgid!r}"
        for path, ctx, msgid in found
        if (ctx, msgid) not in known
    )
    assert not missing, "run scripts/i18n.sh, then translate:\n" + "\n".join(missing)


# --- Rendering ------------------------------------------------------------------------------


@pytest.fixture
def page(owner, populated):
    def get(path: str, client: Client | None = None) -> str:
        response = (client or login(owner)).get(path)
        assert response.status_code == 200
        return response.content.decode()

    return get


PAGES = ["/w/lumiere/", "/w/lumiere/strategy/"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_are_french_by_default(page, path):
    html = page(path)
    assert '<html lang="fr">' in html
    for text in ["Stratégie", "Boîte de réception", "Vue d&#x27;ensemble", "Se déconnecter"]:
        assert text in html
    for text in ["Inbox", "Overview", "Log out", "Team and roles"]:
        assert text not in html


@pytest.mark.parametrize("path", PAGES)
def test_pages_are_english_with_the_language_cookie(page, owner, path):
    client = login(owner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = page(path, client)
    assert '<html lang="en">' in html
    for text in ["Strategy", "Inbox", "Overview", "Log out"]:
        assert text in html
    assert "Boîte de réception" not in html and "Stratégie" not in html


def test_browser_language_does_not_override_french(page, owner):
    """Users work in French even with an English browser; they switch with the cookie."""
    client = login(owner)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en-GB,en;q=0.9"
    html = page("/w/lumiere/", client)
    assert "Boîte de réception" in html and "Inbox" not in html


def test_language_switcher_changes_the_language(page, owner):
    client = login(owner)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/w/lumiere/"})
    assert response.status_code == 302
    assert "Inbox" in page("/w/lumiere/", client)
    client.post("/i18n/setlang/", {"language": "fr", "next": "/w/lumiere/"})
    assert "Boîte de réception" in page("/w/lumiere/", client)


def test_strategy_page_french_details(page, workspace, populated):
    NetworkChoice.objects.create(workspace=workspace, network="mastodon", posts_per_week=1)
    html = page("/w/lumiere/strategy/")
    # French plural rule: 0 and 1 are singular
    assert "1 publication / semaine" in html
    assert "4 publications / semaine" in html
    assert f"Aucun objectif pour l&#x27;instant{NBSP}:" not in html  # populated has one
    assert "Historique des modifications" in html and "Ligne éditoriale" in html
    assert "Vouvoiement (vous)" in html


def test_french_plural_rule():
    with translation.override("fr"):
        forms = [
            translation.ngettext("%(counter)s post / week", "%(counter)s posts / week", n)
            % {"counter": n}
            for n in (0, 1, 2)
        ]
    assert forms == [
        "0 publication / semaine",
        "1 publication / semaine",
        "2 publications / semaine",
    ]


def test_login_page_is_french_for_anonymous_visitors(client):
    html = client.get("/login/").content.decode()
    assert "Se connecter" in html and "Mot de passe" in html and "Password" not in html


# --- No untranslated text in templates --------------------------------------------------------

# Words that stay as they are in every language: brand and network names, acronyms.
ALLOWED_WORDS = {
    "Parvis",
    "Par",  # the logo: Par<span>vis</span>
    "vis",
    "Bluesky",
    "Mastodon",
    "Reddit",
    "YouTube",
    "Hacker",
    "News",
    "RSS",
    "Atom",
    "API",
    "KPI",
    "URL",
    "htmx",
}

STRIP = [
    re.compile(r"\{#.*?#\}", re.S),
    re.compile(r"\{%\s*comment\b.*?%\}.*?\{%\s*endcomment\s*%\}", re.S),
    re.compile(r"\{%\s*blocktrans(?:late)?\b.*?\{%\s*endblocktrans(?:late)?\s*%\}", re.S),
    re.compile(r"\{%.*?%\}", re.S),
    re.compile(r"\{\{.*?\}\}", re.S),
    re.compile(r"<!--.*?-->", re.S),
    # code samples and scripts are not prose
    re.compile(r"<(pre|code|script|style)\b.*?</\1\s*>", re.S | re.I),
    re.compile(r"<[^>]*>", re.S),
    re.compile(r"&#?\w+;"),
]
TRANSLATABLE_ATTR = re.compile(
    r"""\b(placeholder|title|aria-label|alt)\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I
)


def untranslated_text(source: str) -> list[str]:
    """Visible English words, and literal translatable attributes, in a template source."""
    problems = []
    for m in TRANSLATABLE_ATTR.finditer(source):
        value = (m.group(2) if m.group(2) is not None else m.group(3)).strip()
        if value and "{%" not in value and "{{" not in value:
            problems.append(f'{m.group(1)}="{value}"')
    text = source
    for pattern in STRIP:
        text = pattern.sub(" ", text)
    problems += [w for w in re.findall(r"[A-Za-z]{3,}", text) if w not in ALLOWED_WORDS]
    return problems


def test_the_template_check_finds_untranslated_text():
    bad = (
        '{% load i18n %}<p class="muted">Hello {{ name }}</p>'
        "<input placeholder=\"Search\"><span title='Close'>x</span>"
    )
    assert untranslated_text(bad) == ['placeholder="Search"', 'title="Close"', "Hello"]
    good = (
        '{% load i18n %}<p class="muted">{% translate "Hello" %} {{ name }}</p>'
        '<input placeholder="{% translate \'Search\' %}" title="">'
        "{% blocktranslate %}Last change: {{ when }}{% endblocktranslate %}"
        "<pre>parvis workspace create</pre><a>Parvis · RSS</a>"
    )
    assert untranslated_text(good) == []


def test_templates_have_no_untranslated_text():
    found = templates()
    assert len(found) > 10
    problems = {}
    for path in found:
        words = untranslated_text(path.read_text(encoding="utf-8"))
        if words:
            problems[str(path.relative_to(PARVIS))] = words
    assert not problems, problems
