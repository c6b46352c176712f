"""Brand safety on a post (parvis/publishing/safety.py), built from what listening stored.

The « #Iran » case: a furniture brand tags its sofa promotion with the hashtag everyone uses
for an election and the deaths of protesters. The mentions go through the real pipeline
(validation, the shipped sentiment model, the full-text index), as a source stores them.
"""

import datetime as dt
import json

import pytest
from django.template import Context, Template
from django.utils import translation

from parvis.listening.models import Mention
from parvis.listening.topics import recent_mentions_with_term
from parvis.publishing import safety
from parvis.workspaces.strategy import do_update_strategy
from tests.publishing.safety_data import COMPLAINTS, DECO, IRAN, NEPAL, NOW, store

pytestmark = pytest.mark.django_db


@pytest.fixture
def listening(workspace):
    store(workspace, IRAN, start=0)
    store(workspace, DECO, start=100)
    store(workspace, NEPAL, lang="en", start=200)
    store(workspace, COMPLAINTS, start=300)
    return workspace


def by_subject(findings):
    return {f.subject: f for f in findings}


def test_the_iran_case(listening):
    """A brand's promotion under #Iran is blocked, with what listening saw as examples."""
    findings = safety.check_post(listening, "Nos canapés en promo ! #Iran #déco", now=NOW)
    flagged = by_subject(findings)
    iran = flagged["#Iran"]
    assert iran.code == "hashtag_context" and iran.severity == "block"
    assert safety.needs_override(findings)
    # Its figures are those of the stored mentions: 9 hold « iran », most are negative.
    stored = Mention.objects.filter(workspace=listening, text__icontains="iran")
    negative = stored.filter(sentiment="negative").count()
    assert stored.count() == 9 and negative >= 5
    assert f"{round(100 * negative / 9)}" in iran.message
    with translation.override("en"):
        english = safety.check_post(listening, "Nos canapés en promo ! #Iran", now=NOW)
    assert "elections and politics" in english[0].message
    assert "of its 9 mentions in the last 72 hours" in english[0].message
    # Up to three examples, from those mentions, each with its date and network.
    assert len(iran.examples) == 3
    texts = {m.text: m for m in stored}
    for example in iran.examples:
        source = texts[example.excerpt]
        assert example.published_at == source.published_at and example.network == "bluesky"
        assert safety.topics_in(safety.fold(example.excerpt))  # the tragic ones first
        assert example.url.startswith("https://bsky.app/")
    # The harmless hashtag of the same post is not flagged.
    assert "#déco" not in flagged
    assert iran.as_dict()["examples"][0]["published_at"].startswith(str(NOW.year))


def test_a_harmless_hashtag_is_not_flagged(listening):
    assert safety.check_post(listening, "Notre nouveau fauteuil #déco #Deco", now=NOW) == [
        f for f in safety.check_post(listening, "Notre nouveau fauteuil", now=NOW)
    ]


def test_english_nepal_earthquake(listening):
    findings = safety.check_post(listening, "Big winter sale on trekking boots! #Nepal", now=NOW)
    nepal = by_subject(findings)["#Nepal"]
    assert nepal.severity == "block" and len(nepal.examples) == 3
    assert all("Nepal" in e.excerpt for e in nepal.examples)
    with translation.override("en"):
        nepal = by_subject(safety.check_post(listening, "Sale #nepal", now=NOW))["#nepal"]
    assert "disasters" in nepal.message and "deaths and mourning" in nepal.message


def test_only_the_recent_mentions_count(listening):
    # Five days later the earthquake's mentions are out of the window: nothing to say.
    later = NOW + dt.timedelta(days=5)
    assert "#Nepal" not in by_subject(safety.check_post(listening, "Sale #Nepal", now=later))
    # And before they were published, neither.
    earlier = NOW - dt.timedelta(days=1)
    assert "#Nepal" not in by_subject(safety.check_post(listening, "Sale #Nepal", now=earlier))


def test_negative_without_tragedy_is_a_warning(listening):
    findings = by_subject(safety.check_post(listening, "On vous écoute #SAVnul", now=NOW))
    assert findings["#SAVnul"].severity == "warn"
    assert findings["#SAVnul"].code == "hashtag_context"


def test_another_workspace_sees_nothing(listening, other_workspace):
    findings = safety.check_post(other_workspace, "Nos canapés en promo ! #Iran", now=NOW)
    assert "#Iran" not in by_subject(findings)


def test_too_few_mentions_say_nothing(workspace):
    store(workspace, IRAN[:3])
    assert "#Iran" not in by_subject(safety.check_post(workspace, "Promo #Iran", now=NOW))


def test_the_list_of_sensitive_topics_french_and_english(workspace):
    """(a) without any listening data: the post's own hashtags and words."""
    findings = safety.check_post(
        workspace,
        "Soirée ÉLECTORALE : -20 % pour le second tour ! #ÉLECTIONS2027 #IranElection "
        "#PrayForParis #Iran #déco #earthquake",
        now=NOW,
    )
    flagged = by_subject(findings)
    for tag in ("#ÉLECTIONS2027", "#IranElection", "#PrayForParis", "#earthquake"):
        assert flagged[tag].severity == "block" and flagged[tag].code == "sensitive_hashtag"
    # A country name is not a sensitive topic by itself, nor is decoration.
    assert "#Iran" not in flagged and "#déco" not in flagged
    assert flagged["ÉLECTORALE"].severity == "warn"
    assert flagged["ÉLECTORALE"].code == "sensitive_word"
    hyphens = by_subject(safety.check_post(workspace, "Couvre-feu, cessez le feu #couvrefeu"))
    assert hyphens["Couvre-feu"].severity == "warn" and hyphens["cessez le feu"]
    assert hyphens["#couvrefeu"].severity == "block"
    with translation.override("en"):
        english = safety.check_post(workspace, "Our thoughts go to the victims #RIP", now=NOW)
    assert by_subject(english)["#RIP"].severity == "block"
    assert "grieving" in by_subject(english)["#RIP"].message
    assert by_subject(english)["victims"].severity == "warn"


def test_every_entry_of_the_list_is_found():
    """A maintenance check of the data file: each entry is read and found as written."""
    data = json.loads(safety.DATA.read_text(encoding="utf-8"))
    assert data["version"] and data["about"]
    for topic in data["topics"]:
        assert topic["category"] in safety.CATEGORIES and set(topic["why"]) == {"en", "fr"}
        assert topic["terms"]["fr"] and topic["terms"]["en"]
        for lang in ("fr", "en"):
            for word in topic["terms"][lang]:
                assert safety.topics_in(safety.fold(f"Un {word} ici"), context=False), word
            for word in topic["context"][lang]:
                assert not safety.topics_in(safety.fold(f"Un {word} ici"), context=False), word
                assert safety.topics_in(safety.fold(f"Un {word} ici")), word
        for tag in topic["hashtags"]:
            assert safety.hashtag_topic(tag.replace("*", "demain")), tag


@pytest.mark.parametrize(
    "text",
    [
        "Shooting photo de la nouvelle collection",  # « shooting » is a photo shoot here
        "Une explosion de saveurs, fromage râpé compris",
        "Guerre des prix ? Pas chez nous.",
        "Open Tue-Sat, dead simple ordering",
        "#warmwinter #ripped #victorious #terroir",
    ],
)
def test_ordinary_marketing_words_are_not_flagged(workspace, text):
    findings = safety.check_post(workspace, text, now=NOW)
    assert [f for f in findings if f.code.startswith("sensitive")] == []


def test_a_sensitive_hashtag_takes_the_examples(workspace):
    store(workspace, [t.replace("#Nepal", "#earthquake") for t in NEPAL], lang="en")
    findings = [
        f for f in safety.check_post(workspace, "Sale #earthquake", now=NOW) if "earth" in f.subject
    ]
    assert len(findings) == 1 and findings[0].code == "sensitive_hashtag"
    assert len(findings[0].examples) == 3


def test_editorial_line_findings(workspace, owner, populated):
    do_update_strategy(
        workspace,
        owner,
        {"address_form": "vous", "words_to_avoid": ["pas cher"], "signature_hashtags": ["ML"]},
    )
    findings = safety.check_post(workspace, "Tu cherches un canapé pas cher ?", now=NOW)
    assert [(f.code, f.severity) for f in findings] == [
        ("address_form", "warn"),
        ("avoid", "warn"),
        ("signature", "info"),
    ]
    assert not safety.needs_override(findings)
    # In English, the address form is not a question.
    assert "address_form" not in {
        f.code for f in safety.check_post(workspace, "Are you ready? See you there", now=NOW)
    }


def test_recent_mentions_with_term(listening):
    since = NOW - dt.timedelta(hours=72)
    found = recent_mentions_with_term(listening.pk, "#IRAN", since, limit=4)
    assert len(found) == 4
    assert [m.published_at for m in found] == sorted((m.published_at for m in found), reverse=True)
    assert all("iran" in m.text.lower() for m in found)
    assert len(recent_mentions_with_term(listening.pk, "Déco", since)) == 6
    assert recent_mentions_with_term(listening.pk, "#", since) == []
    assert recent_mentions_with_term(listening.pk, 'x" OR "iran', since) == []
    assert recent_mentions_with_term(listening.pk, "iran", NOW + dt.timedelta(hours=1)) == []


def test_recent_mentions_either_plan(listening, monkeypatch):
    """PostgreSQL looks a rare word's mentions up by key, walks the newest for a common one:
    both give the same answer."""
    from parvis.listening import topics

    since = NOW - dt.timedelta(hours=72)
    by_key = [m.pk for m in recent_mentions_with_term(listening.pk, "iran", since)]
    monkeypatch.setattr(topics, "PG_DRIVE_CAP", 0)
    walked = [m.pk for m in recent_mentions_with_term(listening.pk, "iran", since)]
    assert by_key == walked and len(by_key) == 9


HOSTILE = [
    "<script>alert(1)</script> #<b>x</b> #Iran",
    "\ud800 lone surrogate #Iran \udfff #\ud83d",
    "a " * 500_000 + "#Iran",
    "\x00#Iran\x00 NUL",
    "#" * 10_000,
    " ".join(f"#tag{i}" for i in range(5_000)),
    "",
    "#___ #_ #٣٣ #Ⅻ #ﬁn #ǅ #a_b_ #\u0301 #x\u200by",
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_text_never_crashes(listening, text):
    findings = safety.check_post(listening, text, now=NOW)
    assert all(f.severity in safety.SEVERITIES for f in findings)
    if "#Iran" in text:
        assert by_subject(findings)["#Iran"].severity == "block"


def test_examples_are_escaped_when_shown(workspace):
    hostile = "<img src=x onerror=alert(1)> morts et victimes à l'élection #Iran"
    store(workspace, [f"{hostile} {i}" for i in range(6)])
    (finding,) = [f for f in safety.check_post(workspace, "#Iran", now=NOW) if f.examples]
    assert finding.examples[0].excerpt.startswith("<img")  # kept as data
    shown = Template("{% for e in f.examples %}{{ e.excerpt }}{% endfor %}").render(
        Context({"f": finding})
    )
    assert "<img" not in shown and "&lt;img" in shown


def test_excerpts_are_short_and_around_the_hashtag():
    text = "début " * 100 + "le cœur du sujet #Iran " + "fin " * 100
    cut = safety.excerpt(text, "#Iran")
    assert len(cut) <= safety.EXCERPT and "#Iran" in cut
    assert cut.startswith("…") and cut.endswith("…")
