from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Schema


class WorkspaceOut(Schema):
    slug: str
    name: str
    description: str
    role: str
    permissions: list[str]


class MemberOut(Schema):
    username: str
    name: str
    role: str
    since: dt.datetime


class StrategyOut(Schema):
    positioning: str
    brand_keywords: list[str]
    address_form: str
    language_register: str
    tone: str
    themes: list[str]
    words_to_use: list[str]
    words_to_avoid: list[str]
    signature_hashtags: list[str]
    updated_at: dt.datetime


class StrategyPatch(Schema):
    positioning: str | None = None
    brand_keywords: list[str] | None = None
    address_form: str | None = None
    language_register: str | None = None
    tone: str | None = None
    themes: list[str] | None = None
    words_to_use: list[str] | None = None
    words_to_avoid: list[str] | None = None
    signature_hashtags: list[str] | None = None


class ObjectiveIn(Schema):
    kind: str
    title: str
    kpi: str
    target_value: Decimal
    unit: str = ""
    period_start: dt.date
    period_end: dt.date
    network: str = ""
    notes: str = ""


class ObjectiveOut(ObjectiveIn):
    id: int


class PersonaIn(Schema):
    name: str
    description: str = ""
    expectations: str = ""
    networks: list[str] = []


class PersonaOut(PersonaIn):
    id: int


class NetworkChoiceIn(Schema):
    network: str
    reason: str = ""
    posts_per_week: int = 3


class NetworkChoiceOut(NetworkChoiceIn):
    id: int


class CompetitorIn(Schema):
    name: str
    keywords: list[str] = []
    handles: list[str] = []
    website: str = ""


class CompetitorOut(CompetitorIn):
    id: int


class ChangeOut(Schema):
    created_at: dt.datetime
    actor: str | None
    action: str
    item_type: str
    item_id: int | None
    item_label: str
    changes: dict
