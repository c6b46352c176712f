import base64
import datetime as dt
import json
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.utils import timezone, translation

from parvis.connectors import http
from parvis.connectors.base import PermanentError, RetryLater
from parvis.connectors.reddit import OVERLAP, RedditConnector
from parvis.connectors.reddit.api import user_agent
from parvis.connectors.services import do_connect_account
from parvis.listening.models import Mention, MonitoredQuery, QuarantinedItem, Source, SourceStatus
from parvis.listening.runner import run_source
from parvis.listening.sources import do_create_source

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures" / "reddit"
CLIENT = ("p-jcoLKBynTLew", "gko_LXELoV07ZBNUXrvWZfzE3aI")
SINCE = int(dt.datetime(2026, 11, 1, tzinfo=dt.UTC).timestamp())


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def rate(remaining: float = 996.0, used: int = 4, reset: int = 412) -> dict[str, str]:
    return {
        "X-Ratelimit-Remaining": f"{remaining:.1f}",
        "X-Ratelimit-Used": str(used),
        "X-Ratelimit-Reset": str(reset),
    }


def ok(name: str, **headers: str) -> httpx.Response:
    return httpx.Response(200, json=fixture(name), headers={**rate(), **headers})


class Reddit:
    """Queued answers per endpoint (path), recording every request."""

    def __init__(self, **routes: list[httpx.Response]) -> None:
        self.routes = {"/" + k.replace("__", "/"): list(v) for k, v in routes.items()}
        self.requests: list[httpx.Request] = []

    def add(self, path: str, *responses: httpx.Response) -> None:
        self.routes.setdefault(path, []).extend(responses)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        queue = self.routes.get(request.url.path)
        if not queue:
            return httpx.Response(404, json={"message": "Not Found", "error": 404})
        return queue.pop(0)

    def to(self, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path == path]


def empty() -> httpx.Response:
    """The end of a listing."""
    body = {"kind": "Listing", "data": {"after": None, "children": [], "before": None}}
    return httpx.Response(200, json=body, headers=rate())


def client(server) -> httpx.Client:
    return http.client(transport=httpx.MockTransport(server))


def run(source: Source, server) -> object:
    Source.objects.filter(pk=source.pk).update(next_run_at=timezone.now())
    summary = run_source(source.pk, http_client=client(server))
    source.refresh_from_db()
    return summary


def connect(workspace, **credentials: str):
    creds = {
        "client_id": CLIENT[0],
        "client_secret": CLIENT[1],
        "refresh_token": "21534232-refresh",
        "access_token": "still-valid",
        "expires_at": str(int(time.time()) + 3600),
        **credentials,
    }
    return do_connect_account(
        workspace, None, network="reddit", handle="u/maison_lumiere", credentials=creds
    )


@pytest.fixture
def brand(workspace):
    return MonitoredQuery.objects.create(
        workspace=workspace, name="Marque", kind="brand", expression='"maison lumiere"'
    )


def make_source(workspace, account=None, **config):
    return do_create_source(
        workspace,
        kind="reddit",
        name="Reddit",
        config={"since": "2026-11-01", **config},
        account=account or connect(workspace),
    )


# --- mapping ----------------------------------------------------------------------------


def test_search_posts_map_to_mentions_and_removed_or_deleted_are_skipped(workspace, brand):
    source = make_source(workspace)
    server = Reddit(search=[ok("search_new.json")])
    server.add("/search", empty())
    summary = run(source, server)
    assert (summary.stored, summary.rejected) == (2, 0)
    assert not QuarantinedItem.objects.exists()
    post = Mention.objects.get(external_id="t3_1h0c9zz")
    assert (
        post.url
        == "https://www.reddit.com/r/france/comments/1h0c9zz/bougies_maison_lumiere_vos_avis/"
    )
    assert post.title == "Bougies Maison Lumière : vos avis ?"
    # Markdown kept as the author typed it; raw_json=1 means no &amp; to undo.
    assert post.text.startswith("Quelqu'un a testé **Maison Lumière** ?\n\n* la bougie « Figuier »")
    assert post.text.endswith("Avis > pub & merci !")
    assert post.published_at == dt.datetime(2026, 11, 23, 14, 5, 9, tzinfo=dt.UTC)
    assert (post.likes, post.replies) == (57, 23)
    assert post.author.handle == "u/lea_dupont" and post.author.name == "lea_dupont"
    assert post.author.profile_url == "https://www.reddit.com/user/lea_dupont/"
    assert post.author.followers == 0
    assert post.raw["kind"] == "t3" and post.raw["data"]["link_flair_text"] == "Société"
    link = Mention.objects.get(external_id="t3_1h0c5bb")
    assert link.text == "" and link.likes == 0  # a score of -3 is no like
    assert not Mention.objects.filter(external_id__in=["t3_1h0c3cc", "t3_1h0c2aa"]).exists()


def test_subreddit_mode_reads_new_posts_and_comments(workspace):
    source = make_source(workspace, mode="subreddit", subreddits="r/france, Bougies", keep_all=True)
    server = Reddit()
    server.add("/r/france+Bougies/new", empty())
    server.add("/r/france+Bougies/comments", ok("subreddit_comments.json"))
    summary = run(source, server)
    assert [r.url.path for r in server.requests] == [
        "/r/france+Bougies/new",
        "/r/france+Bougies/comments",
    ]
    assert summary.stored == 1  # the deleted and the removed comment are skipped
    comment = Mention.objects.get()
    assert comment.external_id == "t1_lz8k2qd" and comment.title == ""
    assert (
        comment.text == "La Figuier tient 40 h chez moi, rien à redire. Maison Lumière > le reste."
    )
    assert (comment.parent_external_id, comment.root_external_id) == ("t3_1h0c9zz", "t3_1h0c9zz")
    assert comment.url.endswith("/bougies_maison_lumiere_vos_avis/lz8k2qd/")
    assert (comment.likes, comment.replies) == (8, 0)
    assert set(source.cursor["streams"]) == {"posts", "comments"}


def test_inbox_keeps_replies_mentions_and_messages(workspace):
    source = make_source(workspace, mode="inbox")
    assert source.config["keep_all"] is True
    server = Reddit(message__inbox=[ok("inbox.json")])
    summary = run(source, server)
    assert server.requests[0].url.params["mark"] == "false"  # Parvis leaves them unread
    assert summary.stored == 5
    reply = Mention.objects.get(external_id="t1_lz8m0aa")
    assert reply.url == (
        "https://www.reddit.com/r/france/comments/1h0c9zz/bougies_maison_lumiere_vos_avis/lz8m0aa/"
    )
    assert (reply.parent_external_id, reply.root_external_id) == ("t1_lz8k9ab", "t3_1h0c9zz")
    mention = Mention.objects.get(external_id="t1_lz8l7cc")
    assert mention.root_external_id == "t3_1h0d111"
    message = Mention.objects.get(external_id="t4_1jj9ab")
    assert message.url == "https://www.reddit.com/message/messages/1jj9ab"
    assert message.title == "re: Commande #4521" and message.author.handle == "u/client_paris"
    assert (message.parent_external_id, message.root_external_id) == ("t4_1jj8tc", "t4_1jj8tc")
    answer = Mention.objects.get(external_id="t4_1jjb01")  # nested in the message's replies
    assert (answer.parent_external_id, answer.root_external_id) == ("t4_1jj9ab", "t4_1jj8tc")
    modmail = Mention.objects.get(external_id="t4_1jj7zz")
    assert modmail.author.handle == "r/bougies"


def test_an_item_without_fullname_is_quarantined(workspace, brand):
    body = fixture("search_new.json")
    del body["data"]["children"][0]["data"]["name"]
    body["data"]["after"] = None
    source = make_source(workspace)
    summary = run(source, Reddit(search=[httpx.Response(200, json=body, headers=rate())]))
    assert (summary.stored, summary.rejected) == (1, 1)
    assert QuarantinedItem.objects.get().reason == "Reddit item without fullname (name)"


# --- requests and cursors ---------------------------------------------------------------


def test_search_requests_follow_reddits_documented_shape(workspace, brand):
    source = make_source(workspace)
    last = fixture("search_new.json")
    last["data"]["after"] = None
    server = Reddit(search=[httpx.Response(200, json=last, headers=rate())])
    run(source, server)
    request = server.requests[0]
    assert str(request.url).startswith("https://oauth.reddit.com/search?")
    params = request.url.params
    assert params["q"] == '"maison lumiere"'
    assert (params["sort"], params["type"], params["limit"], params["raw_json"]) == (
        "new",
        "link",
        "100",
        "1",
    )
    assert "after" not in params
    assert request.headers["Authorization"] == "bearer still-valid"
    assert request.headers["User-Agent"] == user_agent("maison_lumiere")
    assert request.headers["User-Agent"].startswith("server:parvis:")
    assert "by /u/maison_lumiere" in request.headers["User-Agent"]


def test_paging_follows_after_and_the_mark_moves_when_the_window_is_complete(workspace, brand):
    source = make_source(workspace)
    server = Reddit(search=[ok("search_new.json"), empty()])
    run(source, server)
    assert [r.url.params.get("after") for r in server.requests] == [None, "t3_1h0c2aa"]
    state = source.cursor["streams"]['search:"maison lumiere"']
    assert state["since"] == 1795442709 and "window" not in state


def test_a_crash_mid_window_resumes_from_after_with_the_old_mark(workspace, brand):
    source = make_source(workspace)
    server = Reddit(search=[ok("search_new.json"), httpx.Response(503, headers=rate())])
    run(source, server)
    assert source.status == SourceStatus.RETRYING and Mention.objects.count() == 2
    state = source.cursor["streams"]['search:"maison lumiere"']
    assert state["since"] == SINCE
    assert state["window"] == {"top": 1795442709.0, "after": "t3_1h0c2aa"}
    resumed = Reddit(search=[empty()])
    run(source, resumed)
    assert resumed.requests[0].url.params["after"] == "t3_1h0c2aa"
    assert source.cursor["streams"]['search:"maison lumiere"']["since"] == 1795442709


def test_items_older_than_the_mark_end_the_window(workspace, brand):
    source = make_source(workspace)
    Source.objects.filter(pk=source.pk).update(
        cursor={"streams": {'search:"maison lumiere"': {"since": 1795440600 + OVERLAP + 1}}}
    )
    server = Reddit(search=[ok("search_new.json")])  # `after` says more, the dates say no
    summary = run(source, server)
    assert len(server.requests) == 1
    assert summary.read == 1  # only the newest post is inside the window
    state = source.cursor["streams"]['search:"maison lumiere"']
    assert state["since"] == 1795442709 and "window" not in state


def test_each_term_is_its_own_stream(workspace, brand):
    MonitoredQuery.objects.create(
        workspace=workspace, name="P", kind="product", expression="bougie"
    )
    source = make_source(workspace)
    server = Reddit(search=[empty(), empty()])
    run(source, server)
    assert [r.url.params["q"] for r in server.requests] == ['"maison lumiere"', "bougie"]
    assert set(source.cursor["streams"]) == {'search:"maison lumiere"', "search:bougie"}


# --- rate limits ------------------------------------------------------------------------


def test_paging_stops_when_the_rate_limit_is_spent_and_waits_for_the_reset(workspace, brand):
    source = make_source(workspace)
    spent = ok("search_new.json", **rate(remaining=0.0, used=1000, reset=321))
    server = Reddit(search=[spent])
    before = time.time()
    summary = run(source, server)
    assert len(server.requests) == 1 and summary.stored == 2
    assert source.status == SourceStatus.OK
    assert before + 320 <= source.cursor["resume_at"] <= time.time() + 322
    # The window is still open: the next page waits for the reset.
    assert source.cursor["streams"]['search:"maison lumiere"']["window"]["after"] == "t3_1h0c2aa"
    quiet = Reddit()
    run(source, quiet)
    assert quiet.requests == [] and source.status == SourceStatus.OK


def test_429_retries_after_the_reset(workspace, brand):
    source = make_source(workspace)
    refused = httpx.Response(
        429, json=fixture("error_429.json"), headers=rate(remaining=0.0, used=1000, reset=540)
    )
    before = timezone.now()
    run(source, Reddit(search=[refused]))
    assert source.status == SourceStatus.RETRYING
    assert source.next_run_at >= before + dt.timedelta(seconds=530)


# --- tokens -----------------------------------------------------------------------------


def basic(request: httpx.Request) -> tuple[str, str]:
    scheme, _, value = request.headers["Authorization"].partition(" ")
    assert scheme == "Basic"
    user, _, password = base64.b64decode(value).decode().partition(":")
    return user, password


def form(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}


def test_an_expired_token_is_renewed_with_the_refresh_token_and_saved(workspace, brand):
    account = connect(workspace, expires_at=str(int(time.time()) - 10))
    source = make_source(workspace, account=account)
    last = fixture("search_new.json")
    last["data"]["after"] = None
    server = Reddit(search=[httpx.Response(200, json=last, headers=rate())])
    server.add("/api/v1/access_token", httpx.Response(200, json=fixture("access_token.json")))
    run(source, server)
    token_request = server.to("/api/v1/access_token")[0]
    assert str(token_request.url) == "https://www.reddit.com/api/v1/access_token"
    assert basic(token_request) == CLIENT
    assert form(token_request) == {
        "grant_type": "refresh_token",
        "refresh_token": "21534232-refresh",
    }
    renewed = fixture("access_token.json")["access_token"]
    assert server.to("/search")[0].headers["Authorization"] == f"bearer {renewed}"
    account.refresh_from_db()
    creds = account.credentials()
    assert creds["access_token"] == renewed
    assert int(creds["expires_at"]) >= int(time.time()) + 86400 - 5
    assert creds["refresh_token"] == "21534232-refresh"  # kept: Reddit sent no new one


def test_a_refused_token_is_renewed_once_then_the_request_repeated(workspace, brand):
    source = make_source(workspace)
    last = fixture("search_new.json")
    last["data"]["after"] = None
    server = Reddit(
        search=[
            httpx.Response(401, json=fixture("error_401.json"), headers=rate()),
            httpx.Response(200, json=last, headers=rate()),
        ]
    )
    server.add("/api/v1/access_token", httpx.Response(200, json=fixture("access_token.json")))
    summary = run(source, server)
    assert summary.stored == 2 and source.status == SourceStatus.OK
    assert [r.url.path for r in server.requests] == ["/search", "/api/v1/access_token", "/search"]


def test_a_revoked_authorization_pauses_the_source_with_what_to_do(workspace, brand):
    source = make_source(workspace)
    server = Reddit(search=[httpx.Response(401, json=fixture("error_401.json"), headers=rate())])
    # Reddit answers some refusals with 200 and an error body.
    server.add("/api/v1/access_token", httpx.Response(200, json=fixture("invalid_grant.json")))
    run(source, server)
    assert source.status == SourceStatus.PAUSED
    assert (
        "invalid_grant" in source.last_error
        and "connect the Reddit account again" in source.last_error
    )
    assert "21534232" not in source.last_error


def test_401_after_a_renewal_is_permanent(workspace, brand):
    source = make_source(workspace)
    unauthorized = httpx.Response(401, json=fixture("error_401.json"), headers=rate())
    server = Reddit(search=[unauthorized, unauthorized])
    server.add("/api/v1/access_token", httpx.Response(200, json=fixture("access_token.json")))
    run(source, server)
    assert source.status == SourceStatus.PAUSED and "even after renewing" in source.last_error


def test_a_private_subreddit_pauses_with_the_reason(workspace):
    source = make_source(workspace, mode="subreddit", subreddits="secret_club", keep_all=True)
    forbidden = httpx.Response(403, json=fixture("error_403_private.json"), headers=rate())
    run(source, Reddit(**{"r/secret_club/new": [forbidden]}))
    assert source.status == SourceStatus.PAUSED
    assert "/r/secret_club/new (private)" in source.last_error and "HTTP 403" in source.last_error


def test_a_banned_subreddit_pauses_with_the_reason(workspace):
    source = make_source(workspace, mode="subreddit", subreddits="gone", keep_all=True)
    missing = httpx.Response(404, json=fixture("error_404_banned.json"), headers=rate())
    run(source, Reddit(**{"r/gone/new": [missing]}))
    assert source.status == SourceStatus.PAUSED and "banned" in source.last_error


def test_a_missing_subreddit_redirected_to_search_pauses(workspace):
    source = make_source(workspace, mode="subreddit", subreddits="nexistepas", keep_all=True)
    moved = httpx.Response(
        302,
        headers={**rate(), "Location": "https://oauth.reddit.com/subreddits/search?q=nexistepas"},
    )
    server = Reddit(**{"r/nexistepas/new": [moved]})
    run(source, server)
    assert len(server.requests) == 1  # not followed
    assert source.status == SourceStatus.PAUSED and "does not exist" in source.last_error


def test_an_answer_that_is_not_a_listing_is_retried(workspace, brand):
    source = make_source(workspace)
    run(source, Reddit(search=[httpx.Response(200, text="<html>upstream</html>", headers=rate())]))
    assert source.status == SourceStatus.RETRYING and "not JSON" in source.last_error


def test_a_script_app_renews_with_the_password_grant(workspace, brand):
    account = do_connect_account(
        workspace,
        None,
        network="reddit",
        handle="u/maison_lumiere",
        credentials={
            "client_id": CLIENT[0],
            "client_secret": CLIENT[1],
            "username": "maison_lumiere",
            "password": "correct horse",
        },
    )
    source = make_source(workspace, account=account)
    last = fixture("search_new.json")
    last["data"]["after"] = None
    server = Reddit(search=[httpx.Response(200, json=last, headers=rate())])
    server.add("/api/v1/access_token", httpx.Response(200, json=fixture("access_token.json")))
    run(source, server)
    assert form(server.to("/api/v1/access_token")[0]) == {
        "grant_type": "password",
        "username": "maison_lumiere",
        "password": "correct horse",
    }
    assert source.status == SourceStatus.OK


# --- connecting an account --------------------------------------------------------------


def test_oauth_start_sends_the_browser_to_reddits_authorization_page():
    fields = {"client_id": f" {CLIENT[0]} ", "client_secret": CLIENT[1]}
    url, pending = RedditConnector.oauth_start(
        client(Reddit()), fields, "https://parvis.example/connectors/oauth/callback", "st4te"
    )
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "www.reddit.com",
        "/api/v1/authorize",
    )
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query == {
        "client_id": CLIENT[0],
        "response_type": "code",
        "state": "st4te",
        "redirect_uri": "https://parvis.example/connectors/oauth/callback",
        "duration": "permanent",
        "scope": "read identity history privatemessages submit modposts",
    }
    assert "%20" in parts.query and "+" not in parts.query  # scopes space-separated
    assert pending == {"client_id": CLIENT[0], "client_secret": CLIENT[1]}


def test_oauth_start_needs_the_client_id_and_secret():
    with pytest.raises(PermanentError, match="prefs/apps"):
        RedditConnector.oauth_start(client(Reddit()), {"client_id": "x"}, "https://p/cb", "s")


def test_oauth_finish_exchanges_the_code_and_names_the_account():
    server = Reddit()
    server.add("/api/v1/access_token", httpx.Response(200, json=fixture("access_token_code.json")))
    server.add("/api/v1/me", httpx.Response(200, json=fixture("me.json"), headers=rate()))
    pending = {"client_id": CLIENT[0], "client_secret": CLIENT[1]}
    info = RedditConnector.oauth_finish(client(server), pending, "c0de", "https://p/cb")
    token_request, me_request = server.requests
    assert basic(token_request) == CLIENT
    assert form(token_request) == {
        "grant_type": "authorization_code",
        "code": "c0de",
        "redirect_uri": "https://p/cb",
    }
    first = fixture("access_token_code.json")
    assert str(me_request.url).startswith("https://oauth.reddit.com/api/v1/me")
    assert me_request.headers["Authorization"] == f"bearer {first['access_token']}"
    assert (info.handle, info.display_name) == ("u/maison_lumiere", "maison_lumiere")
    assert info.credentials["refresh_token"] == first["refresh_token"]
    assert set(info.credentials) == {
        "client_id",
        "client_secret",
        "access_token",
        "refresh_token",
        "expires_at",
    }


def test_oauth_finish_with_a_used_code_says_to_start_again():
    server = Reddit()
    server.add("/api/v1/access_token", httpx.Response(200, json=fixture("invalid_grant.json")))
    pending = {"client_id": CLIENT[0], "client_secret": CLIENT[1]}
    with pytest.raises(PermanentError, match="start the connection again"):
        RedditConnector.oauth_finish(client(server), pending, "used", "https://p/cb")


def test_wrong_client_credentials_are_named():
    server = Reddit()
    server.add("/api/v1/access_token", httpx.Response(401, json=fixture("error_401.json")))
    pending = {"client_id": CLIENT[0], "client_secret": "wrong"}
    with pytest.raises(PermanentError, match="client id and secret"):
        RedditConnector.oauth_finish(client(server), pending, "c0de", "https://p/cb")


def test_token_endpoint_overload_is_retried_later():
    server = Reddit()
    server.add("/api/v1/access_token", httpx.Response(503, headers={"Retry-After": "30"}))
    pending = {"client_id": CLIENT[0], "client_secret": CLIENT[1]}
    with pytest.raises(RetryLater) as caught:
        RedditConnector.oauth_finish(client(server), pending, "c0de", "https://p/cb")
    assert caught.value.retry_after == 30


def test_login_connects_a_script_app():
    server = Reddit()
    server.add("/api/v1/access_token", httpx.Response(200, json=fixture("access_token.json")))
    server.add("/api/v1/me", httpx.Response(200, json=fixture("me.json"), headers=rate()))
    fields = {
        "client_id": CLIENT[0],
        "client_secret": CLIENT[1],
        "username": "maison_lumiere",
        "password": "correct horse",
    }
    info = RedditConnector.login(client(server), fields)
    assert form(server.requests[0])["grant_type"] == "password"
    assert info.handle == "u/maison_lumiere"
    assert (
        info.credentials["password"] == "correct horse" and "refresh_token" not in info.credentials
    )


# --- settings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"mode": "hot"}, "search, subreddit, inbox"),
        ({"mode": "subreddit"}, "at least one subreddit"),
        ({"mode": "subreddit", "subreddits": "bad name!"}, "not a subreddit name"),
        (
            {"mode": "subreddit", "subreddits": ",".join(f"s{i:02d}" for i in range(30))},
            "At most 25",
        ),
        ({"since": "hier"}, "date like 2026-11-01"),
        ({"since": "2999-01-01"}, "future"),
    ],
)
def test_settings_are_checked_with_clear_errors(config, message):
    with translation.override("en"), pytest.raises(ValueError, match=message):
        RedditConnector.validate_config(config)


def test_settings_are_normalised():
    assert RedditConnector.validate_config(
        {"mode": "subreddit", "subreddits": "r/france, /r/Bougies/ france", "since": "2026-11-01"}
    ) == {
        "mode": "subreddit",
        "keep_all": False,
        "subreddits": ["france", "Bougies"],
        "since": "2026-11-01",
    }
    assert RedditConnector.validate_config({}) == {"mode": "search", "keep_all": False}
    assert RedditConnector.validate_config({"mode": "inbox"})["keep_all"] is True


def test_a_source_needs_a_reddit_account(workspace):
    with pytest.raises(ValueError, match="connected account"):
        do_create_source(workspace, kind="reddit", name="R", config={})
