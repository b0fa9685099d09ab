import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.urls import reverse

from tests.factories import BuyerFactory

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "locale" / "nl" / "LC_MESSAGES"


@pytest.mark.django_db
def test_the_browser_language_picks_dutch(client):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()

    assert "Aanmelden als koper" in page
    assert '<html lang="nl">' in page


@pytest.mark.django_db
def test_the_language_switcher_sets_dutch_for_a_visitor(client):
    response = client.post(reverse("set_language"), {"language": "nl", "next": "/"}, follow=True)

    assert "Aanmelden als leverancier" in response.content.decode()


@pytest.mark.django_db
def test_a_signed_in_users_language_choice_is_kept_on_the_account(client):
    buyer = BuyerFactory()
    client.force_login(buyer)

    client.post(reverse("set_language"), {"language": "nl", "next": reverse("buyer_home")})
    buyer.refresh_from_db()
    assert buyer.language == "nl"

    # A new session on another device still gets Dutch.
    client.logout()
    client.force_login(buyer)
    client.cookies.pop("django_language", None)
    assert "Koperportaal" in client.get(reverse("buyer_home")).content.decode()


@pytest.mark.django_db
def test_the_403_and_404_pages_are_translated(client):
    client.force_login(BuyerFactory(language="nl"))

    assert "Deze pagina is niet voor jouw account" in (
        client.get(reverse("supplier_home")).content.decode()
    )
    assert "We kunnen die pagina niet vinden" in client.get("/nope/").content.decode()


def test_every_string_in_the_dutch_catalogue_is_translated():
    catalogue = polib.pofile(str(CATALOGUE / "django.po"))

    missing = [e.msgid for e in catalogue if not e.translated() or "fuzzy" in e.flags]
    assert not missing


def translations(catalogue):
    return {
        (e.msgctxt, e.msgid, e.msgid_plural): e.msgstr_plural or e.msgstr
        for e in catalogue
        if e.msgid and not e.obsolete and "fuzzy" not in e.flags
    }


def test_the_compiled_catalogue_matches_the_source():
    source = translations(polib.pofile(str(CATALOGUE / "django.po")))
    compiled = translations(polib.mofile(str(CATALOGUE / "django.mo")))

    assert compiled == source, "run `make messages` and commit locale/"


@pytest.mark.skipif(not shutil.which("xgettext"), reason="gettext is not installed")
def test_every_marked_string_of_the_project_is_in_the_dutch_catalogue(tmp_path):
    """Extracts the strings afresh from a copy of the code: a string marked for translation but
    missing from locale/nl fails here, not in front of a Dutch user."""
    for name in ("apps", "config", "templates", "locale"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(ROOT / "manage.py", tmp_path)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "--locale", "nl", "--no-obsolete"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        env={"PATH": "/usr/bin:/bin", "PACTLINE_VAR_DIR": str(tmp_path / "var")},
    )
    fresh = polib.pofile(str(tmp_path / "locale" / "nl" / "LC_MESSAGES" / "django.po"))

    untranslated = [e.msgid for e in fresh if not e.translated() or "fuzzy" in e.flags]
    assert not untranslated, "translate these in locale/nl (make messages)"


@pytest.mark.django_db
def test_an_account_without_a_saved_language_follows_the_browser(client):
    client.force_login(BuyerFactory(language=""))

    page = client.get(reverse("buyer_home"), HTTP_ACCEPT_LANGUAGE="nl").content.decode()

    assert "Koperportaal" in page
