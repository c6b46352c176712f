"""The default CPU backend: shared features, linear heads, lexicons and rules combined."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from parvis.intelligence import everyday
from parvis.intelligence.features import Batch
from parvis.intelligence.language import decide
from parvis.intelligence.lexicon import DENSE_NAMES, _fold, stopword_languages
from parvis.intelligence.model import DEFAULT_DIR, LinearModels
from parvis.intelligence.text import has_letters
from parvis.intelligence.types import (
    SENTIMENT_LABELS,
    Analysis,
    Sentiment,
    Spam,
    Toxicity,
)

# Below this score a decision is "clearly no" and listing words would only add noise.
WHY_MIN_SCORE = 0.3
WHY_MAX_WORDS = 5
# Strength of a lexicon hit: one term is strong evidence, two or more near-certain.
LEXICON_ONE, LEXICON_MORE = 0.8, 0.95
_OTHER_LANGS = ("es", "de", "it", "pt", "nl")
_PLACEHOLDERS = frozenset(("httpurl", "user"))
# Everyday signals (everyday.py) combined with the heads: the values below were set while
# reading the dev half of benchmarks/everyday and checked not to lower the datasets' train
# figures; the held half and the validation splits report them.
SCAM_SPAM = 0.92
COMPLAINT_VALENCE = 1.5
CIVIL_DAMPING = 0.85
ACCUSATION_INSULT = 0.8
HOSTILE_GROUP_HATE = 0.85
NO_TARGET_HATE = 0.35
NO_TARGET_SURE = 0.75
LONG_WORDS = 15
_NEUTRAL = np.array([0.0, 1.0, 0.0])
_POSITIVE = np.array([0.0, 0.0, 1.0])
_NEGATIVE = np.array([1.0, 0.0, 0.0])


def _everyday_sentiment(sent: np.ndarray, ev: everyday.Everyday, n_words: int) -> np.ndarray:
    """The heads' sentiment moved toward what the everyday cues say, as far as they are
    strong: sarcasm toward negative, « sans plus » and plain questions toward neutral,
    praise or complaint words, idioms and emoji toward their side."""
    v = ev.valence
    if ev.scams and v < 2.0:
        # A scam's cheer is bait, not an opinion of the brand.
        target, w = _NEUTRAL, 0.7
    elif ev.sarcasm:
        target, w = _NEGATIVE, 0.8
    elif ev.lukewarm and abs(v) < 3.0:
        target, w = _NEUTRAL, 0.7
    elif abs(v) >= 0.7:
        target, w = (_POSITIVE if v > 0 else _NEGATIVE), min(0.85, 0.3 + 0.2 * abs(v))
    elif ev.question:
        target, w = _NEUTRAL, 0.6
    else:
        return sent
    if n_words > LONG_WORDS:
        # A longer text gives the heads more to read, and the cues are a smaller part of it.
        w *= 0.6
    return (1.0 - w) * sent + w * target


OTHER_LANGUAGE_DAMPING = 0.5
_EMOJI_POS = DENSE_NAMES.index("emoji_pos")
_EMOJI_NEG = DENSE_NAMES.index("emoji_neg")
_SECOND_PERSON = DENSE_NAMES.index("second_person")


def _recalibrate(p: np.ndarray, threshold: float) -> np.ndarray:
    """Piecewise-linear map sending the validation threshold to 0.5, keeping 0 and 1."""
    return np.where(
        p < threshold,
        0.5 * p / threshold,
        0.5 + 0.5 * (p - threshold) / (1.0 - threshold),
    )


def _strength(n_hits: int) -> float:
    return 0.0 if n_hits == 0 else LEXICON_ONE if n_hits == 1 else LEXICON_MORE


class StopwordVoter:
    """Spots texts in Spanish, German, Italian, Portuguese or Dutch by their stop words."""

    def __init__(self) -> None:
        by_word: dict[str, set[str]] = {}
        for word, langs in stopword_languages().items():
            by_word.setdefault(_fold(word), set()).update(langs)
        self.stopwords = frozenset(by_word)
        # A word shared by k languages gives each of them 1/k of a vote.
        self.votes = {w: [(lang, 1.0 / len(ls)) for lang in ls] for w, ls in by_word.items()}

    def other_language(self, toks: list[str]) -> str | None:
        scores: dict[str, float] = {}
        for t in toks:
            for lang, v in self.votes.get(t, ()):
                scores[lang] = scores.get(lang, 0.0) + v
        if not scores:
            return None
        lang = max(scores, key=scores.__getitem__)
        ours = max(scores.get("fr", 0.0), scores.get("en", 0.0))
        if lang in _OTHER_LANGS and scores[lang] >= 1.5 and scores[lang] > 1.2 * ours:
            return lang
        return None


class DefaultBackend:
    name = "default"

    def __init__(self, model_dir: Path = DEFAULT_DIR) -> None:
        self.models = LinearModels.load(model_dir)
        self.featurizer = self.models.featurizer
        self.voter = StopwordVoter()
        self._word_cache: dict[str, dict[str, float]] = {}
        self._cache_lock = threading.Lock()

    # -- public --------------------------------------------------------------------------

    def analyze(self, texts: list[str]) -> list[Analysis]:
        if not texts:
            return []
        batch = self.featurizer.extract(texts)
        probs = self.models.probabilities(batch)
        langs = self._languages(batch, probs["lang"])
        h = self.models.heads
        off = _recalibrate(probs["offensive_en"], h["offensive_en"].threshold)
        tox_fr = _recalibrate(probs["toxic_fr"], h["toxic_fr"].threshold)
        hate_en = _recalibrate(probs["hate_en"], h["hate_en"].threshold)
        hate_fr = _recalibrate(probs["racism_fr"], h["racism_fr"].threshold)
        spam = _recalibrate(probs["spam"], h["spam"].threshold)
        sent_en, sent_fr = probs["sentiment_en"], probs["sentiment_fr"]

        results = []
        for i, lang in enumerate(langs):
            # Which heads read the text: an unsure language with words still gets the
            # French or the English heads, whichever the French-vs-English head prefers.
            reading = lang
            if lang == "und" and batch.toks[i] and has_letters(batch.norms[i]):
                reading = "fr" if probs["lang"][i] >= 0.5 else "en"
            if reading == "fr":
                tox_model, hate_model, sent = tox_fr[i], hate_fr[i], sent_fr[i]
            elif reading == "en":
                tox_model, hate_model, sent = off[i], hate_en[i], sent_en[i]
            else:
                # No head for this language: the English heads read Spanish or German as
                # unknown words, and unknown words look offensive to them (OLID's swearing
                # is spelt oddly). Half their score: a word-list hit still decides alone.
                tox_model, hate_model = (
                    OTHER_LANGUAGE_DAMPING * off[i],
                    OTHER_LANGUAGE_DAMPING * hate_en[i],
                )
                sent = (sent_en[i] + sent_fr[i]) / 2.0
                if lang == "und":
                    sent = self._emoji_sentiment(batch.dense[i], sent)
            ev = everyday.read(batch.raws[i], batch.norms[i], batch.toks[i])
            sent = _everyday_sentiment(np.asarray(sent, dtype=np.float64), ev, len(batch.toks[i]))
            spam_i = float(spam[i])
            if not batch.toks[i]:
                # Nothing to read: an empty text is neutral and harmless by definition.
                sent = np.array([0.0, 1.0, 0.0])
                tox_model = hate_model = spam_i = 0.0
            elif ev.scams:
                spam_i = max(spam_i, SCAM_SPAM)
            elif ev.valence <= -COMPLAINT_VALENCE and "httpurl" not in batch.norms[i]:
                # A complaint is many things, but not spam (the SMS heads read "reply" and
                # figures as spam cues).
                spam_i = min(spam_i, 0.45)
            results.append(
                self._compose(batch, i, lang, reading, sent, tox_model, hate_model, spam_i, ev)
            )
        return results

    # -- internals -----------------------------------------------------------------------

    def _languages(self, batch: Batch, p_fr: np.ndarray) -> list[str]:
        """Each text's language, ``und`` when unsure (see ``language.decide``)."""
        langs = []
        for raw, norm, toks, p in zip(batch.raws, batch.norms, batch.toks, p_fr, strict=True):
            if not has_letters(norm.replace("httpurl", "").replace("@user", "")):
                langs.append("und")
                continue
            words = sum(1 for t in toks if t.isalpha() and t not in _PLACEHOLDERS)
            langs.append(decide(raw, float(p), self.voter.other_language(toks), words))
        return langs

    @staticmethod
    def _emoji_sentiment(dense: np.ndarray, fallback: np.ndarray) -> np.ndarray:
        """Emoji-only text: the Emoji Sentiment Ranking decides, the models barely saw emoji."""
        pos, neg = dense[_EMOJI_POS], dense[_EMOJI_NEG]
        if pos == 0 and neg == 0:
            return fallback
        polarity = (pos - neg) / (pos + neg)
        strength = min(1.0, float(pos + neg))
        p_pos = 0.5 * strength * max(polarity, 0.0)
        p_neg = 0.5 * strength * max(-polarity, 0.0)
        # An emoji sign carries direction more than certainty: cap the winner at about 0.8.
        p_pos, p_neg = p_pos * 1.6, p_neg * 1.6
        return np.array([p_neg, 1.0 - p_pos - p_neg, p_pos])

    def _compose(
        self, batch, i, lang, reading, sent, tox_model, hate_model, spam_score, ev
    ) -> Analysis:
        found = batch.hits[i]
        hits = found.terms
        addressed = batch.dense[i][_SECOND_PERSON] > 0 or "@user" in batch.norms[i]
        n_insult, n_obscene, n_hate = (
            found.count(k, reading) for k in ("insult", "obscene", "hate")
        )
        n_threat = len(hits.get("threat", ()))
        listed = [t for k in ("insult", "obscene") for t in hits.get(k, ())]
        only_swears = bool(listed) and all(t in everyday.SWEARS for t in listed)
        praise = ev.valence >= 1.0 and not ev.sarcasm
        if n_hate == 0 and n_threat == 0:
            if praise and (only_swears or ev.figurative):
                # « putain c'est trop bon », "this song kills it": swearing or violence
                # words that intensify praise.
                tox_model *= 0.4
                n_insult = n_obscene = 0
            elif not listed and not ev.accusation and ev.valence <= -1.0:
                # Criticism in words of complaint (worst, disappointing, nul, déçu) and no
                # abusive word: however harsh, not toxic unless the head is quite sure.
                tox_model *= CIVIL_DAMPING
        insult = max(
            _strength(n_insult) * (0.75 + 0.25 * tox_model),
            tox_model * (0.9 if addressed else 0.6),
            ACCUSATION_INSULT if ev.accusation else 0.0,
        )
        obscene = _strength(n_obscene) * (0.75 + 0.25 * tox_model)
        hate = max(float(hate_model), _strength(n_hate))
        if ev.hostile_to_group:
            hate = max(hate, HOSTILE_GROUP_HATE)
        elif n_hate == 0 and not ev.identity and hate < NO_TARGET_SURE:
            # Hate is hostility toward a group of people: without a slur or a group named,
            # the hate heads are reacting to words (crime, politics), not to a target,
            # unless they are sure (NO_TARGET_SURE, chosen on the train splits).
            hate = min(hate, NO_TARGET_HATE)
        threat = _strength(n_threat) * (0.8 + 0.2 * tox_model)
        categories = {
            "insult": round(float(insult), 4),
            "obscene": round(float(obscene), 4),
            "hate": round(float(hate), 4),
            "threat": round(float(threat), 4),
        }
        tox_score = max(float(tox_model), insult, obscene, threat, hate)
        if tox_score >= 0.5 and not praise:
            # Insults, threats and hate addressed to a brand are not neutral remarks.
            sent = 0.3 * sent + 0.7 * _NEGATIVE
        why = {
            "toxicity": self._why(batch, i, "toxicity", reading, tox_score, hits),
            "spam": self._why(batch, i, "spam", reading, float(spam_score), hits),
        }
        return Analysis(
            lang=lang,
            sentiment=Sentiment(
                label=SENTIMENT_LABELS[int(np.argmax(sent))],
                scores={k: round(float(v), 4) for k, v in zip(SENTIMENT_LABELS, sent, strict=True)},
            ),
            toxicity=Toxicity(score=round(float(tox_score), 4), categories=categories),
            spam=Spam(score=round(float(spam_score), 4)),
            why=why,
        )

    def _why(self, batch, i, decision, lang, score, hits) -> list[str]:
        if score < WHY_MIN_SCORE:
            return []
        keys = ("threat", "hate", "insult", "obscene") if decision == "toxicity" else ("spam",)
        words: list[str] = []
        hits_langs = batch.hits[i].word_langs
        for key in keys:
            for term in hits.get(key, ()):
                if lang in hits_langs.get(term, lang) and term not in words:
                    words.append(term)
        head = "spam" if decision == "spam" else ("toxic_fr" if lang == "fr" else "offensive_en")
        # Function words carry weight in the models but explain nothing to a moderator.
        stop = self.voter.stopwords
        toks = [
            t
            for t in dict.fromkeys(batch.toks[i])
            if t not in stop and (len(t) > 2 or (len(t) == 1 and not t.isascii()))
        ]
        scores = self._word_scores(decision, head, toks)
        ranked = sorted((s, t) for t, s in zip(toks, scores, strict=True) if s > 0)
        for _s, tok in reversed(ranked):
            if len(words) >= WHY_MAX_WORDS:
                break
            if tok not in words and not any(tok in w for w in words):
                words.append(tok)
        return words[:WHY_MAX_WORDS]

    def _word_scores(self, decision: str, head: str, toks: list[str]) -> list[float]:
        """How much each word alone pushes the head toward "yes" (cached per word)."""
        cache = self._cache_for(decision, head)
        missing = [t for t in toks if t not in cache]
        if missing:
            f = self.featurizer
            w = self.models.column(head)
            # TF and the L2 norm are left out: they rescale a text's words alike.
            vals = [float(np.dot(f.idf[ids], w[ids])) for ids in f.token_ids(missing)]
            with self._cache_lock:
                if len(cache) > 200_000:
                    cache.clear()  # bounded memory on long-running workers
                cache.update(zip(missing, vals, strict=True))
        return [cache[t] for t in toks]

    def _cache_for(self, decision: str, head: str) -> dict[str, float]:
        key = decision + ":" + head
        with self._cache_lock:
            return self._word_cache.setdefault(key, {})
