"""Behaviour of ``parvis.intelligence.analyze`` with the shipped default models."""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path

import pytest

from parvis.intelligence import Analysis, analyze
from parvis.intelligence.types import SENTIMENT_LABELS, TOXICITY_CATEGORIES

MODELS = Path(__file__).resolve().parents[2] / "parvis" / "intelligence" / "models"


def one(text: str) -> Analysis:
    return analyze([text])[0]


def assert_well_formed(a: Analysis) -> None:
    assert a.lang
    assert a.sentiment.label in SENTIMENT_LABELS
    assert set(a.sentiment.scores) == set(SENTIMENT_LABELS)
    assert math.isclose(sum(a.sentiment.scores.values()), 1.0, abs_tol=1e-3)
    assert a.sentiment.scores[a.sentiment.label] == max(a.sentiment.scores.values())
    assert 0.0 <= a.toxicity.score <= 1.0
    assert set(a.toxicity.categories) == set(TOXICITY_CATEGORIES)
    assert all(0.0 <= v <= 1.0 for v in a.toxicity.categories.values())
    # The overall score is never below a category that fired.
    assert a.toxicity.score >= max(a.toxicity.categories.values()) - 1e-6
    assert 0.0 <= a.spam.score <= 1.0
    assert set(a.why) == {"toxicity", "spam"}


def test_returns_one_analysis_per_text_in_order():
    texts = ["you are a stupid idiot", "Merci pour votre aide, très sympa", "FREE entry, call now"]
    batch = analyze(texts)
    assert len(batch) == 3
    for text, res in zip(texts, batch, strict=True):
        assert res.to_dict() == one(text).to_dict()  # batching does not change answers
        assert_well_formed(res)


def test_empty_input_list_and_empty_text():
    assert analyze([]) == []
    for text in ("", "   ", "\n"):
        a = one(text)
        assert_well_formed(a)
        assert a.lang == "und"
        assert a.sentiment.label == "neutral"
        assert a.toxicity.score == 0.0
        assert a.spam.score == 0.0


def test_none_and_non_strings_are_read_as_text():
    a, b = analyze([None, 42])
    assert_well_formed(a)
    assert_well_formed(b)
    assert a.lang == "und"


def test_emoji_only_text():
    happy, angry = analyze(["😍😍🥰", "😡😠👎"])
    for a in (happy, angry):
        assert_well_formed(a)
        assert a.lang == "und"
        assert a.toxicity.score < 0.5
    assert happy.sentiment.label == "positive"
    assert angry.sentiment.label == "negative"


def test_very_long_text_is_answered_quickly():
    text = "Le service client est vraiment excellent, merci beaucoup. " * 20000  # ~1 MB
    t0 = time.perf_counter()
    a = one(text)
    assert time.perf_counter() - t0 < 5.0
    assert_well_formed(a)
    assert a.lang == "fr"
    assert a.sentiment.label == "positive"


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Je suis vraiment content de ce produit, il marche très bien", "fr"),
        ("I am really happy with this product, it works very well", "en"),
        ("Hola amigo, ¿cómo estás? Todo bien con la familia, nos vemos mañana", "es"),
        ("Guten Morgen, wie geht es dir heute? Ich bin müde und das Wetter ist schlecht", "de"),
        ("Buongiorno a tutti, oggi è una bella giornata e siamo molto felici", "it"),
    ],
)
def test_language(text, lang):
    a = one(text)
    assert_well_formed(a)
    assert a.lang == lang


def test_other_language_is_not_flagged_for_words_of_our_lists():
    # "con" is a French insult, but just "with" in Spanish.
    a = one("Vamos a la playa con mis amigos y con la familia este fin de semana")
    assert a.lang == "es"
    assert a.toxicity.categories["insult"] < 0.5
    assert "con" not in a.why["toxicity"]


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("I love this, best day ever! Thank you so much", "positive"),
        ("This is the worst service ever, I hate waiting for nothing", "negative"),
        ("J'adore ce restaurant, le personnel est adorable et les plats délicieux", "positive"),
        ("Quelle honte, service nul et personnel désagréable, je suis déçu", "negative"),
    ],
)
def test_sentiment_examples(text, label):
    assert one(text).sentiment.label == label


@pytest.mark.parametrize(
    ("text", "category", "word"),
    [
        ("you are a pathetic idiot and a loser", "insult", "idiot"),
        ("t'es qu'un pauvre connard, espèce d'abruti", "insult", "connard"),
        ("send me your nudes, I want to see your tits", "obscene", "tits"),
        ("regarde ma bite, viens sucer salope", "obscene", "bite"),
        ("I will kill you, I know where you live", "threat", "i will kill you"),
        ("je vais te buter, tu vas le payer", "threat", "je vais te buter"),
        ("fuck all those filthy niggers", "hate", "niggers"),
        ("sale bougnoule, rentre chez toi", "hate", "bougnoule"),
    ],
)
def test_toxicity_categories_and_why(text, category, word):
    a = one(text)
    assert_well_formed(a)
    assert a.toxicity.categories[category] >= 0.5, a.toxicity
    assert a.toxicity.score >= 0.5
    assert any(word in w for w in a.why["toxicity"]), a.why


@pytest.mark.parametrize(
    "text",
    [
        "Thanks for the quick delivery, the parcel arrived this morning",
        "This song kills it, the drummer is insane",
        "Je vais tuer le temps en lisant un bon livre",
        "Merci à toute l'équipe pour cette belle soirée",
        "Le gouvernement annonce des aides pour la rénovation des logements",
    ],
)
def test_benign_texts_are_not_toxic(text):
    a = one(text)
    assert a.toxicity.score < 0.5, a.toxicity
    assert a.toxicity.categories["threat"] < 0.5
    assert a.why["toxicity"] == [] or a.toxicity.score >= 0.3


@pytest.mark.parametrize(
    "text",
    [
        "Check out my channel and subscribe!!! http://example.com/channel",
        "WINNER!! You have won a £1000 cash prize. Call 09061701461 now to claim",
        "Gagnez un iPhone gratuit, cliquez ici : http://promo.example.fr",
        "Abonnez-vous à ma chaîne, lien en bio pour gagner de l'argent",
    ],
)
def test_spam_examples(text):
    a = one(text)
    assert a.spam.score >= 0.5, a.spam
    assert a.why["spam"], a.why


@pytest.mark.parametrize(
    "text",
    [
        "Are we still meeting for lunch tomorrow?",
        "Super vidéo, merci pour les explications !",
        "The chorus of this song gives me chills every time",
    ],
)
def test_ham_is_not_spam(text):
    assert one(text).spam.score < 0.5


def test_concurrent_callers_get_the_same_answers():
    texts = [f"message {i}: you idiot, check my channel {i}" for i in range(200)]
    expected = [a.to_dict() for a in analyze(texts)]
    got: list = [None] * 4

    def work(k: int) -> None:
        got[k] = [a.to_dict() for a in analyze(texts)]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(g == expected for g in got)


def test_shipped_models_are_small_and_pickle_free():
    total = sum(p.stat().st_size for p in MODELS.rglob("*") if p.is_file())
    assert total < 50 * 1024 * 1024
    import numpy as np

    with np.load(MODELS / "default" / "weights.npz", allow_pickle=False) as npz:
        assert all(npz[k].dtype != object for k in npz.files)
