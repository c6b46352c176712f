"""The rules Parvis ships: on in the demo, offered (off) to a new workspace by the onboarding
screen. They hide insults, obscene content, hate, scams and spam; they escalate threats, legal
threats, signs of distress, defamation and personal data to a person instead of hiding them;
negative sentiment alone never hides anything: criticism stays (docs/moderation.md).

Thresholds were chosen on the comments of tests/moderation/corpus.py (precision and recall
in docs/moderation.md).
"""

from __future__ import annotations

from typing import Any

from parvis.moderation.engine import RuleSpec
from parvis.moderation.reasons import Reason

SCAM_WORDS = [
    # French
    "colis bloqué",
    "colis en attente",
    "frais de livraison",
    "frais de douane",
    "payez",
    "réglez",
    "cliquez ici",
    "cliquez sur le lien",
    "vous avez gagné",
    "gagnez",
    "gagné un iphone",
    "carte cadeau",
    "bitcoin",
    "crypto",
    "investissement",
    "doublez votre",
    "contactez-moi sur whatsapp",
    "whatsapp",
    "telegram",
    "code de vérification",
    "identifiants",
    # English
    "parcel on hold",
    "delivery fee",
    "customs fee",
    "click here",
    "claim your prize",
    "you have won",
    "you won",
    "gift card",
    "double your",
    "investment opportunity",
    "dm me on whatsapp",
    "verify your account",
]
SPAM_WORDS = [
    "abonnez-vous à ma chaîne",
    "suivez-moi",
    "follow for follow",
    "f4f",
    "check my profile",
    "subscribe to my channel",
    "promo code",
    "code promo",
    "-50% sur",
    "livraison offerte sur",
    "visit my page",
    "visitez mon site",
]
THREAT_WORDS = [
    # French
    "je vais vous tuer",
    "je vais te tuer",
    "vous allez payer",
    "on va venir",
    "je vais venir",
    "casser la gueule",
    "vous cramer",
    "brûler votre boutique",
    "faire sauter",
    "je sais où vous habitez",
    "je sais où tu habites",
    "vous allez le regretter",
    # English
    "i will kill",
    "i'll kill",
    "you will pay",
    "burn your store",
    "i know where you live",
    "you'll regret",
    "watch your back",
]
LEGAL_WORDS = [
    "avocat",
    "mon avocat",
    "porter plainte",
    "je porte plainte",
    "plainte",
    "tribunal",
    "mise en demeure",
    "poursuites",
    "dgccrf",
    "60 millions de consommateurs",
    "lawyer",
    "attorney",
    "sue you",
    "lawsuit",
    "legal action",
    "small claims",
]
DISTRESS_WORDS = [
    "me suicider",
    "suicide",
    "en finir",
    "me tuer",
    "plus envie de vivre",
    "je veux mourir",
    "kill myself",
    "end it all",
    "want to die",
    "self harm",
]
DEFAMATION_WORDS = [
    "escrocs",
    "escroquerie",
    "voleurs",
    "arnaqueurs",
    "mafia",
    "criminels",
    "crooks",
    "thieves",
    "fraudsters",
    "criminals",
]


def rule(
    name: str,
    reason: str,
    conditions: list[dict[str, Any]],
    actions: list[dict[str, Any]],
    **kw: Any,
) -> RuleSpec:
    return RuleSpec(name=name, conditions=conditions, actions=actions, reason=reason, **kw)


def default_rules(escalate_to: str = "manager") -> list[RuleSpec]:
    escalate = {"kind": "escalate", "role": escalate_to}
    return [
        # Escalated first: a threat written with insults must reach a person, not be hidden.
        rule(
            "Menaces → escalade / Threats",
            Reason.THREAT,
            [{"kind": "words", "words": THREAT_WORDS}],
            [escalate, {"kind": "tag", "name": "menace"}],
        ),
        rule(
            "Menace de détresse → escalade / Distress",
            Reason.DISTRESS,
            [{"kind": "words", "words": DISTRESS_WORDS}],
            [escalate, {"kind": "tag", "name": "détresse"}],
        ),
        rule(
            "Menaces juridiques → escalade / Legal threats",
            Reason.LEGAL_THREAT,
            [{"kind": "words", "words": LEGAL_WORDS}],
            [escalate, {"kind": "tag", "name": "juridique"}],
            continue_after=True,
        ),
        rule(
            "Données personnelles → escalade / Personal data",
            Reason.PERSONAL_DATA,
            [{"kind": "contains", "what": "phone"}],
            [{"kind": "review"}, escalate],
            continue_after=True,
        ),
        rule(
            "Arnaques / Scams",
            Reason.SCAM,
            [{"kind": "words", "words": SCAM_WORDS}, {"kind": "contains", "what": "link"}],
            [{"kind": "hide"}],
        ),
        rule(
            "Arnaques sans lien, à vérifier / Scams without a link",
            Reason.SCAM,
            [
                {"kind": "words", "words": SCAM_WORDS},
                {"kind": "score", "name": "spam", "min": 0.9, "review_min": 0.0},
            ],
            [{"kind": "hide"}],
        ),
        rule(
            "Spam et publicité / Spam",
            Reason.SPAM,
            [{"kind": "score", "name": "spam", "min": 0.85, "review_min": 0.6}],
            [{"kind": "hide"}],
        ),
        rule(
            "Spam (mots) / Spam words",
            Reason.SPAM,
            [{"kind": "words", "words": SPAM_WORDS}],
            [{"kind": "hide"}],
        ),
        rule(
            "Contenu obscène / Obscene",
            Reason.OBSCENE,
            [{"kind": "score", "name": "obscene", "min": 0.7, "review_min": 0.45}],
            [{"kind": "hide"}],
        ),
        rule(
            "Haine / Hate",
            Reason.HATE,
            [{"kind": "score", "name": "hate", "min": 0.75, "review_min": 0.5}],
            [{"kind": "hide"}],
        ),
        rule(
            "Insultes / Insults",
            Reason.INSULT,
            [{"kind": "score", "name": "insult", "min": 0.75, "review_min": 0.5}],
            [{"kind": "hide"}],
        ),
        rule(
            "Diffamation possible → revue / Possible defamation",
            Reason.DEFAMATION,
            [{"kind": "words", "words": DEFAMATION_WORDS}],
            [{"kind": "review"}],
        ),
    ]
