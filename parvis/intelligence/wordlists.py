"""Hand curation applied on top of the packaged word lists, and the project's own patterns.

The raw lists (glin-profanity, better-profanity) mix sexual vocabulary, insults, slurs and
plain words; this module says which entries are insults or hate, which harmless entries are
dropped (e.g. French "veuve" = widow), and adds what the lists lack. Threat and spam patterns
have no packaged source and are written here. ``build_lexicons`` bakes the result into
``data/profanity_*.tsv``; the patterns are compiled at run time by ``lexicon``.
"""

from __future__ import annotations

_EN_INSULT = [
    "",
    "arsehole ass asshat asshole assmunch asswipe bastard bitch bitches dipshit dumbass fuckface",
    "fucker fucktards jackass motherfucker piece of shit retard retarded shithead tosser twat",
    "cunt prick wanker idiot moron stupid loser dickhead douchebag jerk scumbag imbecile cretin",
    "dumb pathetic worthless clown hoe slut whore simp bimbos",
    "",
]

_EN_HATE = [
    "",
    "beaner beaners coon coons darkie faggot honkey jigaboo jiggaboo jiggerboo kike negro nig nog",
    "nigga nigger paki raghead slanteye spic towelhead tranny wetback white power neonazi swastika",
    "chink gook dyke fag",
    "",
]

_FR_INSULT = [
    "",
    "con connard connasse conne enculé enculée enculeur enfoiré enfoirée",
    "fille de pute fils de pute",
    "grogniasse merdeuse merdeux pouffiasse salaud salope sac à merde sac à foutre trou du cul",
    "la putain de ta mère nique ta mère pute",
    "",
]

_FR_HATE = ["", "nègre pédale pédé tapette gouine nique ta race", ""]


def _phrases(block: list[str], known: set[str]) -> list[str]:
    # Split lines on spaces, then re-join runs that form a known multi-word entry.
    words = " ".join(x.strip() for x in block if x.strip())
    found = [p for p in known if " " in p and p in words]
    for p in found:
        words = words.replace(p, "")
    return found + words.split()


_EN_MULTI = {"piece of shit", "white power", "nig nog"}
_FR_MULTI = {
    "fille de pute",
    "fils de pute",
    "sac à merde",
    "sac à foutre",
    "trou du cul",
    "la putain de ta mère",
    "nique ta mère",
    "nique ta race",
}

# better-profanity mixes strong words with many harmless ones (god, hell, vodka, organ...):
# only its entries built on one of these roots are kept (mostly spelling variants).
BETTER_PROFANITY_ROOTS = (
    r"f[u\*@v]+[c]?k|sh[i1!]+t|cunt|c[o0]ck|d[i1]ck|puss|b[i1!]tch|wh[o0]re|slut|n[i1]gg|fag|"
    r"p[o0]rn|jizz|wank|twat|asshole|arsehole|dildo|blowjob|handjob|tits|titt|boob|cum|spunk|"
    r"bastard|motherf|orgasm|masturb|anal|penis|vagina|clit|rape"
)

CURATION: dict[str, dict] = {
    "en": {
        # Entries that are not abusive on their own in ordinary community comments.
        "drop": {
            "bs",
            "lmfao",
            "omfg",
            "wtf",
            "xx",
            "xxx",
            "testbad01",
            "sucks",
            "suck",
            "mf",
            "hard core",
            "hardcore",
            "domination",
            "escort",
            "sexy",
            "erotic",
            "kinky",
            "butt",
            "how to kill",
            "how to murder",
            "tied up",
            "tongue in a",
            "taste my",
            "tight white",
            "big black",
            "hot chick",
            "huge fat",
            "girl on",
            "sultry women",
            "tainted love",
            "jelly donut",
            "santorum",
            "twinkie",
            "octopussy",
            "pissed",
            "intercourse",
            "eunuch",
            "undressing",
            "playboy",
            "sex",
            "stfu",
            "god damn",
            "voyeur",
        },
        "category": {
            **{w: "insult" for w in _phrases(_EN_INSULT, _EN_MULTI)},
            **{w: "hate" for w in _phrases(_EN_HATE, _EN_MULTI)},
        },
        "extra": {
            "insult": [
                "idiot",
                "idiots",
                "moron",
                "morons",
                "stupid",
                "loser",
                "losers",
                "dickhead",
                "douchebag",
                "jerk",
                "scumbag",
                "imbecile",
                "cretin",
                "dumb",
                "pathetic",
                "worthless",
                "clown",
                "whore",
                "trash",
                "scum",
                "dumbass",
                "shut up",
                "stfu",
                "ugly",
                "fat pig",
                "pig",
            ],
            "obscene": ["fuck", "fucking", "fucked", "nudes", "porn", "xxx", "sex cam"],
            "hate": [
                "chink",
                "gook",
                "dyke",
                "fag",
                "subhuman",
                "vermin",
                "go back to your country",
            ],
        },
    },
    "fr": {
        "drop": {
            "baiser",
            "bander",
            "bosser",
            "bourré",
            "bourrée",
            "caca",
            "cailler",
            "drague",
            "folle",
            "gerbe",
            "gerber",
            "gueule",
            "jouir",
            "malpt",
            "ménage à trois",
            "meuf",
            "péter",
            "pipi",
            "ramoner",
            "suce",
            "tanche",
            "teuf",
            "veuve",
            "bordel",
            "trique",
            "grande folle",
            "emmerdant",
            "emmerder",
            "déconne",
            "déconner",
            "cul",
        },
        "category": {
            **{w: "insult" for w in _phrases(_FR_INSULT, _FR_MULTI)},
            **{w: "hate" for w in _phrases(_FR_HATE, _FR_MULTI)},
        },
        "extra": {
            "insult": [
                "abruti",
                "abrutie",
                "abrutis",
                "crétin",
                "crétine",
                "débile",
                "débiles",
                "imbécile",
                "imbéciles",
                "idiot",
                "idiote",
                "bouffon",
                "bouffonne",
                "ordure",
                "ordures",
                "raclure",
                "minable",
                "tocard",
                "tocarde",
                "guignol",
                "bâtard",
                "batard",
                "connards",
                "connasses",
                "salopes",
                "salauds",
                "ta gueule",
                "ferme ta gueule",
                "ftg",
                "fdp",
                "ntm",
                "tg",
                "cassos",
                "attardé",
                "attardée",
                "mongol",
                "gogol",
                "boloss",
                "pauvre type",
                "grosse vache",
                "sous-merde",
                "enculés",
                "enfoirés",
                "putes",
                "nul à chier",
                "merde",
            ],
            "obscene": [
                "bite",
                "bites",
                "chatte",
                "couilles",
                "nichons",
                "seins nus",
                "porno",
                "porn",
                "sexe",
                "branlette",
                "sucer",
                "suceuse",
                "baise",
                "baiser",
                "niquer",
                "nique",
                "cul nu",
                "nudes",
                "plan cul",
                "foutre",
                "chier",
                "putain",
            ],
            "hate": [
                "bougnoule",
                "bougnoules",
                "youpin",
                "youpins",
                "bicot",
                "bicots",
                "négro",
                "négros",
                "raton",
                "ratons",
                "bamboula",
                "sale arabe",
                "sales arabes",
                "sale noir",
                "sales noirs",
                "sale juif",
                "sales juifs",
                "sale race",
                "pédés",
                "tarlouze",
                "rentrez chez vous",
                "retourne dans ton pays",
                "sous-homme",
                "sous-hommes",
                "macaque",
                "bicots",
                "crouille",
                "chinetoque",
                "bridé",
            ],
        },
    },
}

# Threats: no labelled set exists here, so these patterns (matched on normalised, lower-case
# text without accents) carry the category, and the toxicity model scales it.
THREAT_PATTERNS: dict[str, list[str]] = {
    "en": [
        r"\bi(?:'?ll| will| am going to|'m going to|'m gonna| gonna) (?:kill|murder|shoot|stab|"
        r"hurt|beat|destroy|find|hunt|end|rape|strangle|burn|cut|slap|punch|break) (?:you|u|ya|"
        r"your|him|her|them)\b",
        r"\b(?:you(?:'re| are)?|ur|u r) (?:dead|gonna die|going to die|next)\b",
        r"\bwatch your back\b",
        r"\bi know where you live\b",
        r"\b(?:kill|shoot|stab|hang|burn|murder) (?:yourself|urself|them all|all of them)\b",
        r"\bkys\b",
        r"\b(?:hope|wish) (?:you|u) (?:die|get killed|get raped|burn)\b",
        r"\bsomeone should (?:kill|shoot|hang|stab)\b",
        r"\bdeserve(?:s)? to (?:die|be killed|be shot|be hanged)\b",
        r"\bput a bullet\b",
    ],
    "fr": [
        # An object pronoun is required: "je vais tuer le temps" is no threat.
        r"\b(?:je vais|j'?vais|jvais|on va|je veux|j'?ai envie de) (?:te |vous |t'|l'|les |la |le )"
        r"(?:tuer|buter|crever|defoncer|egorger|massacrer|fumer|retrouver|frapper|"
        r"casser la gueule|planter|bruler|violer|pendre|tabasser|eclater|saigner)\w*",
        r"\b(?:je|on) (?:te|vous|t') ?(?:tue|bute|creve|defonce|egorge|retrouve|saigne)\w*",
        r"\b(?:t'?es|tu es|vous etes|t'est) (?:un homme |une femme )?mort[es]?\b",
        r"\btu vas (?:mourir|crever|le payer|souffrir|morfler|regretter)\b",
        r"\bje sais ou tu (?:habites|vis|dors)\b",
        r"\b(?:fais|faites) gaffe a (?:toi|vous)\b",
        r"\bva (?:te pendre|mourir|crever)\b",
        r"\b(?:il|elle|ils|elles) (?:merite|meritent) (?:de mourir|la mort|une balle)\b",
        r"\bune balle dans (?:la|ta|sa) tete\b",
        r"\b(?:faut|faudrait|il faut) (?:les |le |la )?(?:tuer|buter|pendre|bruler|exterminer|"
        r"gazer)\b",
        r"\bcrevez\b",
    ],
}

# Spam / self-promotion cues in both languages (commercial calls, scams, channel plugs).
SPAM_PATTERNS: list[str] = [
    r"\b(?:check|chek|checkout) (?:out )?(?:my|our|this)\b",
    r"\bsubscribe\b",
    r"\bsub(?:scribe)? (?:to|back)\b",
    r"\bmy (?:channel|chanel|video|music|page|website|blog|shop|store)\b",
    r"\b(?:free|win|won|winner|prize|cash|reward|bonus|claim|urgent|guaranteed)\b",
    r"\b(?:call|text|txt|reply|send) (?:now|stop|to \d+|\d{4,})\b",
    r"\bclick (?:here|the link|on the link)\b",
    r"\b(?:earn|make) (?:\$|money|cash|\d+)",
    r"\b(?:bitcoin|crypto|forex|investment opportunity|work from home)\b",
    r"\b(?:abonne[zr]?[- ]?(?:toi|vous)?|abonnez-vous|abonne-toi)\b",
    r"\bma (?:chaine|chaîne|page|boutique|video|vidéo)\b",
    r"\b(?:gratuit|gratuite|gagnez|gagner|gagne|concours|cadeau|promo|code promo|offre)\b",
    r"\b(?:cliquez|clique) (?:ici|sur le lien)\b",
    r"\blien (?:en bio|dans (?:ma|la) bio)\b",
    r"\b(?:rejoignez|rejoins)[- ](?:moi|nous)\b",
    r"\b(?:gagner|gagnez) de l'argent\b",
    r"\blink in (?:my )?bio\b",
    r"httpurl",
    r"\b(?:www\.|\.com\b|\.fr\b|\.net\b)",
    r"[£$€] ?\d+|\d+ ?[£$€]",
    r"\b\d{5,}\b",
]
