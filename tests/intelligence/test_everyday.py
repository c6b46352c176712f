"""Everyday signals (parvis.intelligence.everyday) through ``analyze``: idioms, negation,
emoji, sarcasm, friendly swearing, civil criticism, hate that needs a target, scams.

The examples here are written for these tests; the everyday set's ``held`` half, never read
while writing the rules, is scored at the end."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from parvis.intelligence import analyze

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))


def one(text: str):
    return analyze([text])[0]


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Franchement, pas mal du tout", "positive"),
        ("not bad at all", "positive"),
        ("trop bien ce resto", "positive"),
        ("Le nouveau menu est au top", "positive"),
        ("Livraison nickel", "positive"),
        ("validé ✅✅", "positive"),
        ("the new album slaps", "positive"),
        ("She kills it on stage every night", "positive"),
        ("the sequel was mid", "negative"),
        ("pas top du tout ce service", "negative"),
        ("Je ne suis pas satisfait", "negative"),
        ("je suis trop déçue 😞", "negative"),
        ("merci 🥰", "positive"),
        ("ok 🙄", "negative"),
        ("Super, encore une commande perdue 🙃", "negative"),
        ("Oh great, my order is three weeks late", "negative"),
        ("À quelle heure ouvre la boutique demain ?", "neutral"),
        ("Is the blue one still available?", "neutral"),
        ("C'est correct, sans plus", "neutral"),
    ],
)
def test_everyday_sentiment(text, label):
    assert one(text).sentiment.label == label, one(text).sentiment


@pytest.mark.parametrize(
    "text",
    [
        "putain c'est trop bon",
        "Putain mais ils sont trop forts chez vous 😍",
        "holy shit, this is amazing",
        "fucking love this place",
        "This band kills it live",
        # Harsh but civil criticism.
        "Your service was slow and the staff seemed uninterested, very disappointing",
        "Le produit est cher, fragile et le SAV ne répond pas : je ne recommande pas",
        "Honestly the worst update you've ever shipped",
    ],
)
def test_not_toxic(text):
    a = one(text)
    assert a.toxicity.score < 0.5, a.toxicity


@pytest.mark.parametrize(
    "text",
    [
        "Vous êtes une bande d'escrocs",
        "ferme ta gueule connard",
        "you are a bunch of liars",
    ],
)
def test_insults_still_toxic(text):
    assert one(text).toxicity.score >= 0.5


@pytest.mark.parametrize(
    "text",
    [
        "Le terrorisme a encore frappé, trois morts à l'aéroport",  # news, no group targeted
        "This company is a criminal organisation, boycott them",
        "Les politiciens sont tous corrompus",
    ],
)
def test_hate_needs_an_identity_target(text):
    assert one(text).toxicity.categories["hate"] < 0.5


@pytest.mark.parametrize(
    "text",
    [
        "Les immigrés dehors, ils détruisent tout",
        "Muslims are all terrorists, send them back",
    ],
)
def test_hate_against_a_group(text):
    assert one(text).toxicity.categories["hate"] >= 0.5


@pytest.mark.parametrize(
    "text",
    [
        "Votre colis est bloqué, payez 1,99 € pour la livraison : http://relivraison-colis.co",
        "Chronopost : colis en attente, frais de 2,50€ à régler ici",
        "Job à domicile 250€/jour, aucune expérience, contacte-moi en MP",
        "Grâce au bitcoin j'ai multiplié mes gains par 20, contactez @crypto_guru",
        "FÉLICITATIONS 🎉 vous avez gagné une carte cadeau de 500€, cliquez sur le lien",
        "follow pour follow, je rends tout 🔁",
        "2000 abonnés pour 5€ seulement, lien en bio",
        "Your account has been suspended, click here to verify: http://secure-login.example",
    ],
)
def test_scams_are_spam(text):
    a = one(text)
    assert a.spam.score >= 0.5, a.spam
    assert a.sentiment.label != "negative"


@pytest.mark.parametrize(
    "text",
    [
        "Mon colis est bloqué à la douane depuis lundi, vous pouvez m'aider ?",
        "Qui a gagné le concours de la semaine dernière ?",
        "Your customer service is a joke, no reply in 12 days",
    ],
)
def test_ordinary_messages_are_not_spam(text):
    assert one(text).spam.score < 0.5


def test_held_half_of_the_everyday_set():
    """The half never read while writing the rules (labels written before any scoring)."""
    from everyday import load, parvis_predict, score

    res = score(load("held"), parvis_predict)
    assert res["sentiment"] >= 0.75, res
    assert res["spam"] >= 0.9 and res["toxic"] >= 0.9 and res["hate"] >= 0.95, res
