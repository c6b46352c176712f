"""Contests on published posts: creating one (its rules and its committed seed), its entries
(the post's replies as listening stored them), the draw, once, and its exports.

Rules:
- a contest is on one published variant (the post on one account); its rules are fixed at
  creation, with a seed (`contests.new_seed`) kept encrypted; only its commitment (SHA-256)
  is shown, to be published in the contest post or its first reply before the entries close;
- the entries are the post's direct replies (`listening.replies.replies_to`), the brand's
  own replies left out; each entry's id is « network:the reply's id » and its author the
  network's stable id where there is one (a Bluesky DID), else the handle;
- « must follow » is applied where the network says who follows the account (Bluesky, read
  through that account); elsewhere it is recorded but « not checked », the draw's rules say
  so (must_follow false) and the winners are to be checked by hand;
- the draw happens after the closing time, once: a conditional UPDATE (`drawn_at` still
  null) claims it, so two clicks or two workers cannot both draw; in the same transaction
  the entries are snapshotted with their eligibility and place, the seed revealed, and a
  PostEvent logged. The exports are rebuilt from that snapshot, so they stay the same if a
  reply is deleted later, and `parvis contest-draw --verify` checks them.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from parvis.connectors import crypto
from parvis.listening.replies import FOLLOW_NETWORKS, MAX_REPLIES, replies_to
from parvis.publishing import contests
from parvis.publishing.models import Contest, ContestEntry, EventKind, Status, Variant
from parvis.publishing.reasons import Reason
from parvis.publishing.services import check_text, event

MAX_WINNERS = 1000
MAX_RESERVES = 1000
MAX_EXCLUDED = 500
MAX_HANDLE = 300
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100
HASHTAG = re.compile(r"#?\w{1,99}")
_SEPARATORS = re.compile(r"[\s,;]+")


def parse_handles(text: str) -> list[str]:
    """Handles typed one per line or separated by commas, without duplicates, in order."""
    return list(dict.fromkeys(h for h in _SEPARATORS.split(text or "") if h))


def follow_checked(contest: Contest) -> bool:
    """Whether « must follow » can be applied to this contest's network."""
    return contest.variant.account.network in FOLLOW_NETWORKS


def effective_rules(contest: Contest) -> contests.Rules:
    """The rules the draw applies (and its record holds): « must follow » only where it can
    be checked."""
    return contests.Rules(
        one_entry_per_person=contest.one_entry_per_person,
        required_hashtag=contest.required_hashtag,
        must_follow=contest.must_follow and follow_checked(contest),
        excluded_handles=frozenset(contest.excluded_handles),
        closes_at=contest.closes_at,
        winners=contest.winners,
        reserves=contest.reserves,
    )


# --- creating ---------------------------------------------------------------------------------


def _check_rules(
    name: str,
    closes_at: dt.datetime,
    winners: int,
    reserves: int,
    required_hashtag: str,
    excluded: list[str],
    now: dt.datetime,
) -> None:
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = _("Give the contest a name.")
    if timezone.is_naive(closes_at):
        errors["closes_at"] = _("Give the closing time with its time zone.")
    elif not EARLIEST_YEAR <= closes_at.year <= LATEST_YEAR:
        errors["closes_at"] = _("This date is out of range.")
    elif closes_at <= now:
        errors["closes_at"] = _(
            "The entries must close in the future: the commitment has to be published before."
        )
    if type(winners) is not int or not 1 <= winners <= MAX_WINNERS:
        errors["winners"] = _("Between 1 and %(n)s winners.") % {"n": MAX_WINNERS}
    if type(reserves) is not int or not 0 <= reserves <= MAX_RESERVES:
        errors["reserves"] = _("Between 0 and %(n)s reserves.") % {"n": MAX_RESERVES}
    if required_hashtag and not HASHTAG.fullmatch(required_hashtag):
        errors["required_hashtag"] = _("One hashtag: letters, digits or _, like #Concours.")
    if len(excluded) > MAX_EXCLUDED or any(len(h) > MAX_HANDLE for h in excluded):
        errors["excluded_handles"] = _("At most %(n)s accounts, each a handle.") % {
            "n": MAX_EXCLUDED
        }
    if errors:
        raise ValidationError(errors)


def do_create_contest(
    variant: Variant,
    actor: Any,
    *,
    name: str,
    closes_at: dt.datetime,
    winners: int = 1,
    reserves: int = 0,
    required_hashtag: str = "",
    must_follow: bool = False,
    one_entry_per_person: bool = True,
    excluded_handles: Iterable[str] = (),
    now: dt.datetime | None = None,
) -> Contest:
    """A contest on a published variant, with a new seed of which only the commitment shows."""
    now = now or timezone.now()
    if variant.status != Status.PUBLISHED or not variant.external_id:
        raise ValidationError(_("A contest runs on a published post."))
    tag = required_hashtag.strip()
    excluded = [h.strip() for h in excluded_handles if h.strip()]
    for field_name, value in (("name", name), ("required_hashtag", tag)):
        check_text(value, field_name)
    for handle in excluded:
        check_text(handle, "excluded_handles")
    _check_rules(name, closes_at, winners, reserves, tag, excluded, now)
    seed = contests.new_seed()
    contest = Contest(
        workspace_id=variant.workspace_id,
        variant=variant,
        name=name.strip()[:200],
        one_entry_per_person=bool(one_entry_per_person),
        required_hashtag=tag,
        must_follow=bool(must_follow),
        excluded_handles=excluded,
        closes_at=closes_at,
        winners=winners,
        reserves=reserves,
        sealed_seed=crypto.encrypt({"seed": seed}),
        commitment=contests.commit(seed),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        created_at=now,
    )
    with transaction.atomic():
        contest.full_clean(exclude=["sealed_seed", "created_by"])
        contest.save()
        event(
            variant.post,
            EventKind.CONTEST_CREATED,
            actor,
            variant=variant,
            message=_("Contest « %(name)s », commitment %(commitment)s")
            % {"name": contest.name, "commitment": contest.commitment},
            at=now,
            contest=contest.pk,
            commitment=contest.commitment,
        )
    return contest


# --- entries ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entries:
    entries: list[contests.Entry]
    urls: dict[str, str]  # entry id -> the reply on the network
    truncated: bool  # more replies than MAX_REPLIES: too many to draw among


def entry_id(network: str, reply_id: str) -> str:
    # The network's name first: no id then starts like a spreadsheet formula, which the CSV
    # export would quote (and the verification would then read another id).
    return f"{network}:{reply_id}"


def current_entries(contest: Contest, limit: int = MAX_REPLIES) -> Entries:
    """The post's replies as stored now, the brand's own left out."""
    variant = contest.variant
    network = variant.account.network
    replies = replies_to(
        contest.workspace,
        network,
        variant.external_id,
        account_id=variant.account_id,
        limit=limit + 1,
    )
    truncated = len(replies) > limit
    entries, urls = [], {}
    for reply in replies[:limit]:
        if reply.own:
            continue
        key = entry_id(network, reply.reply_id)
        entries.append(
            contests.Entry(
                entry_id=key,
                author_id=entry_id(network, reply.author_id),
                author_handle=reply.handle,
                text=reply.text,
                posted_at=reply.posted_at,
                follows=reply.follows,
            )
        )
        urls[key] = reply.url
    return Entries(entries, urls, truncated)


# --- the draw ---------------------------------------------------------------------------------


def _seed(contest: Contest) -> str:
    try:
        seed = crypto.decrypt(bytes(contest.sealed_seed))["seed"]
    except (crypto.CredentialsUnreadable, KeyError, TypeError) as exc:
        raise ValidationError(
            _("The contest's seed cannot be read (the encryption key changed): it cannot be drawn.")
        ) from exc
    if contests.commit(seed) != contest.commitment:
        raise ValidationError(_("The contest's seed does not match its commitment."))
    return seed


def do_draw_contest(contest: Contest, actor: Any, *, now: dt.datetime | None = None) -> Contest:
    """Draw the winners and reserves, once, after the closing time (module docs)."""
    now = now or timezone.now()
    if contest.drawn_at is not None:
        raise ValidationError(_("This contest has already been drawn."))
    if now < contest.closes_at:
        raise ValidationError(
            _("The entries are still open: the draw comes after the closing time.")
        )
    seed = _seed(contest)
    with transaction.atomic():
        claimed = Contest.objects.filter(pk=contest.pk, drawn_at__isnull=True).update(
            drawn_at=now,
            drawn_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        if not claimed:
            raise ValidationError(_("This contest has already been drawn."))
        found = current_entries(contest)
        if found.truncated:
            raise ValidationError(
                _("More than %(n)s replies: too many to draw among here.") % {"n": MAX_REPLIES}
            )
        rules = effective_rules(contest)
        verdict = contests.eligible(found.entries, rules)
        try:
            result = contests.draw(verdict.kept, seed, rules.winners, rules.reserves, rules=rules)
        except contests.DrawError as exc:
            raise ValidationError(str(exc)) from exc
        _store_entries(contest, verdict, result, found.urls)
        contest.drawn_at = now
        contest.drawn_by = actor if getattr(actor, "is_authenticated", False) else None
        contest.seed = seed
        contest.result = result.as_dict()
        contest.save(update_fields=["seed", "result"])
        variant = contest.variant
        event(
            variant.post,
            EventKind.CONTEST_DRAWN,
            actor,
            variant=variant,
            message=_("Contest « %(name)s »: %(entries)s entries, %(eligible)s eligible.")
            % {
                "name": contest.name,
                "entries": len(found.entries),
                "eligible": len(verdict.kept),
            },
            at=now,
            contest=contest.pk,
            winners=list(result.winners),
            reserves=list(result.reserves),
            entries_digest=result.entries_digest,
        )
    return contest


def _store_entries(
    contest: Contest, verdict: contests.Eligibility, result: contests.Draw, urls: dict[str, str]
) -> None:
    winners = {eid: n for n, eid in enumerate(result.winners, 1)}
    reserves = {eid: n for n, eid in enumerate(result.reserves, 1)}
    rows = [(e, None) for e in verdict.kept] + [(r.entry, r.reason) for r in verdict.rejected]
    ContestEntry.objects.bulk_create(
        [
            ContestEntry(
                workspace_id=contest.workspace_id,
                contest=contest,
                entry_id=entry.entry_id,
                author_id=entry.author_id,
                author_handle=entry.author_handle,
                text=entry.text,
                url=urls.get(entry.entry_id, ""),
                posted_at=entry.posted_at,
                follows=entry.follows,
                eligible=reason is None,
                reason_code=reason.code if reason else "",
                reason_params={k: str(v) for k, v in reason.params.items()} if reason else {},
                winner_rank=winners.get(entry.entry_id, 0),
                reserve_rank=reserves.get(entry.entry_id, 0),
            )
            for entry, reason in rows
        ],
        batch_size=1000,
    )


# --- what the pages and the exports read ------------------------------------------------------


def reason_of(row: ContestEntry) -> Reason | None:
    if row.eligible or row.reason_code not in contests.REASONS:
        return None
    return Reason(row.reason_code, contests.REASONS[row.reason_code], dict(row.reason_params))


def stored_verdict(contest: Contest) -> tuple[contests.Eligibility, contests.Draw | None]:
    """The eligibility and the draw as stored at the draw (nothing re-read from listening)."""
    kept, rejected = [], []
    for row in ContestEntry.objects.filter(contest=contest).order_by("posted_at", "entry_id"):
        entry = contests.Entry(
            entry_id=row.entry_id,
            author_id=row.author_id,
            author_handle=row.author_handle,
            text=row.text,
            posted_at=row.posted_at,
            follows=row.follows,
        )
        reason = reason_of(row)
        if row.eligible:
            kept.append(entry)
        else:
            rejected.append(
                contests.Rejection(entry, reason or Reason(row.reason_code, row.reason_code))
            )
    verdict = contests.Eligibility(tuple(kept), tuple(rejected))
    record = contest.result
    if contest.drawn_at is None or not record:
        return verdict, None
    result = contests.Draw(
        algorithm=record["algorithm"],
        seed=record["seed"],
        commitment=record["commitment"],
        entry_ids=tuple(record["entry_ids"]),
        entries_digest=record["entries_digest"],
        winners=tuple(record["winners"]),
        reserves=tuple(record["reserves"]),
        rules=contests.Rules.from_dict(record["rules"]) if record.get("rules") else None,
    )
    return verdict, result


def verdict_now(contest: Contest) -> tuple[contests.Eligibility, contests.Draw | None, bool]:
    """Before the draw: the current replies under the rules; after: the snapshot. The last
    value says whether there were more replies than can be read."""
    if contest.drawn_at is not None:
        verdict, result = stored_verdict(contest)
        return verdict, result, False
    found = current_entries(contest)
    return contests.eligible(found.entries, effective_rules(contest)), None, found.truncated


def export(contest: Contest, fmt: str) -> str:
    """The entries with their eligibility (and the draw, once made), as CSV or JSON."""
    verdict, result, _truncated = verdict_now(contest)
    if fmt == "csv":
        return contests.export_csv(verdict, result)
    document = json.loads(contests.export_json(verdict, result))
    # What was public before the draw comes first: the commitment and the rules. The draw
    # record (`draw`) is what `parvis contest-draw --verify` reads.
    document = {"contest": public_summary(contest), **document}
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def public_summary(contest: Contest) -> dict[str, Any]:
    return {
        "name": contests.clean(contest.name),
        "post": contest.variant.url,
        "network": contest.variant.account.network,
        "algorithm": contests.ALGORITHM,
        "commitment": contest.commitment,
        "rules": effective_rules(contest).as_dict(),
        "must_follow_asked": contest.must_follow,
        "must_follow_checked": contest.must_follow and follow_checked(contest),
        "drawn_at": contest.drawn_at.isoformat() if contest.drawn_at else None,
    }
