"""The editorial line that replies and posts share (parvis/workspaces/editorial.py)."""

import pytest

from parvis.inbox import editorial as inbox_editorial
from parvis.workspaces import editorial
from parvis.workspaces.models import Strategy
from parvis.workspaces.strategy import do_update_strategy

pytestmark = pytest.mark.django_db


@pytest.fixture
def strategy(workspace, owner):
    return do_update_strategy(
        workspace,
        owner,
        {
            "address_form": "vous",
            "words_to_avoid": ["pas cher", "Chimique", "low cost"],
            "signature_hashtags": ["#MaisonLumière"],
            "themes": ["artisanat"],
            "words_to_use": ["bougie", "cire végétale"],
        },
    )


def codes(remarks):
    return [r.code for r in remarks]


def test_address_form_in_french(strategy):
    found = editorial.address_form("Salut, tu as reçu ton colis ?", strategy)
    assert codes(found) == ["address_form"] and found[0].level == "warn"
    # « tu » with the no-break spaces French typography puts inside the quotes.
    assert found[0].subject == "tu" and "«\u00a0tu\u00a0»" in found[0].message
    assert editorial.address_form("Avez-vous reçu votre colis ?", strategy) == []
    assert editorial.address_form("Je t\u2019envoie le lien.", strategy)[0].subject == "t\u2019"
    strategy.address_form = "tu"
    found = editorial.address_form("Avez-vous reçu votre colis ?", strategy)
    assert found[0].subject == "vous"
    assert editorial.address_form("Tu as reçu ton colis ?", strategy) == []


def test_no_address_form_in_english(strategy):
    # « te », « ta », « Tu » (Tuesday) are English too: nothing is said of English texts.
    english = "Tu and Wed only: the ta-da moment of the week, see you there with your friends!"
    assert editorial.is_english(english)
    assert editorial.address_form(english, strategy) == []
    # The same words in a French text are found; a declared language wins over the guess.
    assert editorial.address_form("Tu viens ce soir ?", strategy)[0].subject == "Tu"
    assert editorial.address_form("Tu viens ce soir ?", strategy, language="en") == []
    assert editorial.address_form("Tu and Wed only", strategy, language="fr-FR") != []


def test_words_to_avoid_are_folded_whole_words(strategy):
    found = editorial.words_to_avoid("Des bougies PAS CHÈRES ? Non : pas cher du tout !", strategy)
    assert [r.subject for r in found] == ["pas cher"]
    assert [r.subject for r in editorial.words_to_avoid("Zéro CHIMIQUE ici", strategy)] == [
        "Chimique"
    ]
    assert editorial.words_to_avoid("Une offre pascher et lowcost", strategy) == []
    assert editorial.words_to_avoid("Low-cost ? low cost !", strategy)[0].subject == "low cost"


def test_signature_hashtags_on_the_networks_chosen(workspace, strategy, populated):
    # `populated` chose Bluesky for the workspace.
    found = editorial.signature_hashtags("Nouvelle collection", strategy, workspace)
    assert codes(found) == ["signature"] and found[0].level == "info"
    assert "#MaisonLumière" in found[0].message
    carried = "Nouvelle collection #maisonlumiere"  # folded: accents and case
    assert editorial.signature_hashtags(carried, strategy, workspace) == []
    assert editorial.signature_hashtags("x", strategy, workspace, networks=["bluesky"]) != []
    # A network the strategy did not choose: no signature expected there.
    assert editorial.signature_hashtags("x", strategy, workspace, networks=["x"]) == []


def test_no_signature_expected_without_a_chosen_network(workspace, strategy):
    assert editorial.signature_hashtags("Nouvelle collection", strategy, workspace) == []


def test_themes_are_information(strategy):
    found = editorial.themes("Nouvelle collection d'hiver", strategy)
    assert codes(found) == ["themes"] and found[0].level == "info"
    assert "artisanat" in found[0].subject
    assert editorial.themes("Nos bougies en CIRE VÉGÉTALE", strategy) == []


def test_hashtags_are_read_as_the_networks_read_them():
    text = "#Déco et #deco, C#6, https://a.test/page#top, l'#été #2026_soldes!"
    assert editorial.hashtags(text) == ["Déco", "été", "2026_soldes"]


def test_check_post_and_check_reply(workspace, strategy, populated):
    post = "Tu vas adorer : pas cher !"
    assert codes(editorial.check_post(workspace, post)) == [
        "address_form",
        "avoid",
        "signature",
        "themes",
    ]
    assert codes(editorial.check_reply(post, strategy)) == ["address_form", "avoid"]


def test_check_post_without_a_strategy(workspace):
    Strategy.objects.filter(workspace=workspace).delete()
    assert editorial.check_post(workspace, "Tu vas adorer : pas cher") == []


def test_the_inbox_reads_the_shared_line(strategy):
    warnings = inbox_editorial.check("Pas cher, tu peux nous écrire ?", strategy, "bluesky")
    assert [w.code for w in warnings] == ["address_form", "avoid"]
    assert inbox_editorial.check("a" * 301, strategy, "bluesky")[-1].code == "length"


@pytest.mark.parametrize(
    "text",
    ["<script>alert(1)</script> tu", "\ud800 tu \udfff", "x" * 1_000_000 + " tu", "\x00#\x00"],
)
def test_hostile_text(workspace, strategy, populated, text):
    remarks = editorial.check_post(workspace, text)
    assert all(r.level in ("warn", "info") for r in remarks)
