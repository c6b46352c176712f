"""Optional transformers backend, exercised with a tiny BERT the test writes to disk."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from parvis.intelligence import analyze, configure  # noqa: E402
from parvis.intelligence.transformer_backend import TransformerBackend  # noqa: E402

WORDS = ["good", "bad", "movie", "film", "bon", "mauvais"]


def _tiny_model(path, labels: dict[int, str], bias: list[float], multi_label=False) -> None:
    """A 1-layer BERT whose classifier ignores the text and outputs ``bias`` as logits."""
    path.mkdir()
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]
    (path / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = transformers.BertTokenizer(str(path / "vocab.txt"))
    config = transformers.BertConfig(
        vocab_size=len(vocab),
        hidden_size=8,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=16,
        max_position_embeddings=64,
        num_labels=len(labels),
        id2label=labels,
        label2id={v: k for k, v in labels.items()},
        problem_type="multi_label_classification" if multi_label else None,
    )
    model = transformers.BertForSequenceClassification(config)
    with torch.no_grad():
        model.classifier.weight.zero_()
        model.classifier.bias.copy_(torch.tensor(bias))
    model.save_pretrained(str(path))
    tokenizer.save_pretrained(str(path))


@pytest.fixture
def sentiment_model(tmp_path):
    path = tmp_path / "sentiment"
    _tiny_model(path, {0: "negative", 1: "neutral", 2: "positive"}, [0.0, 0.0, 3.0])
    return path


def test_sentiment_comes_from_the_local_model(sentiment_model):
    backend = TransformerBackend(sentiment_model=sentiment_model)
    texts = ["bad film, awful", "", "😡", "x " * 5000]
    results = backend.analyze(texts)
    expected = math.exp(3) / (2 + math.exp(3))
    for res in results:
        assert res.sentiment.label == "positive"  # the model, not the default backend
        assert res.sentiment.scores["positive"] == pytest.approx(expected, abs=1e-3)
    # Everything else keeps the default backend's shape and answers.
    assert results[0].lang == "en" and set(results[0].why) == {"toxicity", "spam"}


def test_two_label_model_and_toxicity_model(tmp_path):
    sent = tmp_path / "sst2"
    _tiny_model(sent, {0: "LABEL_0", 1: "LABEL_1"}, [2.0, 0.0])
    tox = tmp_path / "tox"
    _tiny_model(tox, {0: "toxic", 1: "insult"}, [4.0, -4.0], multi_label=True)
    (res,) = TransformerBackend(sentiment_model=sent, toxicity_model=tox).analyze(["good movie"])
    assert res.sentiment.label == "negative"
    assert res.sentiment.scores["neutral"] == 0.0
    assert res.toxicity.score == pytest.approx(1 / (1 + math.exp(-4)), abs=1e-3)


def test_selected_through_configure(sentiment_model):
    try:
        configure("transformers", sentiment_model=str(sentiment_model))
        (res,) = analyze(["bad bad bad"])
        assert res.sentiment.label == "positive"
    finally:
        configure(None)
    (res,) = analyze(["bad bad bad, I hate it"])
    assert res.sentiment.label == "negative"  # back to the default backend


def test_missing_model_folder_fails_loudly(tmp_path):
    with pytest.raises(OSError):
        TransformerBackend(sentiment_model=tmp_path / "nope")
