"""Recurring series: a template post and a rule; each occurrence is an ordinary post.

Rules:
- the rule gives dates (`occurrence_dates`, pure): weekly on some weekdays, or monthly on a
  day (the month's last day when it is shorter), every `interval` weeks or months counted
  from the week or month of `starts_on`, until a date and/or for `count` occurrences counted
  from `starts_on`; each date's time is read on the workspace's clock (`zone_of`), so 09:00
  stays 09:00 across a change of summer time;
- `do_fill` creates the posts of the dates to come in the next `horizon_weeks` weeks: each is
  a draft sent through the same approval as any post (with no approval flow it is approved and
  scheduled at once if every check passes; otherwise its log says why); one post per
  (series, date), enforced by a unique constraint, so running it twice or from two workers at
  once creates nothing twice; past dates are never created;
- an edit of the series (`do_update_series`) brings its future, unpublished occurrences along
  (text, accounts, campaign, time: a text edit sends an approved one back to approval); a date
  the new rule drops is cancelled; published occurrences never change;
- stopping (`do_stop_series`) cancels the future unpublished occurrences and creates no more.
"""

from __future__ import annotations

import calendar as pycal
import datetime as dt
import logging
from collections.abc import Iterator, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from parvis.publishing import approvals, services
from parvis.publishing.calendar import MAX_YEAR, MIN_YEAR
from parvis.publishing.forms import local_moment
from parvis.publishing.models import (
    Campaign,
    Frequency,
    Post,
    Series,
    SeriesOccurrence,
    Status,
)
from parvis.workspaces.models import Workspace
from parvis.workspaces.zones import zone_of

logger = logging.getLogger(__name__)

MAX_INTERVAL = 52
MAX_COUNT = 1000
MAX_HORIZON_WEEKS = 26
# What an edit or a stop may still change: not on its way to the network, not published.
FOLLOWING = (
    Status.DRAFT,
    Status.AWAITING_APPROVAL,
    Status.CHANGES_REQUESTED,
    Status.APPROVED,
    Status.SCHEDULED,
)
FIELDS = (
    "name",
    "text",
    "campaign",
    "frequency",
    "weekdays",
    "month_day",
    "interval",
    "time",
    "starts_on",
    "until",
    "count",
    "horizon_weeks",
)


# --- the rule (pure) --------------------------------------------------------------------------


def _months(start: dt.date) -> Iterator[tuple[int, int]]:
    year, month = start.year, start.month
    while year <= MAX_YEAR:
        yield year, month
        month += 1
        if month > 12:
            year, month = year + 1, 1


def rule_dates(series: Series) -> Iterator[dt.date]:
    """Every date of the rule from `starts_on`, in order, without the end conditions."""
    start = series.starts_on
    step = max(1, series.interval)
    if series.frequency == Frequency.MONTHLY:
        wanted = series.month_day or 1
        for index, (year, month) in enumerate(_months(start)):
            if index % step:
                continue
            day = dt.date(year, month, min(wanted, pycal.monthrange(year, month)[1]))
            if day >= start:
                yield day
        return
    weekdays = sorted({int(d) for d in series.weekdays or []})
    if not weekdays:
        return
    monday = start - dt.timedelta(days=start.weekday())
    week = 0
    while monday.year <= MAX_YEAR:
        if week % step == 0:
            for weekday in weekdays:
                day = monday + dt.timedelta(days=weekday)
                if day >= start and day.year <= MAX_YEAR:
                    yield day
        monday += dt.timedelta(weeks=1)
        week += 1


def occurrence_dates(series: Series, last: dt.date) -> list[dt.date]:
    """The series' dates up to `last` (included), with its end (until, count) applied."""
    found: list[dt.date] = []
    for day in rule_dates(series):
        if day > last or (series.until is not None and day > series.until):
            break
        if series.count is not None and len(found) >= series.count:
            break
        found.append(day)
    return found


def moment(series: Series, day: dt.date) -> dt.datetime:
    return local_moment(day, series.time, zone_of(series.workspace))


# --- checking ---------------------------------------------------------------------------------


def validate(series: Series) -> None:
    """Every field in its range, with a message a person can act on."""
    errors: dict[str, str] = {}
    if not series.name.strip():
        errors["name"] = _("Give the series a name.")
    services.check_text(series.text)
    if not series.text.strip():
        errors["text"] = _("Write the text of the post.")
    if series.frequency not in Frequency.values:
        errors["frequency"] = _("Choose weekly or monthly.")
    if not 1 <= series.interval <= MAX_INTERVAL:
        errors["interval"] = _("Every 1 to %(n)s weeks or months.") % {"n": MAX_INTERVAL}
    if series.frequency == Frequency.WEEKLY:
        days = series.weekdays
        if (
            not isinstance(days, list)
            or not days
            or not all(isinstance(d, int) and 0 <= d <= 6 for d in days)
        ):
            errors["weekdays"] = _("Choose at least one day of the week.")
    elif series.month_day is None or not 1 <= series.month_day <= 31:
        errors["month_day"] = _("Choose a day of the month between 1 and 31.")
    for key in ("starts_on", "until"):
        value = getattr(series, key)
        if value is not None and not MIN_YEAR <= value.year <= MAX_YEAR:
            errors[key] = _("Choose a date between %(first)s and %(last)s.") % {
                "first": MIN_YEAR,
                "last": MAX_YEAR,
            }
    if series.starts_on is None:
        errors["starts_on"] = _("Choose the first date.")
    elif series.until is not None and "until" not in errors and series.until < series.starts_on:
        errors["until"] = _("The end comes before the start.")
    if series.count is not None and not 1 <= series.count <= MAX_COUNT:
        errors["count"] = _("Between 1 and %(n)s occurrences.") % {"n": MAX_COUNT}
    if not 1 <= series.horizon_weeks <= MAX_HORIZON_WEEKS:
        errors["horizon_weeks"] = _("Between 1 and %(n)s weeks.") % {"n": MAX_HORIZON_WEEKS}
    if series.time is None:
        errors["time"] = _("Choose the time.")
    if (
        series.campaign_id is not None
        and not Campaign.objects.filter(
            pk=series.campaign_id, workspace_id=series.workspace_id
        ).exists()
    ):
        errors["campaign"] = _("No such campaign in this workspace.")
    if errors:
        raise ValidationError(errors)


def _accounts(workspace: Workspace, account_ids: Sequence[int]) -> list[Any]:
    if not account_ids:
        raise ValidationError({"accounts": _("Choose at least one account to publish to.")})
    return services.accounts_of(workspace, account_ids)


# --- writes -----------------------------------------------------------------------------------


def do_create_series(
    workspace: Workspace,
    actor: Any,
    *,
    accounts: Sequence[int],
    now: dt.datetime | None = None,
    **values: Any,
) -> Series:
    """A new series; its first weeks of posts are made at once."""
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    chosen = _accounts(workspace, accounts)
    series = Series(
        workspace=workspace,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        **values,
    )
    series.name = series.name.strip()
    validate(series)
    with transaction.atomic():
        series.full_clean(exclude=["created_by", "campaign", "accounts"])
        series.save()
        series.accounts.set(chosen)
    do_fill(series, now=now)
    return series


def known_dates(series: Series, dates: Sequence[dt.date]) -> set[dt.date]:
    return set(
        SeriesOccurrence.objects.filter(series=series, date__in=list(dates)).values_list(
            "date", flat=True
        )
    )


def do_fill(series: Series, *, now: dt.datetime | None = None) -> list[Post]:
    """The posts of the dates to come within the horizon that have none yet."""
    now = now or timezone.now()
    made: list[Post] = []
    with transaction.atomic():
        # The row as it is now (a stop or an edit may have come since the caller read it),
        # locked: a second worker filling the same series waits, then finds the dates made.
        series = (
            Series.objects.select_for_update(of=("self",))
            .select_related("workspace", "campaign", "created_by")
            .get(pk=series.pk)
        )
        if series.stopped_at is not None:
            return []
        zone = zone_of(series.workspace)
        today = now.astimezone(zone).date()
        last = min(today + dt.timedelta(weeks=series.horizon_weeks), dt.date(MAX_YEAR, 12, 31))
        dates = [d for d in occurrence_dates(series, last) if moment(series, d) > now]
        have = known_dates(series, dates)
        variants = {a.pk: "" for a in series.accounts.all()}
        for day in dates:
            if day in have:
                continue
            try:
                with transaction.atomic():
                    post = services.do_create_post(
                        series.workspace,
                        series.created_by,
                        series.text,
                        variants=variants,
                        scheduled_at=moment(series, day),
                        campaign=series.campaign,
                    )
                    SeriesOccurrence.objects.create(
                        workspace_id=series.workspace_id,
                        series=series,
                        date=day,
                        post=post,
                        series_version=series.version,
                    )
            except IntegrityError:
                continue  # another worker made this date: its post stands, ours is gone
            made.append(post)
            submit(post, series.created_by)
    return made


def submit(post: Post, actor: Any) -> None:
    """The same way as any post: to its approvers; with no approval flow, approved and
    scheduled if every check passes (else the post's log says why)."""
    head = approvals.do_submit_for_approval(post, actor)
    approvals.schedule_if_timed(head, actor)


def following(series: Series, now: dt.datetime) -> list[SeriesOccurrence]:
    """The occurrences an edit or a stop still changes: to come and not published."""
    return list(
        SeriesOccurrence.objects.filter(
            series=series, post__status__in=FOLLOWING, post__scheduled_at__gt=now
        ).select_related("post")
    )


def do_update_series(
    series: Series,
    actor: Any,
    *,
    accounts: Sequence[int] | None = None,
    now: dt.datetime | None = None,
    **values: Any,
) -> Series:
    """Change the template or the rule; the future occurrences follow (see the docstring)."""
    now = now or timezone.now()
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    with transaction.atomic():
        series = Series.objects.select_for_update().get(pk=series.pk)
        if series.stopped_at is not None:
            raise ValidationError(_("This series is stopped."))
        chosen = _accounts(series.workspace, accounts) if accounts is not None else None
        for key, value in values.items():
            setattr(series, key, value)
        series.name = series.name.strip()
        validate(series)
        series.version += 1
        series.full_clean(exclude=["created_by", "campaign", "accounts"])
        series.save(update_fields=[*values, "version", "updated_at"])
        if chosen is not None:
            series.accounts.set(chosen)
        bring_along(series, actor, now)
    do_fill(series, now=now)
    return series


def bring_along(series: Series, actor: Any, now: dt.datetime) -> None:
    """Each future unpublished occurrence: cancelled if the rule dropped its date, else
    given the series' text, accounts, campaign and time."""
    rows = following(series, now)
    if not rows:
        return
    last = max(r.date for r in rows)
    keep = set(occurrence_dates(series, last))
    variants = {a.pk: "" for a in series.accounts.all()}
    for row in rows:
        post = row.post
        if row.date not in keep:
            services.do_cancel(post, actor)
            row.delete()  # the date is free again should the rule take it back
            continue
        services.do_update_post(post, actor, text=series.text, campaign=series.campaign)
        current = set(post.variants.values_list("account_id", flat=True))
        if current != set(variants):
            services.do_set_variants(post, actor, variants)
        when = moment(series, row.date)
        post.refresh_from_db()
        if post.scheduled_at != when:
            services.do_reschedule(post, actor, when)
        row.series_version = series.version
        row.save(update_fields=["series_version"])
        post.refresh_from_db()
        if post.status == Status.DRAFT:
            submit(post, actor)  # a check failed after the edit: sent again, as when made
        elif post.status == Status.APPROVED:
            approvals.schedule_if_timed(post, actor)


def do_stop_series(series: Series, actor: Any, *, now: dt.datetime | None = None) -> int:
    """No more occurrences; the future unpublished ones are cancelled (how many)."""
    now = now or timezone.now()
    with transaction.atomic():
        series = Series.objects.select_for_update().get(pk=series.pk)
        if series.stopped_at is not None:
            return 0
        series.stopped_at = now
        series.save(update_fields=["stopped_at", "updated_at"])
        rows = following(series, now)
        for row in rows:
            services.do_cancel(row.post, actor)
    return len(rows)


def fill_all(now: dt.datetime | None = None) -> int:
    """The periodic task: every running series' horizon kept filled (posts made)."""
    made = 0
    for series in Series.objects.filter(stopped_at__isnull=True).only("pk"):
        try:
            made += len(do_fill(series, now=now))
        except Exception:  # one series' trouble must not keep the others' posts from being made
            logger.exception("series %s: could not fill its horizon", series.pk)
    return made
