"""Corrections that teach: one click on a mention, kept, filterable, exportable, and a
per-workspace adaptation layer that never sees another workspace's corrections."""

from __future__ import annotations

import csv
import io

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse

from parvis.listening import adapting, corrections
from parvis.listening.ingest import ingest_lines
from parvis.listening.models import Adaptation, Correction, Mention
from parvis.workspaces.roles import Role
from tests.conftest import login
from tests.listening.factories import lines, mention

pytestmark = pytest.mark.django_db


def stored(workspace, n: int, **overrides) -> Mention:
    ingest_lines(workspace, lines([mention(n, **overrides)]))
    return Mention.objects.get(workspace=workspace, external_id__endswith=f"/{n:06d}")


def test_correcting_applies_at_once_and_is_kept(workspace, owner):
    m = stored(workspace, 1, text="Quelle déception, rien ne va")
    before = m.sentiment
    c = corrections.do_correct(workspace, m, "sentiment", "positive", owner)
    m.refresh_from_db()
    assert m.sentiment == "positive" and m.sentiment_score == 1.0
    assert (c.before, c.after, c.member, c.field) == (before, "positive", owner, "sentiment")
    assert len(c.scores) == 9 and all(0.0 <= s <= 1.0 for s in c.scores)

    # Spam and toxicity: yes / no; the same label again records nothing.
    corrections.do_correct(workspace, m, "spam", "yes", owner)
    m.refresh_from_db()
    assert m.spam == 1.0
    assert corrections.do_correct(workspace, m, "spam", "yes", owner) is None
    corrections.do_correct(workspace, m, "toxicity", "yes", owner)
    m.refresh_from_db()
    assert m.toxicity == 1.0
    # Later corrections keep the model's first view, not the corrected columns.
    scores = list(Correction.objects.filter(mention=m).values_list("scores", flat=True))
    assert all(s == scores[0] for s in scores)
    assert Correction.objects.filter(workspace=workspace).count() == 3


def test_bad_corrections_are_refused(workspace, other_workspace, owner):
    m = stored(workspace, 1)
    for field, label in (("lang", "fr"), ("sentiment", "great"), ("spam", "maybe")):
        with pytest.raises(ValidationError):
            corrections.do_correct(workspace, m, field, label, owner)
    with pytest.raises(ValidationError):
        corrections.do_correct(other_workspace, m, "spam", "yes", owner)
    assert not Correction.objects.exists()


def test_one_click_in_the_mention_detail(workspace, owner, member_factory):
    m = stored(workspace, 1, text="Livraison rapide, merci")
    client = login(owner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the English words asserted below
    page = client.get(reverse("listening:mention", args=[workspace.slug, m.pk]))
    assert b'name="field" value="spam"' in page.content
    url = reverse("listening:mention_correct", args=[workspace.slug, m.pk])
    answer = client.post(url, {"field": "spam", "label": "yes"}, HTTP_HX_REQUEST="true")
    assert answer.status_code == 200
    assert b'id="analysis"' in answer.content and "Not spam" in answer.content.decode()
    m.refresh_from_db()
    assert m.spam == 1.0
    assert client.post(url, {"field": "spam", "label": "x"}).status_code == 400
    # A viewer sees the labels but cannot correct them.
    viewer = login(member_factory(Role.ANALYST))
    assert (
        b'name="field"'
        not in viewer.get(reverse("listening:mention", args=[workspace.slug, m.pk])).content
    )
    assert viewer.post(url, {"field": "spam", "label": "no"}).status_code == 403


def test_list_filter_and_csv_export(workspace, other_workspace, owner, member_factory):
    a = stored(workspace, 1, text='=HYPERLINK("http://x") super produit')
    b = stored(workspace, 2, text="Toujours pas reçu ma commande")
    flip = "no" if corrections.label_of(a, "spam") == "yes" else "yes"
    corrections.do_correct(workspace, a, "spam", flip, owner)
    b.sentiment = "positive"  # as if the model had read it so
    b.save(update_fields=["sentiment"])
    corrections.do_correct(workspace, b, "sentiment", "negative", owner)
    corrections.do_correct(workspace, b, "sentiment", "neutral", owner)
    theirs = stored(other_workspace, 3)
    corrections.do_correct(
        other_workspace, theirs, "spam", "yes", member_factory(ws=other_workspace)
    )

    client = login(owner)
    page = client.get(reverse("listening:corrections", args=[workspace.slug]), {"field": "spam"})
    assert page.status_code == 200
    assert [r.field for r in page.context["rows"]] == ["spam"]

    export = client.get(reverse("listening:corrections_export", args=[workspace.slug]))
    rows = list(csv.reader(io.StringIO(export.content.decode())))
    assert rows[0] == corrections.CSV_HEADER
    assert len(rows) == 4  # header + this workspace's three corrections, newest first
    assert [r[2:5] for r in rows[1:]] == [
        ["sentiment", "negative", "neutral"],
        ["sentiment", "positive", "negative"],
        ["spam", "yes" if flip == "no" else "no", flip],
    ]
    assert rows[3][7].startswith("'=")  # no formula for the spreadsheet to run
    only = client.get(
        reverse("listening:corrections_export", args=[workspace.slug]), {"field": "sentiment"}
    )
    assert len(list(csv.reader(io.StringIO(only.content.decode())))) == 3


def test_adaptation_learns_from_this_workspace_only(workspace, other_workspace, owner):
    # The team says: the delivery notices the model scores as harmless are spam here.
    texts = [f"Votre colis numéro {n} arrive demain, suivez-le sur notre site" for n in range(12)]
    ham = [f"Merci pour la bougie numéro {n}, elle sent très bon" for n in range(12)]
    for n, text in enumerate(texts):
        m = stored(workspace, 100 + n, text=text)
        if m.spam < 0.5:
            corrections.do_correct(workspace, m, "spam", "yes", owner)
    for n, text in enumerate(ham[:6]):
        # And thank-you notes the model had flagged are not (both ways: a layer needs both).
        m = stored(workspace, 200 + n, text=text)
        m.spam = 0.8
        m.save(update_fields=["spam"])
        corrections.do_correct(workspace, m, "spam", "no", owner)
    fitted = adapting.refit(workspace.pk)
    assert fitted.get("spam", 0) >= adapting.adaptation.MIN_CORRECTIONS
    assert Adaptation.objects.filter(workspace=workspace, task="spam").exists()
    assert not Adaptation.objects.filter(workspace=other_workspace).exists()

    new = "Votre colis numéro 999 arrive demain, suivez-le sur notre site"
    here = stored(workspace, 999, text=new)
    there = stored(other_workspace, 999, text=new)
    assert here.spam >= 0.5
    assert there.spam < 0.5  # the other workspace keeps the shared model's view
    # Too few corrections, or one class only: no layer.
    assert adapting.refit(other_workspace.pk) == {}
