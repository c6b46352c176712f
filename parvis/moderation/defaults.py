"""The rules Parvis ships: on in the demo, offered (off) to a new workspace by the onboarding
screen. They hide insults, obscene content, hate, scams and spam; they escalate threats, legal
threats, signs of distress, defamation and personal data to a person instead of hiding them;
negative sentiment alone never hides anything: criticism stays (docs/moderation.md).

Thresholds and word lists were chosen on the « tuning » half of the labelled comments of
tests/moderation/corpus.py; precision and recall on the held-out half and on the whole set are
in docs/moderation.md (`python benchmarks/moderation_rules.py`).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import pgettext_lazy

from parvis.moderation.engine import RuleSpec
from parvis.moderation.reasons import Reason


def variants(words: list[str]) -> list[str]:
    """Each phrase with a straight apostrophe also with the typographic one (U+2019), which phones
    type: the engine folds case and accents, not apostrophes."""
    out = list(words)
    out += [w.replace("'", "\u2019") for w in words if "'" in w]
    return out


# Words customers also use in legitimate complaints (« frais de livraison », « delivery
# fee », « customs fee ») are left out: a scam word without a link sends the comment to review.
SCAM_WORDS = variants(
    [
        # French
        "colis bloqué",
        "colis est bloqué",
        "colis en attente",
        "payez",
        "réglez",
        "cliquez ici",
        "cliquez sur le lien",
        "vous avez gagné",
        "vous avez été sélectionné",
        "vous avez été sélectionnée",
        "gagnez",
        "gagné un iphone",
        "carte cadeau",
        "confirmez votre carte",
        "entrez votre carte",
        "coordonnées bancaires",
        "mettez à jour votre adresse",
        "bitcoin",
        "crypto",
        "investissement",
        "doublez votre",
        "contactez-moi sur whatsapp",
        "whatsapp",
        "telegram",
        "code de vérification",
        "identifiants",
        "réclamez",
        "confirmez vos coordonnées",
        # English
        "parcel on hold",
        "parcel is on hold",
        "pay the customs",
        "click here",
        "claim your prize",
        "you have won",
        "you won",
        "gift card",
        "double your",
        "investment opportunity",
        "dm me on whatsapp",
        "verify your account",
        "claim yours",
        "confirm your card",
        "card details",
        "send eth",
        "eth back",
        "btc back",
    ]
)
SPAM_WORDS = variants(
    [
        "abonnez-vous à ma chaîne",
        "abonne-toi",
        "suivez-moi",
        "follow for follow",
        "follow back",
        "f4f",
        "l4l",
        "check my profile",
        "subscribe to my channel",
        "-50% sur",
        "livraison offerte sur",
        "visit my page",
        "visitez mon site",
        "passez voir ma page",
        "lien dans ma bio",
        "lien en bio",
        "link in bio",
        "buy followers",
        "free followers",
        "gagnez des abonnés",
        "acheter des abonnés",
        "placement de produit",
        "cheap followers",
        "abonnés réels",
        "travail à domicile",
        "sans expérience",
        "work from home",
        "no experience needed",
        "dm us for a collab",
        "feature page",
    ]
)
# Insults aimed at a person (staff, the brand's people, other commenters), in the spellings
# people use to get past filters. Swearing at a situation (« putain de retard », « merde,
# encore cassé », « damn ») is not here: criticism stays.
INSULT_WORDS = variants(
    [
        # French
        "connard",
        "connards",
        "connarde",
        "connasse",
        "connasses",
        "conard",
        "conards",
        "c0nnard",
        "c0nnards",
        "c0nnasse",
        "conn4rd",
        "enculé",
        "enculés",
        "enculée",
        "enculer",
        "encule",
        "enc*lé",
        "salope",
        "salopes",
        "sal0pe",
        "pute",
        "putes",
        "fils de pute",
        "fdp",
        "ntm",
        "nique ta mère",
        "pétasse",
        "pouffiasse",
        "abruti",
        "abrutis",
        "abrutie",
        "crétin",
        "crétins",
        "crétine",
        "bouffon",
        "bouffons",
        "b0uffon",
        "b0uffons",
        "tocard",
        "tocards",
        "trou du cul",
        "ta gueule",
        "ferme ta gueule",
        "fermez vos gueules",
        "gros porc",
        "grosse vache",
        "grosse merde",
        "sale con",
        "sale conne",
        "pauvre con",
        "pauvre conne",
        "pauvres cons",
        "gros con",
        "gros cons",
        "bande de cons",
        "bande de nazes",
        "t'es con",
        "t'es vraiment con",
        "tu es con",
        "vous êtes des cons",
        "bande d'idiots",
        "bande d'abrutis",
        "une idiote",
        "un idiot",
        "des idiots",
        "imbécile",
        "imbéciles",
        "débiles profonds",
        # English
        "idiots",
        "moron",
        "morons",
        "asshole",
        "assholes",
        "a**hole",
        "dumbass",
        "bitch",
        "b*tch",
        "dickhead",
        "jackass",
        "fuck you",
        "f*ck you",
        "fck you",
        "go fuck yourself",
        "shut up you",
    ]
)
# Slurs and stock phrases of hate, and the groups hate speech targets (these only with a
# hate score: « un couple gay dans votre pub, bravo » must stay).
HATE_WORDS = variants(
    [
        "bougnoule",
        "bougnoules",
        "bicot",
        "bicots",
        "youpin",
        "youpins",
        "négro",
        "négros",
        "pédé",
        "pédés",
        "tarlouze",
        "tarlouzes",
        "gouine",
        "gouines",
        "sale race",
        "sales races",
        "race inférieure",
        "grand remplacement",
        "remigration",
        "la france aux français",
        "retourne dans ton pays",
        "retournez dans votre pays",
        "rentrez chez vous",
        "go back to your country",
        "nigger",
        "niggers",
        "faggot",
        "faggots",
        "kike",
        "kikes",
        "tranny",
        "subhuman",
        "vermin",
        "vermine",
    ]
)
GROUP_WORDS = [
    "juif",
    "juifs",
    "juive",
    "juives",
    "arabe",
    "arabes",
    "musulman",
    "musulmans",
    "musulmane",
    "musulmanes",
    "les noirs",
    "personnes noires",
    "femme noire",
    "homme noir",
    "migrant",
    "migrants",
    "immigré",
    "immigrés",
    "étrangers",
    "homo",
    "homos",
    "homosexuels",
    "gay",
    "gays",
    "lesbienne",
    "lesbiennes",
    "trans",
    "roms",
    "jews",
    "jewish",
    "muslim",
    "muslims",
    "arabs",
    "black people",
    "immigrants",
    "migrants",
    "gay people",
    "gays",
    "lesbians",
    "trans people",
]
OBSCENE_WORDS = [
    "nudes",
    "nude",
    "onlyfans",
    "mym",
    "porn",
    "porno",
    "xxx",
    "plan cul",
    "plans cul",
    "rencontres coquines",
    "sexe gratuit",
    "vidéos hot",
    "photos hot",
    "cam girl",
    "camgirl",
    "nsfw",
    "🔞",
    "horny",
    "spicy content",
    "send nudes",
]
THREAT_WORDS = variants(
    [
        # French
        "je vais vous tuer",
        "je vais te tuer",
        "je vais le tuer",
        "je vais la tuer",
        "vous allez payer",
        "on va venir",
        "je vais venir",
        "casser la gueule",
        "péter la gueule",
        "faire la peau",
        "vous cramer",
        "mettre le feu",
        "brûler votre boutique",
        "faire sauter",
        "je sais où vous habitez",
        "je sais où tu habites",
        "je sais où travaille",
        "je vous attendrai",
        "je t'attendrai",
        "on vous attend devant",
        "vous êtes morts",
        "t'es mort",
        "vous allez le regretter",
        "tu vas le regretter",
        # English
        "i will kill",
        "i'll kill",
        "gonna kill",
        "you will pay",
        "make you pay",
        "burn your store",
        "burn it down",
        "i know where you live",
        "i know where your",
        "you'll regret",
        "watch your back",
        "you're dead",
        "i'm going to find you",
    ]
)
LEGAL_WORDS = [
    "avocat",
    "mon avocat",
    "porter plainte",
    "je porte plainte",
    "plainte",
    "tribunal",
    "en justice",
    "mise en demeure",
    "poursuites",
    "dgccrf",
    "répression des fraudes",
    "que choisir",
    "médiateur de la consommation",
    "60 millions de consommateurs",
    "lawyer",
    "attorney",
    "sue you",
    "lawsuit",
    "legal action",
    "small claims",
    "trading standards",
]
DISTRESS_WORDS = variants(
    [
        "me suicider",
        "suicide",
        "suicidaire",
        "en finir",
        "me tuer",
        "plus envie de vivre",
        "je veux mourir",
        "envie de disparaître",
        "plus la force de continuer",
        "plus la force de vivre",
        "mettre fin à mes jours",
        "kill myself",
        "end it all",
        "want to die",
        "end my life",
        "ending my life",
        "take my own life",
        "don't want to be here anymore",
        "don't want to live",
        "no reason to live",
        "self harm",
    ]
)
# Someone's private details given away: the comment stays until a person looks (review), the
# escalation says why. Phone numbers and e-mail addresses are found by the engine.
PERSONAL_DATA_WORDS = variants(
    [
        "habite au",
        "son adresse",
        "adresse perso",
        "adresse personnelle",
        "numéro perso",
        "son numéro perso",
        "son portable",
        "numéro de carte",
        "home address",
        "lives at",
        "his number",
        "her number",
        "private number",
        "personal number",
        "card number",
    ]
)
# Customers write these too (« code promo refusé au paiement ») : alone they send a comment to
# review, with a high spam score they hide it.
PROMO_WORDS = ["code promo", "codes promo", "promo code", "discount code", "code de réduction"]
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


def has_words(words: list[str]) -> dict[str, Any]:
    return {"kind": "words", "words": words}


def score_at(name: str, at: float, review_from: float) -> dict[str, Any]:
    """The analysis' `name` score: acted on from `at`, sent to review from `review_from`."""
    return {"kind": "score", "name": name, "min": at, "review_min": review_from}


def tag(name: str) -> dict[str, Any]:
    return {"kind": "tag", "name": name}


def default_rules(escalate_to: str = "manager") -> list[RuleSpec]:
    """The shipped rules, in order. Escalations come first: a threat written with insults
    must reach a person, not only be hidden. Then the rules that hide, the surest first
    (word lists of unambiguous abuse, then the scores of the text analysis); a score between
    a rule's review and action thresholds sends the comment to the review queue. Nothing
    hides on negative sentiment, nor on swearing that is aimed at no one."""
    escalate = {"kind": "escalate", "role": escalate_to}
    hide = {"kind": "hide"}
    return [
        rule(
            pgettext_lazy("moderation rule", "Threats → escalate"),
            Reason.THREAT,
            [has_words(THREAT_WORDS)],
            [escalate, tag("menace")],
        ),
        rule(
            pgettext_lazy("moderation rule", "Threats by score → escalate"),
            Reason.THREAT,
            [score_at("threat", 0.6, 0.4)],
            [escalate, tag("menace")],
        ),
        rule(
            pgettext_lazy("moderation rule", "Distress → escalate"),
            Reason.DISTRESS,
            [has_words(DISTRESS_WORDS)],
            [escalate, tag("détresse")],
        ),
        rule(
            pgettext_lazy("moderation rule", "Legal threats → escalate"),
            Reason.LEGAL_THREAT,
            [has_words(LEGAL_WORDS)],
            [escalate, tag("juridique")],
            continue_after=True,
        ),
        rule(
            pgettext_lazy("moderation rule", "Personal data → escalate"),
            Reason.PERSONAL_DATA,
            [{"kind": "contains", "what": "phone"}],
            [{"kind": "review"}, escalate],
            continue_after=True,
        ),
        rule(
            pgettext_lazy("moderation rule", "E-mail addresses → escalate"),
            Reason.PERSONAL_DATA,
            # Mastodon handles (@name@instance.social) read as e-mail addresses.
            [
                {"kind": "contains", "what": "email"},
                {"kind": "network", "in": ["mastodon"], "not": True},
            ],
            [{"kind": "review"}, escalate],
            continue_after=True,
        ),
        rule(
            pgettext_lazy("moderation rule", "Someone's details → escalate"),
            Reason.PERSONAL_DATA,
            [has_words(PERSONAL_DATA_WORDS)],
            [{"kind": "review"}, escalate],
            continue_after=True,
        ),
        rule(
            pgettext_lazy("moderation rule", "Scams"),
            Reason.SCAM,
            [has_words(SCAM_WORDS), {"kind": "contains", "what": "link"}],
            [hide],
        ),
        rule(
            pgettext_lazy("moderation rule", "Scams without a link, to check"),
            Reason.SCAM,
            [
                has_words(SCAM_WORDS),
                score_at("spam", 0.9, 0.0),
            ],
            [hide],
        ),
        rule(
            pgettext_lazy("moderation rule", "Spam and advertising"),
            Reason.SPAM,
            [score_at("spam", 0.7, 0.45)],
            [hide],
        ),
        rule(
            pgettext_lazy("moderation rule", "Spam (words)"),
            Reason.SPAM,
            [has_words(SPAM_WORDS)],
            [hide],
        ),
        rule(
            pgettext_lazy("moderation rule", "Promo codes, to check"),
            Reason.SPAM,
            [
                has_words(PROMO_WORDS),
                score_at("spam", 0.7, 0.0),
            ],
            [hide],
        ),
        rule(
            pgettext_lazy("moderation rule", "Insults (words)"),
            Reason.INSULT,
            [has_words(INSULT_WORDS)],
            [hide],
        ),
        rule(
            pgettext_lazy("moderation rule", "Hate (words)"),
            Reason.HATE,
            [has_words(HATE_WORDS)],
            [hide],
        ),
        rule(
            pgettext_lazy("moderation rule", "Hate against a group"),
            Reason.HATE,
            [
                has_words(GROUP_WORDS),
                score_at("hate", 0.5, 0.35),
            ],
            [hide],
        ),
        rule(
            pgettext_lazy("moderation rule", "Toxic words about a group"),
            Reason.HATE,
            [
                has_words(GROUP_WORDS),
                score_at("toxicity", 0.85, 0.6),
            ],
            [hide],
        ),
        rule(
            pgettext_lazy("moderation rule", "Obscene content (words)"),
            Reason.OBSCENE,
            [has_words(OBSCENE_WORDS)],
            [hide],
        ),
        rule(
            pgettext_lazy("moderation rule", "Obscene content (score)"),
            Reason.OBSCENE,
            [score_at("obscene", 0.9, 0.6)],
            [hide],
        ),
        rule(
            pgettext_lazy("moderation rule", "Hate (score)"),
            Reason.HATE,
            [score_at("hate", 0.75, 0.5)],
            [hide],
        ),
        rule(
            pgettext_lazy("moderation rule", "Insults (score)"),
            Reason.INSULT,
            [score_at("insult", 0.75, 0.7)],
            [hide],
        ),
        rule(
            pgettext_lazy("moderation rule", "Possible defamation → review"),
            Reason.DEFAMATION,
            [has_words(DEFAMATION_WORDS)],
            [{"kind": "review"}],
        ),
    ]
