"""Listening API: mentions (the explorer's filters, keyset pages), monitored queries (CRUD) and
the preview of a draft query. Every endpoint starts with api_membership (fetch-and-authorize).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest, QueryDict
from ninja import Router, Schema, Status

from parvis.api.auth import api_membership
from parvis.listening import explorer, services
from parvis.listening.models import Mention, MonitoredQuery
from parvis.listening.own import own_author_ids
from parvis.listening.query import QuerySyntaxError, highlight_spans, parse
from parvis.workspaces.access import get_in_workspace, scoped
from parvis.workspaces.roles import Perm

router = Router(tags=["listening"])

API_COUNT_CAP = 10_000
MENTIONS = "/workspaces/{slug}/mentions"
QUERIES = "/workspaces/{slug}/queries"


class AuthorOut(Schema):
    id: int
    network: str
    handle: str
    name: str
    profile_url: str
    followers: int
    mention_count: int
    influence: float
    average_sentiment: float | None


class MentionOut(Schema):
    id: int
    network: str
    external_id: str
    url: str
    title: str
    text: str
    lang: str
    published_at: dt.datetime
    author: AuthorOut
    likes: int
    reposts: int
    replies: int
    engagement: int
    reach: int
    sentiment: str
    sentiment_score: float
    toxicity: float
    spam: float
    group_size: int
    parent_external_id: str
    queries: list[int]
    own_account: bool  # posted by one of the brand's own accounts


class MentionDetailOut(MentionOut):
    ingested_at: dt.datetime
    toxicity_categories: dict[str, Any]
    analysis_why: dict[str, Any]
    source: str | None


class MentionPage(Schema):
    count: int  # lines of the list: one per copy-paste group
    count_capped: bool
    mentions: int  # every mention, copies included: the overview's and the CSV's number
    mentions_capped: bool
    items: list[MentionOut]
    next: str | None


class ErrorOut(Schema):
    detail: dict[str, list[str]]


class SyntaxErrorDetail(Schema):
    code: str
    position: int
    character: int
    message: str


class SyntaxErrorOut(Schema):
    detail: dict[str, list[str]]
    error: SyntaxErrorDetail


class QueryIn(Schema):
    name: str
    kind: str
    expression: str
    is_active: bool = True


class QueryOut(Schema):
    id: int
    name: str
    kind: str
    expression: str
    is_active: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class PreviewIn(Schema):
    expression: str


class PreviewItemOut(Schema):
    id: int
    published_at: dt.datetime
    network: str
    author: str
    title: str
    text: str
    highlights: list[tuple[int, int]]  # character spans in "title\ntext" (or text alone)


class PreviewOut(Schema):
    scanned: int
    matched: int
    items: list[PreviewItemOut]


# --- mentions -------------------------------------------------------------------------------


def mention_out(m: Mention, query_ids: list[int], own_ids: Any = ()) -> dict[str, Any]:
    a = m.author
    return {
        **{f: getattr(m, f) for f in MENTION_FIELDS},
        "author": {
            "id": a.pk,
            "network": a.network,
            "handle": a.handle,
            "name": a.name,
            "profile_url": a.profile_url,
            "followers": a.followers,
            "mention_count": a.mention_count,
            "influence": a.influence,
            "average_sentiment": a.average_sentiment,
        },
        "queries": query_ids,
        "own_account": m.author_id in own_ids,
    }


MENTION_FIELDS = [
    "id",
    "network",
    "external_id",
    "url",
    "title",
    "text",
    "lang",
    "published_at",
    "likes",
    "reposts",
    "replies",
    "engagement",
    "reach",
    "sentiment",
    "sentiment_score",
    "toxicity",
    "spam",
    "group_size",
    "parent_external_id",
]


@router.get(MENTIONS, response={200: MentionPage, 422: ErrorOut})
def list_mentions(
    request: HttpRequest,
    slug: str,
    q: str = "",
    network: str = "",
    sentiment: str = "",
    lang: str = "",
    since: str = "",
    until: str = "",
    query: str = "",
    author: str = "",
    own: str = "",
    period: str = "",
    toxic: str = "",
    spam: str = "",
    min_reach: str = "",
    sort: str = "date",
    cursor: str = "",
    limit: int = explorer.PAGE_SIZE,
) -> Any:
    """Group heads (one per copy-paste group), newest first unless `sort` is reach,
    engagement, negative (lowest sentiment score first) or toxicity. `q`: the language of
    monitored queries (OR, NOT, -word, "phrases", prefix*). `since`/`until`: dates (whole days)
    or ISO date-times; `period`: today, 7d, 30d or month (rolling, wins over since/until).
    `query`: a monitored query id. `own`: "" leaves out the brand's own accounts, "only",
    "all". `toxic=toxic`: toxicity ≥ 0.5; `spam`: hide or only. `count` (lines) and `mentions`
    (copies included) stop at 10,000 (`*_capped`). `next`: the next page's URL."""
    workspace = api_membership(request, slug).workspace
    filters, form = explorer.parse_filters(workspace, request.GET)
    if form.errors:
        return Status(422, {"detail": {k: list(v) for k, v in form.errors.items()}})
    mentions = explorer.filtered_mentions(workspace, filters)
    page = explorer.keyset_page(explorer.with_query_names(mentions), filters, limit)
    count, capped = explorer.count_results(mentions, filters, page, API_COUNT_CAP)
    total, total_capped = explorer.count_all(workspace, filters, API_COUNT_CAP)
    own_ids = set(filters.own_ids)
    next_url = None
    if page.next_cursor:
        params = QueryDict(mutable=True)
        params.update({**filters.params, "cursor": page.next_cursor, "limit": str(limit)})
        next_url = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
    items = [
        mention_out(m, [match.query_id for match in m.matches.all()], own_ids) for m in page.items
    ]
    return {
        "count": count,
        "count_capped": capped,
        "mentions": total,
        "mentions_capped": total_capped,
        "items": items,
        "next": next_url,
    }


@router.get(MENTIONS + "/{mention_id}", response=MentionDetailOut)
def get_mention(request: HttpRequest, slug: str, mention_id: int) -> Any:
    workspace = api_membership(request, slug).workspace
    mention = scoped(Mention, workspace).select_related("author", "source").filter(pk=mention_id)
    mention = mention.first()
    if mention is None:
        raise Http404
    query_ids = list(mention.matches.values_list("query_id", flat=True))
    return {
        **mention_out(mention, query_ids, own_author_ids(workspace)),
        "ingested_at": mention.ingested_at,
        "toxicity_categories": mention.toxicity_categories or {},
        "analysis_why": mention.analysis_why or {},
        "source": mention.source.name if mention.source_id else None,
    }


# --- monitored queries ----------------------------------------------------------------------


def syntax_error(exc: services.ExpressionError) -> Status:
    error = exc.syntax
    return Status(
        422,
        {
            "detail": exc.message_dict,
            "error": {
                "code": error.code,
                "position": error.position,
                "character": error.position + 1,
                "message": services.syntax_message(error),
            },
        },
    )


@router.get(QUERIES, response=list[QueryOut])
def list_queries(request: HttpRequest, slug: str) -> Any:
    return list(scoped(MonitoredQuery, api_membership(request, slug).workspace))


@router.post(QUERIES, response={201: QueryOut, 422: SyntaxErrorOut})
def create_query(request: HttpRequest, slug: str, payload: QueryIn) -> Any:
    m = api_membership(request, slug, Perm.MANAGE_LISTENING)
    try:
        return Status(201, services.do_save_query(m.workspace, m.user, payload.dict()))
    except services.ExpressionError as exc:
        return syntax_error(exc)


# Declared before "/queries/{query_id}" so that "preview" is never read as an id.
@router.post(QUERIES + "/preview", response={200: PreviewOut, 422: SyntaxErrorOut})
def preview_query(request: HttpRequest, slug: str, payload: PreviewIn) -> Any:
    """Run a draft expression on the 5,000 most recent mentions; up to 20 examples."""
    workspace = api_membership(request, slug, Perm.MANAGE_LISTENING).workspace
    try:
        parsed = parse(payload.expression)
        result = explorer.preview_query(workspace, payload.expression)
    except QuerySyntaxError as exc:
        return syntax_error(services.ExpressionError(exc))
    items = []
    for item in result.items:
        m = item.mention
        body = f"{m.title}\n{m.text}" if m.title else m.text
        items.append(
            {
                "id": m.pk,
                "published_at": m.published_at,
                "network": m.network,
                "author": m.author.handle,
                "title": m.title,
                "text": m.text,
                "highlights": highlight_spans(parsed, body),
            }
        )
    return {"scanned": result.scanned, "matched": result.matched, "items": items}


@router.get(QUERIES + "/{query_id}", response=QueryOut)
def get_query(request: HttpRequest, slug: str, query_id: int) -> Any:
    workspace = api_membership(request, slug).workspace
    return get_in_workspace(MonitoredQuery, workspace, pk=query_id)


@router.put(QUERIES + "/{query_id}", response={200: QueryOut, 422: SyntaxErrorOut})
def update_query(request: HttpRequest, slug: str, query_id: int, payload: QueryIn) -> Any:
    m = api_membership(request, slug, Perm.MANAGE_LISTENING)
    query = get_in_workspace(MonitoredQuery, m.workspace, pk=query_id)
    try:
        return services.do_save_query(m.workspace, m.user, payload.dict(), instance=query)
    except services.ExpressionError as exc:
        return syntax_error(exc)


@router.delete(QUERIES + "/{query_id}", response={204: None})
def delete_query(request: HttpRequest, slug: str, query_id: int) -> Any:
    m = api_membership(request, slug, Perm.MANAGE_LISTENING)
    query = get_in_workspace(MonitoredQuery, m.workspace, pk=query_id)
    services.do_delete_query(m.workspace, m.user, query)
    return Status(204, None)
