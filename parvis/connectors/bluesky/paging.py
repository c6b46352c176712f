"""Reading a newest-first list (search results, notifications) down to what we already have.

State of one list, kept in the source's cursor:
  {"newest": {"uri", "at"}?,                        the newest item of the last finished pass
   "pass": {"cursor", "top": {"uri", "at"}, "pages"}?}  a pass under way: the API cursor of the
                                                      next page and the newest item of the pass

The new "newest" is committed only when the pass ends, so a crash in the middle of a pass
resumes it from its last stored page instead of skipping what was below it: the cursor saved
with a page never describes items after that page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

# Items indexed late can sort just below the newest one we had; read a little past it.
SLACK = dt.timedelta(minutes=2)


@dataclass(frozen=True)
class Ref:
    uri: str
    at: str  # ISO 8601, as the network gave it

    def as_dict(self) -> dict[str, str]:
        return {"uri": self.uri, "at": self.at}


def parse_at(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def reached(newest: dict[str, Any] | None, refs: list[Ref]) -> bool:
    """Whether this page goes down to what the last pass already read."""
    if not newest or not refs:
        return False
    if any(ref.uri == newest.get("uri") for ref in refs):
        return True
    boundary, oldest = parse_at(newest.get("at")), parse_at(refs[-1].at)
    return boundary is not None and oldest is not None and oldest < boundary - SLACK


def step(
    state: dict[str, Any], refs: list[Ref], next_cursor: str | None, *, max_pages: int
) -> tuple[dict[str, Any], bool]:
    """The list's state once this page is stored, and whether the pass is over."""
    current = state.get("pass") or {}
    newest = state.get("newest")
    top = current.get("top") or (refs[0].as_dict() if refs else None)
    pages = int(current.get("pages", 0)) + 1
    done = not next_cursor or not refs or reached(newest, refs) or pages >= max_pages
    if done:
        return ({"newest": top} if top else {"newest": newest} if newest else {}), True
    following = {"cursor": next_cursor, "top": top, "pages": pages}
    return ({"newest": newest, "pass": following} if newest else {"pass": following}), False


def page_cursor(state: dict[str, Any]) -> str | None:
    """The API cursor of the next page of a pass under way, None to start at the top."""
    return (state.get("pass") or {}).get("cursor") or None
