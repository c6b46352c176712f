import datetime as dt

import pytest

from parvis.listening import explorer
from parvis.listening.ingest import ingest_lines
from tests.listening.factories import lines, mention

pytestmark = pytest.mark.django_db

WAVE = "Rendez-moi ma commande #RenduMaCommande, trois semaines sans nouvelles de Maison Lumière"


def test_a_copy_paste_wave_counts_on_the_days_it_happened(workspace):
    items = [mention(1, text=WAVE, created_at="2026-11-02T10:00:00+00:00")]
    items += [mention(n, text=WAVE, created_at="2026-11-09T10:00:00+00:00") for n in range(2, 12)]
    ingest_lines(workspace, lines(items))
    days = {
        d.day: d.positive + d.neutral + d.negative + d.unknown
        for d in explorer.overview(workspace, dt.date(2026, 11, 1), dt.date(2026, 11, 10)).days
    }
    assert days[dt.date(2026, 11, 2)] == 1
    assert days[dt.date(2026, 11, 9)] == 10  # the wave, not hidden on the first copy's day
