"""The Graph API as an Instagram professional account, through its Facebook Page's token.

The client, the usage headers and the general error mapping are the Facebook connector's
(facebook/graph.py); this adds what Instagram's answers add. From Meta's documentation
(instagram-platform/instagram-graph-api, content publishing "Error codes"), errors are the
Graph error object with Instagram subcodes:
- 9004 / 2207052: the media could not be fetched from its URL (the public address is wrong or
  not reachable from the Internet);
- 9007 / 2207027: the container is not ready to publish yet (wait for FINISHED);
- 9 / 2207042: the account reached its publishing limit for 24 hours;
- 4 / 2207051: the action was blocked (spam suspicion): wait;
- 36003 / 2207009 (aspect ratio), 36000 / 2207004 (image too large), 352 / 2207026 (video
  format), 2207023 (unknown media type): what was sent cannot be published as is;
- 25 / 2207050: the account is restricted or inactive.
"""

from __future__ import annotations

import httpx

from parvis.connectors.base import PermanentError, RetryLater
from parvis.connectors.facebook import graph

RECONNECT = "reconnect the Instagram account (Connected accounts → Connect → Instagram)"
PERMISSION_FOR = {
    "read": "instagram_basic, instagram_manage_comments, pages_read_engagement",
    "reply": "instagram_manage_comments",
    "moderate": "instagram_manage_comments",
    "publish": "instagram_content_publish",
    "metrics": "instagram_manage_insights",
    "pages": "pages_show_list",
}
NOT_READY_WAIT = 30.0
LIMIT_WAIT = 3600.0  # the 24-hour window is rolling: an hour frees some of it
BLOCKED_WAIT = 3600.0

MEDIA_REFUSED = {
    2207009: "Instagram refuses the picture's aspect ratio (from 4:5 to 1.91:1 in the feed)",
    2207004: "the image is larger than Instagram accepts (8 MB)",
    2207026: "Instagram does not accept this video's format (MP4 or MOV, H.264, AAC)",
    2207023: "Instagram does not know this kind of media",
    2207005: "Instagram does not accept this media's format (JPEG images only)",
}


class Api(graph.Api):
    """Calls as the Page that owns the Instagram account."""

    permission_for = PERMISSION_FOR
    reconnect = RECONNECT

    def refusal(self, response: httpx.Response, doing: str) -> Exception:
        error = graph.error_object(response)
        code = graph.as_int(error.get("code"))
        subcode = graph.as_int(error.get("error_subcode"))
        said = str(error.get("error_user_msg") or error.get("message") or "")[:300]
        detail = f" ({said})" if said else ""
        if code == 9004 or subcode == 2207052:
            return PermanentError(
                "Instagram could not fetch the media from Parvis's public address: check that "
                f"PARVIS_PUBLIC_URL is this server's address as seen from the Internet{detail}"
            )
        if code == 9007 or subcode == 2207027:
            return RetryLater(
                f"Instagram has not finished preparing the media{detail}", NOT_READY_WAIT
            )
        if subcode == 2207042 or code == 9:
            return RetryLater(
                f"the Instagram account reached its publishing limit for 24 hours{detail}",
                LIMIT_WAIT,
            )
        if subcode == 2207051:
            return RetryLater(f"Instagram blocked the action for a while{detail}", BLOCKED_WAIT)
        if subcode in MEDIA_REFUSED:
            return PermanentError(f"{MEDIA_REFUSED[subcode]}{detail}: change the media")
        if code == 25 or subcode == 2207050:
            return PermanentError(
                f"Instagram says the account is restricted or inactive{detail}: open the Instagram "
                "app, settle what it asks, then retry"
            )
        return super().refusal(response, doing)
