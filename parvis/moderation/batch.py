"""`parvis moderate`: what a workspace's switched-on moderation rules decide for JSON Lines
of comments, without storing anything or acting on any network."""

from __future__ import annotations

MODERATE_BATCH = 1024


def moderation_item(obj: dict, analysis, engine):
    """The engine's item for one input line (its optional fields checked), or the error."""
    kind = obj.get("kind")
    if kind is None or kind == "":
        kind = "comment"
    if kind not in engine.ITEM_TYPES:
        return None, f"'kind' is one of {', '.join(engine.ITEM_TYPES)}"
    followers = obj.get("author_followers")
    if followers is not None and (isinstance(followers, bool) or not isinstance(followers, int)):
        return None, "'author_followers' must be a whole number"
    fields = {}
    for name in ("network", "lang"):
        value = obj.get(name)
        if value is not None and not isinstance(value, str):
            return None, f"'{name}' must be a string"
        fields[name] = value or ""
    author = obj.get("author")
    if isinstance(author, dict):
        author = author.get("handle") or author.get("name")
    scores = {
        "toxicity": float(analysis.toxicity.score),
        "spam": float(analysis.spam.score),
        **{k: float(v) for k, v in analysis.toxicity.categories.items()},
    }
    why = tuple(w for key in ("toxicity", "spam") for w in analysis.why.get(key) or [])
    return engine.Item(
        text=obj.get("text") or "",
        network=fields["network"],
        lang=fields["lang"] or analysis.lang,
        kind=kind,
        author_handle=author if isinstance(author, str) else "",
        author_followers=followers,
        scores=scores,
        why=why,
    ), None


def decided_by(decision) -> tuple[str | None, str | None]:
    """(reason, rule name) of the rule that made the decision's summary."""
    summary = decision.summary
    for outcome in decision.outcomes:
        kinds = {"review"} if outcome.review else {a["kind"] for a in outcome.rule.actions}
        if summary in kinds:
            return str(outcome.rule.reason), outcome.rule.name
    return None, None


def moderate_stream(workspace, src, dst, batch_size: int = MODERATE_BATCH) -> tuple[int, int]:
    """Apply the workspace's switched-on rules to every line of `src` (JSON Lines of
    comments) into `dst`, one line each, in order; nothing is written to the database and
    nothing is done on a network. Returns (lines written, errors)."""
    import dataclasses
    import json

    from parvis.intelligence import analyze
    from parvis.intelligence.cli import _chunks, _dumps, _parse
    from parvis.moderation import engine, services
    from parvis.moderation.models import ListedAuthor

    specs = [services.spec_of(r) for r in services.active_rules(workspace)]
    context = services.context_for(workspace)
    compiled = engine.Compiled()
    written = errors = 0
    for chunk in _chunks(src, batch_size):
        parsed = [_parse(line) for line in chunk]
        texts = [obj.get("text") or "" for obj, err in parsed if err is None]
        analyses = iter(analyze(texts))
        items = []
        for obj, err in parsed:
            item = None
            if err is None:
                item, err = moderation_item(obj, next(analyses), engine)
            items.append((obj, item, err))
        handles = {item.author_handle for _, item, _ in items if item and item.author_handle}
        lists: dict[tuple[str, str], set[str]] = {}
        if handles:
            for network, handle, name in ListedAuthor.objects.filter(
                workspace=workspace, handle__in=handles
            ).values_list("network", "handle", "author_list__name"):
                lists.setdefault((network, handle), set()).add(name)
        for obj, item, err in items:
            line = ""
            if err is None:
                listed = lists.get((item.network, item.author_handle))
                if listed:
                    item = dataclasses.replace(item, author_lists=frozenset(listed))
                decision = engine.evaluate(specs, item, context, compiled)
                reason, rule = decided_by(decision)
                extra = {k: v for k, v in obj.items() if k != "text"}
                line, err = _dumps(
                    {
                        **extra,
                        "id": obj.get("id"),
                        "decision": decision.summary,
                        "reason": reason,
                        "rule": rule,
                        "scores": {k: round(v, 4) for k, v in item.scores.items()},
                    }
                )
            if err is not None:
                line = json.dumps({"error": err}, ensure_ascii=False)
                errors += 1
            dst.write(line + "\n")
            written += 1
    dst.flush()
    return written, errors
