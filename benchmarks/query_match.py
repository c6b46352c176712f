"""Throughput of the listening query language: fold, make_document, MultiMatcher.match.

    python benchmarks/query_match.py [--docs 50000] [--seed 7]

30 realistic monitored queries of a candle brand ("Maison Lumière") and its market, against
synthetic tweet-sized French and English texts (accents, elisions, hashtags, handles, links,
emoji). One process, one core. Prints the figures copied into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from parvis.listening.query import compile_queries, fold, make_document, parse


def words(text: str) -> list[str]:
    return text.split()


QUERIES = [
    '"maison lumière" OR @maisonlumiere OR #MaisonLumiere',
    '("maison lumière" OR maisonlumiere) -concours -giveaway',
    "bougie* (parfumée OR parfumee OR scented) lang:fr",
    '"cire végétale" OR "cire de soja" OR "soy wax"',
    "(lumière OR lumiere) (bougie OR candle) NOT #pub",
    "@maisonlumiere.bsky.social OR @maisonlumiere network:bluesky",
    "#BlackFriday (bougie OR diffuseur OR candle)",
    "(livraison OR colis OR delivery) (retard OR cassé OR broken OR late)",
    '"service client" OR "customer service" OR sav',
    "remboursement OR refund OR rembourser",
    "(arnaque OR scam OR fraude) (lumière OR lumiere)",
    'diffuseur* ("huile essentielle" OR "essential oil")',
    "network:mastodon (bougie OR candle)",
    "lang:en (candle OR candles) (gift OR present)",
    "Saint-Étienne OR Lyon OR Marseille boutique",
    '"fait main" OR "handmade" OR artisanal*',
    "(écologique OR eco-responsable OR durable OR sustainable) packaging",
    "(Diptyque OR Cire-Trudon OR Yankee) (prix OR price)",
    "noël OR christmas OR #Noel2024",
    "(allergie OR allergique OR allergy) parfum",
    "SAUF lang:fr SAUF lang:en",
    '"l\'atelier" OR atelier-boutique',
    "(collab OR partenariat OR partnership) @maisonlumiere",
    "#candletok OR #bougietok OR #candlelover",
    "(odeur OR senteur OR scent) (vanille OR vanilla OR figue OR fig)",
    "promo* OR soldes OR -lang:fr discount",
    '"mèche en bois" OR "wooden wick"',
    "(bruxelles OR genève OR montréal) (magasin OR boutique) -emploi",
    'recrut* OR "on recrute" OR hiring',
    "aujourd'hui (ouverture OR opening) boutique",
]

FR_TOPIC = words(
    "le la les un une des de du et à au aux pour avec sans sur dans chez très trop plus moins "
    "bougie bougies parfumée cire végétale mèche senteur odeur vanille figue ambre boisé "
    "livraison colis retard cassé remboursement commande service client boutique atelier "
    "magnifique déçue déçu adore génial super nul cher prix promo soldes cadeau noël "
    "aujourd'hui hier demain vraiment toujours jamais encore déjà enfin merci bravo "
    "écologique durable fait main artisanal diffuseur huile essentielle parfum allergie "
    "Lyon Marseille Bruxelles Genève Montréal Saint-Étienne Paris emploi recrute "
    "l'atelier l'odeur d'ambre qu'il c'est j'adore n'est s'il jusqu'à"
)
EN_TOPIC = words(
    "the a an of to and for with without on in at very too more less so really "
    "candle candles scented wax soy wick scent smell vanilla fig amber woody "
    "delivery parcel late broken refund order customer service shop store workshop "
    "beautiful disappointed love amazing great awful expensive price discount sale gift "
    "christmas today yesterday tomorrow always never again already finally thanks "
    "sustainable handmade essential oil diffuser perfume allergy hiring it's don't "
    "Parvis's brand's"
)
# Everyday words, most of each text: a mention rarely talks only about candles.
FR_COMMON = words(
    "je tu il elle nous vous ils on pas ne que qui quoi comme mais ou donc car ça cette ce "
    "mon ma mes son sa leur est sont était fait faire dit voir aller venir temps jour "
    "semaine année travail maison ville gens vie monde chose petit grand bon beau nouveau "
    "vraiment bien mal peu beaucoup tout tous rien personne ici là-bas quand pourquoi "
    "l'été l'hiver d'accord qu'on week-end peut-être"
)
EN_COMMON = words(
    "i you he she we they it not but or so because this that my your his her their is are "
    "was do did make say see go come time day week year work home house city people life "
    "world thing small big good nice new well bad little much all nothing here there when "
    "why what who how can't won't I'm we're e-mail"
)
BRANDS = ["Maison Lumière", "maison lumiere", "MAISON LUMIÈRE", "Diptyque", "Yankee", "Trudon"]
HASHTAGS = ["#MaisonLumière", "#bougie", "#candletok", "#BlackFriday", "#Noël2024", "#pub"]
HANDLES = ["@maisonlumiere", "@MaisonLumiere.bsky.social", "@diptyque", "@user@mastodon.social"]
EXTRAS = ["🔥", "😍", "!!", "?", "...", "https://www.maison-lumiere.fr/p/bougie?utm=x", "3,5 €"]
NETWORKS = ["bluesky", "mastodon", "reddit", "x", "youtube", "rss"]


def synthetic_texts(count: int, seed: int) -> list[tuple[str, str, str, str]]:
    """(text, lang, network, author handle) tuples, 60 % French, tweet-sized."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        french = rng.random() < 0.6
        topic, common = (FR_TOPIC, FR_COMMON) if french else (EN_TOPIC, EN_COMMON)
        picked = [
            rng.choice(topic if rng.random() < 0.15 else common) for _ in range(rng.randint(8, 40))
        ]
        for pool, chance in ((BRANDS, 0.2), (HASHTAGS, 0.2), (HANDLES, 0.15), (EXTRAS, 0.5)):
            if rng.random() < chance:
                picked.insert(rng.randrange(len(picked) + 1), rng.choice(pool))
        text = " ".join(picked)[:280]
        if rng.random() < 0.5:
            text = text.capitalize()
        author = f"user{rng.randrange(5000)}" + rng.choice(["", ".bsky.social"])
        out.append((text, "fr" if french else "en", rng.choice(NETWORKS), author))
    return out


def timed(label: str, count: int, function: Callable[[], object], repeat: int = 5) -> float:
    """Best of `repeat` runs, in items per second of CPU time.

    CPU time of this process rather than wall time, so that other work on a shared machine
    does not count; the best run is the least disturbed (caches, frequency).
    """
    durations = []
    for _ in range(repeat):
        start = time.process_time()
        function()
        durations.append(time.process_time() - start)
    best = min(durations)
    print(
        f"{label:<44} {count / best:>12,.0f} /s   {best / count * 1e6:8.2f} µs each"
        f"   (median {statistics.median(durations):.3f} s)"
    )
    return count / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    rows = synthetic_texts(args.docs, args.seed)
    texts = [row[0] for row in rows]
    queries = {index + 1: expression for index, expression in enumerate(QUERIES)}
    matcher = compile_queries(queries)
    assert not matcher.errors, matcher.errors
    parsed = [parse(expression) for expression in QUERIES]
    n = len(rows)
    average = sum(map(len, texts)) / n
    print(f"Python {platform.python_version()} on {platform.machine()}, one process, CPU time")
    print(f"{n:,} texts, {average:.0f} characters on average; {len(queries)} queries\n")

    def build() -> list:
        return [make_document(t, lang=la, network=ne, author_handle=au) for t, la, ne, au in rows]

    def build_and_drop() -> None:
        # As the pipeline does: each Document is dropped once matched (keeping 50,000 alive
        # would mostly measure the garbage collector).
        for t, la, ne, au in rows:
            make_document(t, lang=la, network=ne, author_handle=au)

    docs = build()
    accented = (
        "Très déçue par la livraison de ma bougie parfumée « Figue & Ambre » : le colis est "
        "arrivé cassé, l'odeur d'été n'y est plus… Le service client de Maison Lumière "
        "répond vite heureusement ! #Déception @MaisonLumière 😤 https://maison-lumiere.fr/sav"
    )
    timed(
        f"fold, one {len(accented)}-character French text",
        50_000,
        lambda: [fold(accented) for _ in range(50_000)],
    )
    timed("fold, the texts", n, lambda: [fold(t) for t in texts])
    timed("make_document", n, build_and_drop)
    timed("MultiMatcher.match (indexed)", n, lambda: [matcher.match(d) for d in docs])
    timed(
        "every query on every document (no index)",
        n,
        lambda: [[q.matches(d) for q in parsed] for d in docs],
    )
    timed(
        "make_document + match (the pipeline's cost)",
        n,
        lambda: [
            matcher.match(make_document(t, lang=la, network=ne, author_handle=au))
            for t, la, ne, au in rows
        ],
    )

    # The index must not change the answer.
    indexed = [matcher.match(d) for d in docs]
    plain = [[i for i, q in zip(queries, parsed, strict=True) if q.matches(d)] for d in docs]
    assert indexed == plain, "MultiMatcher disagrees with the individual queries"
    evaluated = sum(len(matcher.candidates(d)) for d in docs) / n
    matched = sum(1 for m in indexed if m) / n
    print(
        f"\n{evaluated:.1f} of {len(queries)} queries evaluated per document on average; "
        f"{matched:.0%} of documents match at least one query; "
        f"{sum(map(len, indexed)) / n:.2f} matches per document."
    )


if __name__ == "__main__":
    main()
