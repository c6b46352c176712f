"""Result types returned by ``parvis.intelligence.analyze``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

SENTIMENT_LABELS = ("negative", "neutral", "positive")
TOXICITY_CATEGORIES = ("insult", "obscene", "hate", "threat")


@dataclass
class Sentiment:
    label: str
    scores: dict[str, float]


@dataclass
class Toxicity:
    score: float
    categories: dict[str, float]


@dataclass
class Spam:
    score: float


@dataclass
class Analysis:
    """Everything ``analyze`` says about one text.

    ``lang`` is an ISO 639-1 code, or ``"und"`` when the text has no letters. Scores are in
    0..1 and calibrated so that 0.5 is the decision threshold chosen on validation data.
    ``why`` lists, for the toxicity and spam decisions, the words that weighed most.
    """

    lang: str
    sentiment: Sentiment
    toxicity: Toxicity
    spam: Spam
    why: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)
