"""Listening data for the brand-safety tests: mentions stored through the real pipeline
(validation, the shipped sentiment model, the full-text index), as a source stores them."""

import datetime as dt

from django.utils import timezone

from parvis.connectors.base import Incoming
from parvis.listening import pipeline
from tests.listening.factories import mention

NOW = timezone.now().replace(microsecond=0)

IRAN = [
    "Élections en Iran : la répression fait des morts parmi les manifestants #Iran",
    "#Iran des manifestants tués pendant l'élection, c'est horrible",
    "Deuil national : le bilan des victimes s'alourdit après les manifestations #Iran",
    "Arrestations massives après l'élection présidentielle #Iran, une honte",
    "Scrutin truqué en #Iran, la police tire sur la foule, au moins 12 morts",
    "Horrible, encore des morts à Téhéran ce soir #Iran #élection",
    "La répression continue, les familles des victimes pleurent #Iran",
    "Nouvelle nuit de répression sanglante, tant de morts #IRAN",
    "Un documentaire sur la cuisine persane ce soir #Iran",
]
DECO = [
    "Super idée déco pour le salon, j'adore ce coussin #déco",
    "Notre nouveau salon est magnifique, merci pour les conseils #déco",
    "Petite table basse chinée ce weekend #déco",
    "J'adore cette lampe en rotin, parfaite pour la chambre #Deco",
    "Un grand merci pour ce joli vase, il est superbe #déco",
    "Repeint le couloir en vert sauge, très contente du résultat #déco",
]
NEPAL = [
    "Earthquake in #Nepal: hundreds dead, villages destroyed, rescue teams overwhelmed",
    "#Nepal death toll rises after the earthquake, terrible news",
    "Heartbreaking images from #Nepal, families searching for victims under the rubble",
    "Another strong aftershock in #Nepal tonight, people sleeping outside in fear",
    "The death toll in #Nepal passed 2,000, the worst earthquake in decades",
    "Donate now to help the victims of the #Nepal earthquake",
]
COMPLAINTS = [
    "Livraison encore en retard, service client injoignable #SAVnul",
    "Colis abîmé et aucune réponse, c'est nul #SAVnul",
    "Trois semaines sans nouvelles de ma commande, honteux #SAVnul",
    "Remboursement refusé, je suis furieuse #SAVnul",
    "Le pire service client que j'aie connu #SAVnul",
]


def store(workspace, texts, *, hours_ago=1, lang="fr", start=0, network="bluesky"):
    items = [
        Incoming(
            data=mention(
                start + i,
                text=text,
                lang=lang,
                network=network,
                created_at=(NOW - dt.timedelta(hours=hours_ago, minutes=i)).isoformat(),
            )
        )
        for i, text in enumerate(texts)
    ]
    summary = pipeline.run(workspace, items)
    assert summary.stored == len(texts)
