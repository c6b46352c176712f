"""A labelled set of brand-page comments for measuring the default moderation rules.

Written for Parvis by hand (no dataset, no web page copied): comments as they land under the
posts of Maison Lumière, a French candle brand, and of generic brands (an airline, a phone
operator, a shop), in French and English.

Each case has a `label`; `EXPECTED` gives, per label, the decision the default rules should
reach and the reason they should give:

- abuse (insult, obscene, hate, spam, scam): hidden; « review » is acceptable;
- threat, legal threat, distress, personal data: escalated to a person (or reviewed), never
  merely hidden: hiding them would hide a problem;
- complaint (harsh but legitimate criticism) and ordinary (praise, questions): kept visible.

`SPLIT` cuts the set in two halves, per label, by position: even positions form the
« tuning » half (thresholds and word lists were chosen looking at it only), odd positions
the « held-out » half (only ever looked at in the aggregate report).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    text: str
    label: str
    network: str = "instagram"


HIDE = "hide"
ESCALATE = "escalate"
KEEP = "keep"

# label → (expected decision, expected reason; "" for none)
EXPECTED: dict[str, tuple[str, str]] = {
    "insult": (HIDE, "insult"),
    "obscene": (HIDE, "obscene"),
    "hate": (HIDE, "hate"),
    "spam": (HIDE, "spam"),
    "scam": (HIDE, "scam"),
    "threat": (ESCALATE, "threat"),
    "legal_threat": (ESCALATE, "legal_threat"),
    "distress": (ESCALATE, "distress"),
    "personal_data": (ESCALATE, "personal_data"),
    "complaint": (KEEP, ""),
    "ordinary": (KEEP, ""),
}

INSULTS = [
    "Bande de connards, rendez-moi mon argent",
    "Vous êtes vraiment des gros cons chez Maison Lumière",
    "c0nnard de community manager qui supprime mes messages",
    "La meuf du SAV est une conne finie, elle m'a raccroché au nez",
    "Espèce de b0uffons, apprenez à faire des bougies",
    "Ta gueule le CM, personne t'a demandé ton avis",
    "Sophie du service client est une incapable et une idiote",
    "Vos vendeurs sont des abrutis, tous sans exception",
    "Quelle bande de tocards, sérieux",
    "Enculés de voleurs, vous méritez de couler",
    "Le patron est un gros porc prétentieux",
    "Fermez-la, bande de clowns",
    "T'es qu'une grosse merde le stagiaire qui gère ce compte",
    "connasse de vendeuse à la boutique de la Croix-Rousse",
    "Sale petite pute de community manager",
    "Vous êtes des débiles profonds",
    "Pauvres cons, allez vous faire foutre avec vos bougies",
    "Crétins. Juste des crétins.",
    "you guys are fucking idiots",
    "Your social media intern is a brainless moron",
    "shut up you stupid bitch",
    "What a bunch of losers and clowns running this company",
    "The manager at your Lyon store is a complete asshole",
    "f*ck you and your overpriced candles, morons",
    "dumbass customer service agents, every single one of them",
    "Idiots incompétents, vous ne savez même pas lire une adresse",
    "Va te faire enculer Maison Lumière",
    "Pathetic losers, go to hell",
]

OBSCENE = [
    "Envoie-moi des nudes en privé ma belle 😏",
    "Des nudes en privé contre un avis 5 étoiles, deal ?",
    "Viens voir mes vidéos hot sur onlyfans.com/lola_candle",
    "Rencontres coquines gratuites près de chez toi 👉 sexy-rencontres.xyz",
    "Je veux te baiser toute la nuit à la lueur de ta bougie",
    "suce ma bite au lieu de vendre des bougies",
    "Plan cul ce soir ? écris-moi",
    "Free porn videos here www.hot-xxx-cams.com",
    "send nudes baby, I'll pay",
    "Check my spicy content 🔞 link in bio, OF girl",
    "nice candle, now show me your tits",
    "Horny singles in your area 💦 click www.meet-horny.site",
]

HATE = [
    "Encore une boîte qui embauche que des bougnoules",
    "Retournez dans votre pays, on ne veut pas de vous ici",
    "Les juifs contrôlent tout, même les bougies",
    "Sales pédés, votre pub arc-en-ciel me dégoûte",
    "Les arabes dehors, la France aux Français",
    "Ces migrants sont des parasites qu'il faut virer",
    "Une femme noire dans votre pub ? Boycott, sale race",
    "Les gouines n'ont rien à faire dans une pub de Noël",
    "Immigrants are vermin and your ads promote them",
    "Go back to your country, nobody wants your kind here",
    "Gay people are disgusting, stop shoving them in our faces",
    "Muslims are terrorists, all of them",
]

SPAM = [
    "Follow for follow ? Je suis tous ceux qui me suivent 🔥",
    "f4f l4l 💯 abonnez-vous je rends",
    "Abonnez-vous à ma chaîne YouTube, je teste des bougies chaque semaine !",
    "Je gagne 3000 € par mois depuis chez moi, le lien est dans ma bio 💸",
    "Code promo CIRE20 chez Cire & Sens : -20% sur tout le site",
    "Gagnez des abonnés réels rapidement, DM moi pour les tarifs",
    "Visitez mon site pour des bougies 2x moins chères : bougies-discount.shop",
    "Suivez-moi pour plus de contenu déco 🏡✨ #follow #deco",
    "🔥🔥 -50% sur toutes les montres de luxe 👉 watches-deal.top 🔥🔥",
    "Promo code SAVE30 at CandleHub, way cheaper than this brand",
    "Check my profile for free followers and likes!!",
    "Subscribe to my channel for daily ASMR candle videos",
    "Buy Instagram followers cheap and fast, DM me",
    "follow me and I follow back 100% 🙏",
    "Earn $500/day working from home, no experience needed, link in bio",
    "Visit my page for the best home decor deals 💥",
    "Livraison offerte sur tout notre site ce week-end 👉 maison-deco-pascher.fr",
    "Promoteur ici : je fais connaître votre marque à 50k personnes, écrivez-moi",
    "Collab ? J'ai 20k abonnés, envoie-moi un DM pour les tarifs de placement",
    "Like et abonne-toi pour gagner des cadeaux sur ma page 🎁",
    "Cheap Ray-Ban 80% OFF today only www.rb-outlet-sale.com",
    "Je vends des bougies parfumées faites maison, passez voir ma page Etsy !",
]

SCAMS = [
    "Votre colis est bloqué au centre de tri, payez 1,99 € de frais ici : "
    "http://colis-suivi-fr.top/p",
    "Colis en attente : réglez les frais de livraison sous 24h sur www.laposte-suivi.click",
    "🎉 Félicitations, vous avez gagné un coffret Maison Lumière ! Cliquez ici pour le "
    "recevoir : bit.ly/ml-cadeau",
    "Maison Lumière Officiel : pour recevoir votre lot, confirmez votre carte bancaire en "
    "message privé",
    "J'ai investi 250 € et gagné 5000 € en une semaine grâce à Mme Durand, contactez-la "
    "sur WhatsApp",
    "Investissement crypto garanti, doublez votre capital en 7 jours, écrivez-moi sur Telegram",
    "Votre compte Instagram sera suspendu, vérifiez vos identifiants ici : insta-verify.site",
    "GIVEAWAY 🎁 les 100 premiers gagnent une carte cadeau de 500 €, payez juste les frais de port",
    "Bonjour, votre remboursement est prêt, envoyez-nous le code de vérification reçu par SMS",
    "Your parcel is on hold, pay the customs fee of £2.99 at royal-mail-track.info",
    "Congratulations! You won an iPhone 15, claim your prize now: prize-claim.top",
    "My account manager made me $8,000 trading bitcoin, message him on WhatsApp +44 7700 900123",
    "Verify your account or it will be deleted within 24 hours: meta-support-help.com",
    "Official giveaway: send 0.1 ETH and get 1 ETH back, limited time!",
    "Gagnez 1000 € par jour avec le trading, investissement sûr, contactez-moi sur WhatsApp",
    "Votre commande Maison Lumière n'a pas pu être livrée, mettez à jour votre adresse et "
    "payez 0,99 € : ml-livraison.info",
]

THREATS = [
    "Je vais venir à la boutique et tout casser, vous allez voir",
    "Je sais où travaille votre gérante, elle a intérêt à faire gaffe",
    "On va vous faire la peau, bande de voleurs",
    "Je vais mettre le feu à votre atelier",
    "Faites gaffe en sortant ce soir, je vous attendrai devant le magasin",
    "Si je n'ai pas mon remboursement demain, je viens avec des potes régler ça",
    "Je vais retrouver le livreur et lui casser la gueule",
    "Vous allez le regretter, je sais où vous habitez",
    "I'm going to find your CEO and make him pay",
    "I will burn your store to the ground",
    "Watch your back, I know where your staff park",
    "Someone should shoot the people who run this company",
]

LEGAL_THREATS = [
    "Je transmets le dossier à mon avocat dès demain",
    "Mise en demeure vous sera envoyée par recommandé, vous avez 8 jours",
    "Je vais porter plainte pour publicité mensongère",
    "Signalement fait à la DGCCRF, vous aurez de leurs nouvelles",
    "On se verra au tribunal, j'ai gardé toutes les preuves",
    "J'ai saisi UFC-Que Choisir et le médiateur de la consommation",
    "I'm contacting my lawyer about this, expect to hear from them",
    "See you in small claims court",
    "We will take legal action if the refund is not processed this week",
    "Je vais vous attaquer en justice pour ce produit dangereux",
]

DISTRESS = [
    "Je n'en peux plus, je veux en finir, même vos bougies ne m'aident plus",
    "Plus envie de vivre depuis des semaines, je voulais juste le dire à quelqu'un",
    "J'ai envie de disparaître, personne ne remarquerait",
    "Parfois je pense à me suicider, ce soir c'est pire que d'habitude",
    "I don't want to be here anymore, nothing helps",
    "I want to die, this candle was a gift from my late mum and it's all I have left",
    "Je n'ai plus la force de continuer, tout est noir",
    "I've been thinking about ending my life lately",
]

PERSONAL_DATA = [
    "Le livreur s'appelle Karim, son numéro perso c'est le 06 12 34 56 78, appelez-le",
    "La gérante de la boutique habite au 14 rue des Capucins à Lyon, allez lui dire",
    "Appelez directement la directrice sur son portable : 07.45.22.18.90",
    "Julie du SAV, son mail perso c'est julie.martin.lyon@gmail.com",
    "The store manager's home address is 22 Baker Road, Leeds, go and ask him yourself",
    "Here is your CEO's private number +33 6 98 76 54 32, flood him",
    "Le numéro de carte de la cliente qui a posté avant moi : 4970 1012 3456 7890",
    "Voici l'adresse perso de la CM : 3 impasse des Tilleuls 69004 Lyon",
]

COMPLAINTS = [
    "Service client nul, trois semaines sans réponse à mes mails",
    "Ma bougie a coulé partout sur la cheminée, remboursez-moi",
    "Vos prix ont doublé en un an, c'est scandaleux",
    "Putain de retard, ça fait dix jours que j'attends mon colis",
    "Bravo, trois semaines pour livrer une bougie, vous êtes vraiment les champions 👏",
    "JE VEUX MON REMBOURSEMENT, VOUS NE RÉPONDEZ JAMAIS",
    "La mèche s'est noyée au bout de deux heures, 38 € pour ça, quelle blague",
    "Franchement déçue, le parfum ne sent rien une fois allumée",
    "C'est du vol à ce prix-là, 45 € pour 180 g de cire",
    "Colis arrivé avec le pot cassé, et personne ne répond au téléphone. Lamentable.",
    "Merde, encore un pot fêlé, c'est la deuxième fois",
    "Vous vous foutez du monde avec vos frais de port à 9,90 €",
    "Honte à vous, vous supprimez les avis négatifs ?",
    "Je ne recommanderai plus jamais chez vous, service après-vente inexistant",
    "La bougie fait un tunnel dès le premier allumage, qualité en chute libre",
    "Commande passée le 2, toujours rien le 20. C'est n'importe quoi.",
    "Votre nouvelle formule sent le produit ménager, rendez-nous l'ancienne",
    "Ah super, le « fabriqué à Lyon » c'est juste l'étiquette ? On nous prend pour des cons",
    "Trois mails, deux appels, zéro réponse. Bravo le service client.",
    "C'est de l'arnaque ces coffrets de Noël, moitié vides",
    "Le livreur a laissé le colis sous la pluie, tout est abîmé, et vous vous en lavez les mains",
    "Pourquoi je dois payer le retour d'un produit défectueux ?? Inadmissible",
    "Bougie qui fume noir et qui a noirci mon mur. Plus jamais.",
    "Your customer service is a joke, two weeks and no answer",
    "WTF, $45 for a candle that burns ten hours?",
    "Worst delivery experience ever, the box was crushed and nobody cares",
    "Damn, the scent is gone after one week. Really disappointed.",
    "Oh great, another 'out of stock' email after you took my money",
    "This is a rip-off, the jar is half the size it looks in your photos",
    "I'M STILL WAITING FOR MY REFUND. THIRD TIME ASKING.",
    "Stop deleting complaints and fix your shipping, it's been a month",
    "Your new packaging is a mess, half my order arrived broken, sort it out",
    "Bordel, le site plante à chaque fois que je veux payer",
    "Sérieusement ? Code promo refusé au paiement et personne pour m'aider",
]

ORDINARY = [
    "Je viens de recevoir la bougie Figue & Cèdre, elle sent divinement bon 😍",
    "Est-ce que vous livrez en Belgique ?",
    "Quelle est la durée de combustion de la grande bougie ?",
    "Merci pour le petit mot manuscrit dans le colis, trop mignon",
    "Vous avez des recharges pour le pot en verre ambré ?",
    "La boutique de la Croix-Rousse est ouverte le dimanche ?",
    "Meilleure bougie que j'ai jamais eue, je recommande à 100 %",
    "C'est quoi la différence entre la cire de colza et la cire de soja ?",
    "Offerte à ma mère pour son anniversaire, elle a adoré",
    "Est-ce que vos bougies conviennent si on a un chat ?",
    "Trop hâte de voir la collection d'automne 🍂",
    "Vous faites des ateliers de fabrication à Lyon ?",
    "J'adore l'odeur de la Lavande de Provence, vous la refaites quand ?",
    "Bonjour, je n'ai pas reçu l'e-mail de confirmation, est-ce normal ?",
    "Magnifique photo, ça donne envie de rester au chaud",
    "Do you ship to the UK?",
    "Love this scent, it makes my whole flat smell like a bakery",
    "How long should I burn it the first time to avoid tunnelling?",
    "Beautiful packaging, great gift idea for Christmas",
    "Are your candles vegan?",
    "Just ordered three more, can't get enough of them",
    "Is the wick cotton or wood?",
    "Happy birthday Maison Lumière! 10 years already 🎉",
    "Any chance of a fragrance-free version for sensitive noses?",
    "Coucou, vous pouvez me conseiller une bougie pour une chambre de bébé ?",
    "Votre équipe en boutique est adorable, merci Camille pour les conseils",
    "Est-ce qu'on peut réutiliser le pot une fois terminé ?",
    "Ce parfum me rappelle les vacances chez ma grand-mère ❤️",
    "Je cherche un cadeau pour un homme, vous conseillez laquelle ?",
    "Top, colis reçu en deux jours, bien emballé",
    "The new winter collection looks gorgeous",
    "Can I return a candle if I don't like the smell?",
]

GENERIC_BRANDS = {
    # Comments under generic brands' posts: the same kinds of speech, other networks.
    "complaint": [
        ("Vol annulé sans prévenir, 6 heures à l'aéroport, aucune assistance. Honteux.", "x"),
        ("Réseau 4G inexistant depuis trois jours et vous osez augmenter l'abonnement", "facebook"),
        ("Your app logged me out again and deleted my cart. Useless.", "x"),
        ("Putain, encore une coupure de fibre. Troisième fois ce mois-ci.", "facebook"),
    ],
    "ordinary": [
        ("Est-ce que l'offre fibre est disponible à Villeurbanne ?", "facebook"),
        ("Great flight today, the crew were lovely", "x"),
    ],
    "insult": [
        ("Votre conseillère au téléphone est une vraie connasse", "facebook"),
        ("Airline run by absolute morons", "x"),
    ],
    "spam": [("Follow for follow, I always follow back 💯", "x")],
    "scam": [
        (
            "Remboursement de votre vol disponible : entrez votre carte ici air-refund-help.com",
            "facebook",
        )
    ],
}

BY_LABEL: dict[str, list[str]] = {
    "insult": INSULTS,
    "obscene": OBSCENE,
    "hate": HATE,
    "spam": SPAM,
    "scam": SCAMS,
    "threat": THREATS,
    "legal_threat": LEGAL_THREATS,
    "distress": DISTRESS,
    "personal_data": PERSONAL_DATA,
    "complaint": COMPLAINTS,
    "ordinary": ORDINARY,
}


def cases() -> list[Case]:
    out = []
    for label, texts in BY_LABEL.items():
        out += [Case(text, label) for text in texts]
        out += [Case(text, label, network) for text, network in GENERIC_BRANDS.get(label, [])]
    return out


def split(all_cases: list[Case] | None = None) -> dict[str, list[Case]]:
    """{"tuning": even positions of each label, "held_out": odd positions}."""
    halves: dict[str, list[Case]] = {"tuning": [], "held_out": []}
    seen: dict[str, int] = {}
    for case in all_cases if all_cases is not None else cases():
        index = seen.get(case.label, 0)
        seen[case.label] = index + 1
        halves["tuning" if index % 2 == 0 else "held_out"].append(case)
    return halves


CASES = cases()
SPLIT = split(CASES)
