"""Everyday signals of brand mentions, in French and English, that the tweet-trained heads miss.

The sentiment heads learnt from political and news tweets (DEFT, SemEval): they call a
question negative, do not know « nickel », « validé » or « slaps », and miss sarcasm; the
toxicity heads flag friendly swearing (« putain c'est trop bon ») and figurative violence
(« kills it »); no French spam set exists. These rules are written by the project, read
from what a community manager sees every day, and tested on examples kept apart from the
ones they were written with (``benchmarks/everyday``: ``dev`` read, ``held`` never tuned on).

``read(raw, norm, toks)`` returns an ``Everyday``: a valence (positive > 0) with its
evidence, flags (sarcasm, question, lukewarm, figurative, positive profanity, accusation,
identity target, hostility toward a group) and the scam patterns that matched. The backend
combines them with the heads (``cpu_backend``). Everything matches the normalised text
(lower case, accents folded, links → ``httpurl``, mentions → ``@user``).

Emoji: the Emoji Sentiment Ranking (``data/emoji_sentiment.tsv``, 751 emoji of 2015) gives
the valence; emoji it does not know (🥰, 🤩, 🙄, 🫶...) get one from the words of their Unicode
name (``emoji`` package), by the short list ``_EMOJI_NAME_WORDS`` below.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

# -- word valences (folded spelling) ------------------------------------------------------
# Small, everyday lists: words whose polarity hardly depends on context in a comment about
# a brand. Weights: 1 ordinary, 1.5 strong.
_POSITIVE = {
    # French
    "top": 1,
    "super": 1,
    "genial": 1.5,
    "geniale": 1.5,
    "parfait": 1.5,
    "parfaite": 1.5,
    "adore": 1.5,
    "adorer": 1.5,
    "adoree": 1.5,
    "aime": 1,
    "kiffe": 1.5,
    "chouette": 1,
    "excellent": 1.5,
    "excellente": 1.5,
    "bravo": 1,
    "merci": 0.7,
    "magnifique": 1.5,
    "sublime": 1.5,
    "incroyable": 1,
    "recommande": 1,
    "fan": 1,
    "impeccable": 1.5,
    "irreprochable": 1.5,
    "nickel": 1.5,
    "valide": 1,
    "style": 0.7,
    "stylee": 1,
    "ouf": 1,
    "canon": 1,
    "tuerie": 1.5,
    "bonheur": 1.5,
    "delicieux": 1.5,
    "delicieuse": 1.5,
    "bon": 0.7,
    "bonne": 0.7,
    "belle": 1,
    "beau": 1,
    "content": 1,
    "contente": 1,
    "ravi": 1.5,
    "ravie": 1.5,
    "satisfait": 1,
    "satisfaite": 1,
    "rapide": 0.7,
    "soigne": 1,
    "soignee": 1,
    "meilleur": 1,
    "meilleure": 1,
    "cool": 1,
    "sympa": 1,
    "formidable": 1.5,
    "extra": 1,
    "regal": 1.5,
    "divinement": 1.5,
    "adorable": 1.5,
    "pepite": 1.5,
    "plaisir": 1,
    "conforme": 0.7,
    "assure": 0.7,
    "craque": 0.7,
    "decouverte": 0.7,
    "qualite": 0.5,
    # English
    "love": 1.5,
    "loved": 1.5,
    "loving": 1,
    "amazing": 1.5,
    "great": 1,
    "awesome": 1.5,
    "perfect": 1.5,
    "perfectly": 1,
    "best": 1,
    "good": 1,
    "beautiful": 1.5,
    "beautifully": 1,
    "gorgeous": 1.5,
    "fantastic": 1.5,
    "wonderful": 1.5,
    "recommend": 1,
    "thanks": 0.7,
    "thank": 0.7,
    "obsessed": 1.5,
    "incredible": 1.5,
    "brilliant": 1.5,
    "superb": 1.5,
    "lovely": 1.5,
    "delicious": 1.5,
    "quick": 0.5,
    "happy": 1,
    "glad": 1,
    "impressed": 1,
    "goated": 1.5,
    "vibe": 1,
    "unreal": 1,
    "wow": 1,
    "nice": 1,
    "excellent_en": 1,
}
_NEGATIVE = {
    # French
    "nul": 1.5,
    "nulle": 1.5,
    "decu": 1.5,
    "decue": 1.5,
    "decevant": 1.5,
    "deception": 1.5,
    "lamentable": 1.5,
    "catastrophe": 1.5,
    "honte": 1.5,
    "arnaque": 1.5,
    "horrible": 1.5,
    "pire": 1.5,
    "mauvais": 1,
    "mauvaise": 1,
    "cher": 0.7,
    "casse": 1,
    "cassee": 1,
    "perdu": 1,
    "abusif": 1,
    "abusifs": 1,
    "pretentieux": 1,
    "pretentieuse": 1,
    "deplorable": 1.5,
    "inadmissible": 1.5,
    "inacceptable": 1.5,
    "scandaleux": 1.5,
    "degoute": 1.5,
    "degoutee": 1.5,
    "enerve": 1,
    "enervee": 1,
    "bof": 1,
    "dommage": 1,
    "regrette": 1,
    "plante": 0.7,
    "annulee": 1,
    "annule": 1,
    "refuse": 1,
    "ecrase": 1,
    "noyee": 1,
    "terrible_fr": 1,
    "desabonne": 1,
    "lente": 0.7,
    "lent": 0.7,
    "tiede": 1,
    "cassees": 1,
    "moyen": 0.7,
    "degueulasse": 1.5,
    # English
    "terrible": 1.5,
    "awful": 1.5,
    "worst": 1.5,
    "bad": 1,
    "disappointed": 1.5,
    "disappointing": 1.5,
    "broken": 1,
    "poor": 1,
    "overpriced": 1.5,
    "underwhelming": 1.5,
    "expensive": 0.7,
    "joke": 1,
    "disaster": 1.5,
    "rude": 1.5,
    "slow": 1,
    "lost": 0.7,
    "meh": 1.5,
    "mid": 1.5,
    "hate": 1.5,
    "worse": 1.5,
    "crashes": 1,
    "useless": 1.5,
    "scam": 1.5,
    "denied": 1,
    "lukewarm": 1,
    "absurd": 1,
    "pretentious": 1,
    "fault": 1,
    "disgusting": 1.5,
    "unfollowing": 1,
    "ruined": 1.5,
    "waste": 1,
    "drowned": 1,
    "crushed": 1,
    "pathetic_en": 1,
}
_NEGATORS = frozenset(
    [
        "pas",
        "jamais",
        "rien",
        "aucun",
        "aucune",
        "sans",
        "not",
        "no",
        "never",
        "nothing",
        "without",
        "dont",
        "doesnt",
        "didnt",
        "isnt",
        "wasnt",
        "cant",
        "cannot",
        "wont",
        "aint",
        "nt",
    ]
)
# French "pas"/"jamais" may follow the word they negate: « je regrette pas », « décu jamais ».
_NEGATORS_AFTER = frozenset(("pas", "jamais"))
_INTENSIFIERS = frozenset(
    [
        "trop",
        "tres",
        "vraiment",
        "grave",
        "hyper",
        "tellement",
        "vachement",
        "super",
        "so",
        "really",
        "very",
        "insanely",
        "absolutely",
        "totally",
        "extremely",
        "damn",
        "fucking",
        "truly",
        "highly",
    ]
)

# -- phrases ---------------------------------------------------------------------------------
_IDIOMS_POS = [
    r"au top",
    r"c'?est (?:le |au )?top",
    r"(?:je )?valide",
    r"ca (?:dechire|claque|dechire grave)",
    r"une tuerie",
    r"c'?est ouf",
    r"de ouf",
    r"trop (?:bien|bon|bonne|beau|belle|chouette|cool)",
    r"rien a (?:re)?dire",
    r"je (?:vous )?recommande",
    r"pas mal",
    r"que du bonheur",
    r"je suis fan",
    r"coup de coeur",
    r"un regal",
    r"(?:ils|elles|vous) (?:ont|avez) (?:vraiment )?assure",
    r"kills? it",
    r"killed it",
    r"slaps",
    r"slay(?:s|ed)?",
    r"goated",
    r"never misse?s?",
    r"chef'?s kiss",
    r"10/10",
    r"five stars",
    r"5 stars",
    r"a vibe",
    r"hits different",
    r"can'?t fault",
    r"no complaints",
    r"hands down",
    r"highly recommend",
    r"would buy again",
    r"not bad",
    r"so good",
    r"insanely good",
    r"can'?t stop (?:buying|using|wearing)",
    r"lowkey the best",
    r"sorted",
    r"regrette pas",
    r"regrette pas une seconde",
]
_IDIOMS_NEG = [
    r"merci pour rien",
    r"plus jamais",
    r"pas terrible",
    r"pas top",
    r"pas au niveau",
    r"foutage de gueule",
    r"n'?importe quoi",
    r"je m'?attendais a mieux",
    r"ca craint",
    r"toujours pas (?:recu|livre|de reponse|eu)",
    r"aucune reponse",
    r"personne ne (?:repond|rappelle)",
    r"ne repond(?:ent)? jamais",
    r"thanks for nothing",
    r"never again",
    r"not worth",
    r"zero stars",
    r"(?:i'?m|i am) done with",
    r"a joke",
    r"waste of money",
    r"rip ?off",
    r"not impressed",
    r"still waiting",
    r"still not",
    r"no reply",
    r"nobody answers",
    r"never (?:ordering|buying) again",
    r"used to be (?:good|great|better)",
    r"non merci",
    r"no thanks",
    r"je ne commanderai plus",
    r"je me desabonne",
    r"moins bonne?s? qu'?avant",
    r"ne sent rien",
    r"(?:ca|ça) fait \d+ (?:minutes|jours|semaines)",
    r"not great",
    r"if i could",
]
# Neither praise nor complaint: « correct, sans plus », « nothing special ».
_LUKEWARM = [r"sans plus", r"nothing special", r"it'?s (?:ok|okay)\b", r"c'?est correct"]
# Sarcasm: a cheer next to a complaint (« Génial, 3 semaines pour une bougie »), eye-rolls.
_CHEER = (
    r"(?:^|[.!] )(?:genial|super|bravo|merci|ah bah bravo|top|oh great|great|wow|amazing|"
    r"thanks(?: a lot)?|love|j'adore)\b|vraiment top le|bravo la|bravo le|j'adore attendre|"
    r"love waiting|(?:really|vraiment)\.$"
)
_COMPLAINT = (
    r"\b\d+ (?:minutes|min|heures|jours|semaines|mois|hours|days|weeks|months)\b|"
    r"\b(?:trois|deux|quatre) semaines|\b(?:three|two|four) weeks|encore un|another|"
    r"cass[ee]|ecras[ee]|broken|crushed|pluie|in the rain|voisin|neighbou?r|tiede|lukewarm|"
    r"fermee?|closed|attendre|waiting|pour rien|for nothing|logistique|logistics"
)
_EYE_ROLL = frozenset("🙄🙃😒")
_EMOTICONS = {
    ":)": 1.0,
    ":-)": 1.0,
    ":d": 1.0,
    ";)": 0.7,
    ":p": 0.5,
    "<3": 1.5,
    "xd": 0.7,
    "^^": 1.0,
    ":(": -1.0,
    ":-(": -1.0,
    ":'(": -1.0,
    ":/": -0.7,
    ">:(": -1.5,
}
_EMOTICON_RX = re.compile(
    r"(?<![\w:])(?:>:\(|:-?\)|:-?\(|:'\(|:d\b|;\)|:p\b|<3|\bxd\b|\^\^|:/(?!/))"
)
# Unicode-name words of emoji the ranking lacks (🥰 smiling face with hearts...).
_EMOJI_NAME_WORDS = {
    "heart": 0.6,
    "hearts": 0.6,
    "smiling": 0.5,
    "grinning": 0.5,
    "star-struck": 0.7,
    "party": 0.5,
    "partying": 0.6,
    "hugging": 0.5,
    "kiss": 0.4,
    "sparkles": 0.3,
    "thumbs_up": 0.5,
    "clapping": 0.4,
    "rolling_eyes": -0.6,
    "upside-down": -0.3,
    "angry": -0.6,
    "pouting": -0.6,
    "crying": -0.4,
    "frowning": -0.5,
    "vomiting": -0.7,
    "nauseated": -0.6,
    "unamused": -0.5,
    "thumbs_down": -0.6,
    "skull": -0.1,
    "pleading": 0.2,
    "melting": -0.1,
    "exploding": -0.2,
    "cursing": -0.6,
    "symbols_on_mouth": -0.6,
}

# -- toxicity context ------------------------------------------------------------------------
# Swearing that intensifies rather than insults when the rest is praise.
SWEARS = frozenset(
    [
        "putain",
        "bordel",
        "merde",
        "fuck",
        "fucking",
        "fucked",
        "shit",
        "damn",
        "holy",
        "purée",
        "puree",
    ]
)
# Figurative violence and slang praise.
_FIGURATIVE = re.compile(
    r"\b(?:kills? it|killed it|killing it|slaps|slay(?:s|ed)?|fire|bomb|une tuerie|tuerie|"
    r"ca dechire|dechire grave|de ouf|c'?est ouf|mortel|a tomber)\b"
)
# Accusations addressed to the brand or a person: insults the word lists lack.
_ACCUSATION = re.compile(
    r"\b(?:bande d[e']|vous etes des|tu es un|t'es un|you(?: are|'re) a|bunch of|espece d[e'])"
    r"\s*(?:\w+ ){0,2}(?:voleurs?|escrocs?|menteurs?|incompetents?|bouffons|thieves|scammers|"
    r"liars|frauds?|crooks|clowns|morons|idiots|guignols)\b"
)
# A group a hateful statement can target (identity, not opinion).
_IDENTITY = (
    r"arabes?|juifs?|juives?|noirs?|noires?|musulmans?|musulmanes?|immigres?|immigrees?|migrants?|"
    r"etrangers?|africains?|asiatiques?|chinois|roms?|gitans?|homos?|gays?|lesbiennes?|trans|"
    r"femmes?|voilees?|feujs?|renois|rebeus?|blacks?|jews?|jewish|muslims?|islam|immigrants?|"
    r"refugees?|refugies?|foreigners?|mexicans?|africans?|asians?|chinese|gays?|lesbians?|"
    r"transgender|women|woman|girls|blacks|latinos?|"
    # Words that name or insult the group themselves: gendered slurs (hate against women,
    # as HatEval defines it) and the words and tags of anti-immigrant campaigns (the most
    # frequent of HatEval's hateful train tweets that named no group otherwise).
    r"bitch(?:es)?|hoes?|whores?|sluts?|skanks?|illegals|illegal aliens|aliens|invaders|"
    r"deport\w*|buildthewall|buildthatwall|noamnesty|nodaca|clandestins?|remigration|"
    # Slurs name their target themselves.
    r"nigg\w*|negro\w*|negres?|fags?|faggots?|kikes?|spics?|wetbacks?|towelheads?|trann(?:y|ies)|"
    r"bougnoules?|youpins?|bicots?|chinetoques?|pedes?|tapettes?|gouines?|bamboulas?"
)
_IDENTITY_RX = re.compile(rf"\b(?:{_IDENTITY})\b")


# The words of _IDENTITY spelt out (a cheap gate before the regular expression).
def _spelt(pattern: str) -> frozenset[str]:
    words: set[str] = set()
    for alt in pattern.split("|"):
        if "\\" in alt or "(" in alt:
            continue  # the slur stems: _IDENTITY_PREFIXES
        if alt.endswith("s?"):
            words |= {alt[:-2], alt[:-2] + "s"}
        else:
            words.add(alt)
    return frozenset(words)


_IDENTITY_WORDS = _spelt(_IDENTITY)
_HOSTILE_TO_GROUP = re.compile(
    rf"\b(?:{_IDENTITY})\b.{{0,40}}\b(?:dehors|out|go back|rentrez|retournez|ruin\w*|"
    rf"detruis\w*|envahi\w*|invasion|remplac\w*|controlent|control everything|shouldn'?t be|"
    rf"should not be|ne devraient pas|sont tous|are all|vermine|vermin|parasites?|animals|"
    rf"animaux|plague|boycott\w*)\b|"
    rf"\b(?:dehors les|send them back|renvoyez[- ]les|sales?|dirty|filthy)\s+(?:{_IDENTITY})\b|"
    rf"\bembauche que des\b|\brun by (?:{_IDENTITY})\b"
)

# -- spam and scams --------------------------------------------------------------------------
# Each needs two cues, so an ordinary question about a parcel or a giveaway the brand runs
# is not a scam. French first, English second in each pattern.
_MONEY = r"(?:\d[\d ,.]*(?:k|m)? ?(?:€|eur|euros?|\$|usd|£)|(?:€|\$|£) ?\d[\d,.]*k?)"
_PERIOD = (
    r"(?:/ ?|par |per |a |an? |each )(?:jour|jours|day|semaine|week|mois|month|heure|hour|h)\b"
)
_SCAMS = {
    "parcel fee": rf"\b(?:colis|package|parcel|livraison|delivery|shipment)\b.{{0,120}}"
    rf"(?:\b(?:payez|payer|reglez|regler|frais|pay now|pay|fee|fees|douane|customs)\b).{{0,60}}"
    rf"(?:{_MONEY}|httpurl|ici|here)",
    "account phishing": r"\b(?:compte|account)\b.{0,40}\b(?:suspendu|suspended|bloque|locked|"
    r"desactive|disabled|ferme|closed)\b.{0,80}\b(?:verifie\w*|verify|confirm\w*|cliquez|click|"
    r"ici|here|httpurl)\b",
    "refund phishing": r"\b(?:ameli|impots|caf|paypal|remboursement|refund)\b.{0,60}"
    r"\b(?:en attente|pending|cliquez|click|recevoir|receive|claim)\b",
    "work from home": rf"(?:\b(?:travail|travailler|bosser|job|work|earn|gagne[rz]?|make|"
    rf"je gagne|i make|made)\b.{{0,40}}(?:{_MONEY}).{{0,10}}{_PERIOD}|"
    rf"(?:{_MONEY}).{{0,10}}{_PERIOD}.{{0,60}}\b(?:domicile|from home|chez (?:toi|vous|soi)|"
    rf"sans experience|no experience|dm|mp|prive|message|ask me|demande[- ]moi)\b|"
    rf"\b(?:travail|work|bosser) (?:a|from) (?:domicile|home)\b.{{0,80}}\b(?:dm|mp|message|"
    rf"contact\w*|ecri[st]\w*)|\b(?:complement de revenus?|revenus? passifs?|passive income|"
    rf"side income)\b|\b(?:demande[- ]moi comment|ask me how)\b)",
    "crypto": rf"\b(?:crypto\w*|bitcoin|btc|trading|forex|invest\w*)\b.{{0,80}}"
    rf"(?:\bmultipli\w*|\bx ?\d+\b|\bgaranti\w*|\bguaranteed|\brecupere|\bget {_MONEY}|"
    rf"{_MONEY} (?:back|en \d+)|\bcontact\w*|\bmessage (?:him|her|me))",
    "fake giveaway": r"\b(?:gagne[zr]?|win)\b.{0,40}\b(?:gratuite?s?|free|iphone|cadeau)\b.{0,60}"
    r"\b(?:clique[zr]?|click|lien|link|httpurl)\b|"
    r"(?:\b(?:concours|giveaway|felicitations|congratulations|offre \d+|"
    r"giving away|vous avez (?:ete selectionne|gagne)|you'?ve (?:been selected|won)|"
    r"you have (?:been selected|won))\b).{0,120}\b(?:reclame\w*|claim\w*|clique\w*|click|"
    r"lien|link|httpurl|bit\.ly)",
    "follow for follow": r"\b(?:follow (?:pour|for) follow|f4f|l4l|s4s|follow back|"
    r"je (?:suis|follow) tout le monde en retour|je m'?abonne au tien|i follow back|"
    r"abonne[- ]toi .{0,30} je m'?abonne)\b",
    "followers for sale": r"\b\d+k? (?:followers|abonnes|likes|vues|views)\b.{0,20}"
    rf"\b(?:pour|for)\b.{{0,10}}{_MONEY}",
    "discount shop": r"-\s?[5-9]\d ?%.{0,80}(?:httpurl|\.shop|\.store|\.net|\.com|boutique)|"
    r"\b(?:luxe|luxury|replica|pas cher|cheap)\b.{0,60}(?:httpurl|www\.|\.shop|\.net)",
    "channel plug": r"\b(?:check out|checkout|abonnez[- ]vous a|subscribe to) (?:my|ma|mon)\b"
    r"|\bsubscribe!|\babonnez[- ]vous\b.{0,30}\bma chaine",
}


def _alternatives(patterns: list[str]) -> re.Pattern:
    return re.compile(r"(?<!\w)(?:" + "|".join(patterns) + r")(?!\w)")


_POS_RX = _alternatives(_IDIOMS_POS)
_NEG_RX = _alternatives(_IDIOMS_NEG)
_LUKEWARM_RX = _alternatives(_LUKEWARM)
_CHEER_RX = re.compile(_CHEER)
_COMPLAINT_RX = re.compile(_COMPLAINT)
_SCAM_RX = {name: re.compile(p) for name, p in _SCAMS.items()}
_SCAM_ANY = re.compile("|".join(f"(?:{p})" for p in _SCAMS.values()))
_QUESTION_START = re.compile(
    r"^(?:bonjour,? |hello,? |hi,? )?(?:est-ce|est ce|quels?|quelles?|quand|combien|comment|ou |"
    r"vous |on peut|il faut|quelqu'un|do |does |is |are |can |will |should |how |what |when |"
    r"where |which |anyone )"
)


@dataclass
class Everyday:
    valence: float = 0.0  # > 0 praise, < 0 complaint; 1 is one ordinary word's worth
    evidence: int = 0  # how many cues the valence rests on
    sarcasm: bool = False
    question: bool = False
    lukewarm: bool = False
    figurative: bool = False
    swearing: bool = False
    accusation: bool = False
    identity: bool = False
    hostile_to_group: bool = False
    scams: list[str] = field(default_factory=list)


@functools.cache
def _emoji_table() -> dict[str, float]:
    """Emoji valences: the Emoji Sentiment Ranking, then Unicode-name words for the rest."""
    from parvis.intelligence.lexicon import _read_tsv

    table = {e: float(v) for e, v in _read_tsv("emoji_sentiment.tsv") if len(e) == 1}
    try:
        import emoji
    except ImportError:  # the names are a refinement, the ranking alone still works
        return table
    for char, data in emoji.EMOJI_DATA.items():
        if len(char) != 1 or char in table:
            continue
        name = data.get("en", "").strip(":").lower()
        score = sum(v for w, v in _EMOJI_NAME_WORDS.items() if w in name)
        if score:
            table[char] = max(-1.0, min(1.0, score))
    return table


_NON_LATIN_CHAR = re.compile(r"[\u2000-\U0010ffff]")


def _emoji_valence(raw: str) -> tuple[float, int, bool]:
    table = _emoji_table()
    total, n, rolled = 0.0, 0, False
    for ch in _NON_LATIN_CHAR.findall(raw, 0, 400):
        v = table.get(ch)
        if v is not None and abs(v) >= 0.1:
            total += 1.5 * v
            n += 1
        if ch in _EYE_ROLL:
            rolled = True
    return total, n, rolled


# Tokens without which a group of patterns cannot match: each group's regular expression
# runs only on the texts that hold one (most texts hold none; ``read`` stays ~20 µs a text).
_POS_TRIGGERS = frozenset(
    [
        "top",
        "valide",
        "ca",
        "tuerie",
        "ouf",
        "trop",
        "rien",
        "recommande",
        "pas",
        "bonheur",
        "fan",
        "coup",
        "regal",
        "assure",
        "kill",
        "kills",
        "killed",
        "slaps",
        "slay",
        "slays",
        "slayed",
        "goated",
        "never",
        "chef",
        "10",
        "five",
        "5",
        "vibe",
        "hits",
        "can",
        "no",
        "hands",
        "highly",
        "would",
        "not",
        "so",
        "insanely",
        "lowkey",
        "sorted",
        "regrette",
    ]
)
_NEG_TRIGGERS = frozenset(
    [
        "merci",
        "plus",
        "pas",
        "foutage",
        "importe",
        "attendais",
        "ca",
        "toujours",
        "aucune",
        "personne",
        "repond",
        "repondent",
        "thanks",
        "never",
        "not",
        "zero",
        "done",
        "joke",
        "waste",
        "rip",
        "ripoff",
        "still",
        "no",
        "nobody",
        "used",
        "non",
        "commanderai",
        "desabonne",
        "moins",
        "sent",
        "fait",
        "great",
        "could",
    ]
)
_LUKEWARM_TRIGGERS = frozenset(["sans", "nothing", "ok", "okay", "correct"])
_CHEER_TRIGGERS = frozenset(
    [
        "genial",
        "super",
        "bravo",
        "merci",
        "top",
        "great",
        "wow",
        "amazing",
        "thanks",
        "love",
        "adore",
        "really",
        "vraiment",
    ]
)
_FIGURATIVE_TRIGGERS = frozenset(
    [
        "kill",
        "kills",
        "killed",
        "killing",
        "slaps",
        "slay",
        "slays",
        "slayed",
        "fire",
        "bomb",
        "tuerie",
        "dechire",
        "ouf",
        "mortel",
        "tomber",
    ]
)
_ACCUSATION_TRIGGERS = frozenset(["bande", "etes", "es", "you", "bunch", "espece"])
_SCAM_TRIGGERS = frozenset(
    [
        "colis",
        "package",
        "parcel",
        "livraison",
        "delivery",
        "shipment",
        "compte",
        "account",
        "ameli",
        "impots",
        "caf",
        "paypal",
        "remboursement",
        "refund",
        "domicile",
        "home",
        "revenu",
        "revenus",
        "income",
        "demande",
        "ask",
        "crypto",
        "bitcoin",
        "btc",
        "trading",
        "forex",
        "invest",
        "investis",
        "investissez",
        "concours",
        "giveaway",
        "felicitations",
        "congratulations",
        "giving",
        "selectionne",
        "gagne",
        "gagnez",
        "gagner",
        "win",
        "won",
        "selected",
        "follow",
        "f4f",
        "l4l",
        "s4s",
        "abonne",
        "abonnes",
        "followers",
        "likes",
        "vues",
        "views",
        "luxe",
        "luxury",
        "replica",
        "cheap",
        "check",
        "checkout",
        "subscribe",
        "abonnez",
    ]
)
_SCAM_CHARS = re.compile(r"[€$£%]")
_IDENTITY_PREFIXES = (
    "deport",
    "nigg",
    "negr",
    "fag",
    "trann",
    "immigr",
    "migr",
    "musulm",
    "muslim",
    "jew",
)


_IDENTITY_STEMS = re.compile(r"\b(?:" + "|".join(_IDENTITY_PREFIXES) + ")")


def _has_identity(norm: str, tokset: set[str]) -> bool:
    return bool(tokset & _IDENTITY_WORDS) or _IDENTITY_STEMS.search(norm) is not None


def read(raw: str, norm: str, toks: list[str]) -> Everyday:
    ev = Everyday()
    valence, evidence = 0.0, 0
    tokset = set(toks)
    # Words, with negation (three words before; « pas »/« jamais » also just after) and
    # intensifiers (the word before).
    for i, tok in enumerate(toks):
        w = _POSITIVE.get(tok)
        sign = 1.0
        if w is None:
            w = _NEGATIVE.get(tok)
            sign = -1.0
            if w is None:
                continue
        before = toks[max(0, i - 3) : i]
        negated = any(t in _NEGATORS for t in before) or any(
            t in _NEGATORS_AFTER for t in toks[i + 1 : i + 3]
        )
        if i and toks[i - 1] in _INTENSIFIERS:
            w *= 1.5
        if negated:
            # « pas top » is a complaint; « pas déçue », « not bad » are mild praise.
            w = -0.9 * w if sign > 0 else -0.6 * w
        valence += sign * w
        evidence += 1
    praised = False
    if tokset & _POS_TRIGGERS:
        for m in _POS_RX.finditer(norm):
            praised = True
            valence += 1.5
            evidence += 1
            if m.group(0).startswith(("pas mal", "not bad", "regrette pas", "can")):
                valence += 1.0  # outweighs the negated word it contains
    if tokset & _NEG_TRIGGERS:
        for _m in _NEG_RX.finditer(norm):
            valence -= 1.5
            evidence += 1
    if ":" in norm or ";" in norm or "<" in norm or "^" in norm or "xd" in tokset:
        for m in _EMOTICON_RX.finditer(norm):
            valence += _EMOTICONS.get(m.group(0), 0.0)
            evidence += 1
    rolled = False
    if not raw.isascii():
        emo, n_emo, rolled = _emoji_valence(raw)
        valence += emo
        evidence += n_emo
    ev.lukewarm = bool(tokset & _LUKEWARM_TRIGGERS) and _LUKEWARM_RX.search(norm) is not None
    cheer = bool(tokset & _CHEER_TRIGGERS) and _CHEER_RX.search(norm) is not None
    ev.sarcasm = rolled or (cheer and not praised and _COMPLAINT_RX.search(norm) is not None)
    ev.question = norm.rstrip().endswith("?") or _QUESTION_START.match(norm) is not None
    ev.swearing = bool(tokset & SWEARS)
    ev.figurative = bool(tokset & _FIGURATIVE_TRIGGERS) and _FIGURATIVE.search(norm) is not None
    ev.accusation = bool(tokset & _ACCUSATION_TRIGGERS) and _ACCUSATION.search(norm) is not None
    ev.identity = _has_identity(norm, tokset) and _IDENTITY_RX.search(norm) is not None
    ev.hostile_to_group = ev.identity and _HOSTILE_TO_GROUP.search(norm) is not None
    if (tokset & _SCAM_TRIGGERS or _SCAM_CHARS.search(norm)) and _SCAM_ANY.search(norm):
        ev.scams = [name for name, rx in _SCAM_RX.items() if rx.search(norm)]
    ev.valence, ev.evidence = valence, evidence
    return ev
