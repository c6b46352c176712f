"""The offline demo: Maison Lumière's seed (seed.py), the made-up corpus it replays
(corpus.py, texts in data/corpus_texts.json) and the replay connector (connector.py).

At the top of the layers: it seeds every app, and nothing below imports it.
"""
