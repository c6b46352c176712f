"""HTTP for connectors: one client configuration and one mapping of responses to errors."""

from __future__ import annotations

import datetime as dt
import email.utils
import random
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from parvis import __version__
from parvis.connectors.base import PermanentError, RetryLater

USER_AGENT = f"Parvis/{__version__} (self-hosted social listening)"
TIMEOUT = httpx.Timeout(20.0, connect=10.0)
PERMANENT = {
    400: "the request was refused as malformed",
    401: "the credentials were refused: reconnect the account",
    403: "access is forbidden: check the account's permissions",
    404: "the address does not exist (anymore)",
    410: "the resource is gone for good",
}


MB = 1024 * 1024
DEFAULT_MAX_BODY = 8 * MB
READ_CHUNK = 64 * 1024
# Only what CappedTransport can inflate within the cap (zlib): no brotli, no zstd.
ACCEPT_ENCODING = "gzip, deflate"


class BodyTooLarge(PermanentError):
    """An answer larger than the connector's cap: reading stopped there, the source pauses."""


class Deflate:
    """deflate as servers send it: zlib-wrapped as the RFC says, or raw as some do."""

    def __init__(self) -> None:
        self.inner = zlib.decompressobj()
        self.started = False

    def decompress(self, data: bytes, max_length: int) -> bytes:
        if not self.started:
            self.started = True
            try:
                return self.inner.decompress(data, max_length)
            except zlib.error:
                self.inner = zlib.decompressobj(-zlib.MAX_WBITS)
        return self.inner.decompress(data, max_length)

    @property
    def unconsumed_tail(self) -> bytes:
        return self.inner.unconsumed_tail

    def flush(self) -> bytes:
        return self.inner.flush()


def inflater(encoding: str) -> Any | None:
    """A zlib decompressor for a Content-Encoding, None for an uncompressed body; raises
    PermanentError for a compression we did not offer."""
    encoding = encoding.strip().lower()
    if encoding in {"", "identity"}:
        return None
    if encoding in {"gzip", "x-gzip"}:
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return Deflate()
    raise PermanentError(
        f"the answer is compressed with {encoding[:40]!r}, which Parvis cannot read"
    )


def declared_length(response: httpx.Response) -> int:
    try:
        return int(response.headers.get("Content-Length", "0"))
    except ValueError:
        return 0  # h11 refuses such a header; a fake transport might not


class CappedStream(httpx.SyncByteStream):
    """The body, decompressed here a bounded piece at a time, stopping past `limit` bytes:
    a 400 MB feed, or a small gzip that inflates to gigabytes, never sits in memory."""

    def __init__(
        self,
        inner: httpx.SyncByteStream,
        decoder: Any,
        limit: int,
        too_large: Callable[[], BodyTooLarge],
    ) -> None:
        self.inner, self.decoder, self.limit, self.too_large = inner, decoder, limit, too_large

    def pieces(self) -> Iterator[bytes]:
        for chunk in self.inner:
            if self.decoder is None:
                yield chunk
                continue
            data = chunk
            while data:
                yield self.decoder.decompress(data, READ_CHUNK)
                data = self.decoder.unconsumed_tail
        if self.decoder is not None:
            yield self.decoder.flush()

    def __iter__(self) -> Iterator[bytes]:
        read = 0
        try:
            for piece in self.pieces():
                read += len(piece)
                if read > self.limit:
                    raise self.too_large()
                if piece:
                    yield piece
        except zlib.error as exc:
            raise RetryLater(f"the answer's compressed body is damaged: {exc}") from exc

    def close(self) -> None:
        self.inner.close()


class CappedTransport(httpx.BaseTransport):
    """Every answer read through the connectors' client, redirects included, is capped."""

    def __init__(self, inner: httpx.BaseTransport, limit: int, setting: str = "") -> None:
        self.inner, self.limit, self.setting = inner, limit, setting

    def too_large(self, host: str) -> BodyTooLarge:
        where = f" (raise {self.setting} if it is genuine)" if self.setting else ""
        return BodyTooLarge(
            f"the answer from {host} is larger than {self.limit / MB:g} MB, the most Parvis "
            f"reads from this kind of source{where}"
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        host = request.url.host
        try:
            if declared_length(response) > self.limit:
                raise self.too_large(host)  # refused before reading a byte of it
            decoder = inflater(response.headers.get("Content-Encoding", ""))
        except BaseException:
            response.close()
            raise
        if decoder is not None:
            # Decompressed here, so httpx must not do it again.
            del response.headers["Content-Encoding"]
            response.headers.pop("Content-Length", None)
        response.stream = CappedStream(
            response.stream, decoder, self.limit, lambda: self.too_large(host)
        )
        return response

    def close(self) -> None:
        self.inner.close()


def client(
    transport: httpx.BaseTransport | None = None,
    *,
    max_body: int = DEFAULT_MAX_BODY,
    max_body_setting: str = "",
) -> httpx.Client:
    """The connectors' client; without a transport given (tests give fakes), connections to
    private addresses are refused unless the operator allows them (connectors/netguard.py).
    No answer is read past `max_body` bytes (BodyTooLarge names `max_body_setting`)."""
    from parvis.connectors import netguard

    return httpx.Client(
        timeout=TIMEOUT,
        headers={"User-Agent": USER_AGENT, "Accept-Encoding": ACCEPT_ENCODING},
        follow_redirects=True,
        transport=CappedTransport(
            transport or netguard.guarded_transport(), max_body, max_body_setting
        ),
    )


def retry_after(response: httpx.Response, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date)."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - now).total_seconds())


def check(response: httpx.Response) -> httpx.Response:
    """Return a usable response, or raise the typed error the scheduler acts on."""
    status = response.status_code
    if status < 400 or status == 304:
        return response
    if status == 429 or status >= 500:
        raise RetryLater(f"HTTP {status} from {response.url.host}", retry_after(response))
    reason = PERMANENT.get(status, "the request was refused")
    raise PermanentError(f"HTTP {status} from {response.url.host}: {reason}")


def get(http: httpx.Client, url: str, **kwargs: object) -> httpx.Response:
    try:
        return check(http.get(url, **kwargs))
    except (httpx.TimeoutException, httpx.TransportError) as exc:
        raise RetryLater(f"{type(exc).__name__} reaching {httpx.URL(url).host}") from exc


def backoff(
    failures: int,
    retry_after_s: float | None = None,
    *,
    base: float = 60.0,
    cap: float = 6 * 3600.0,
    rng: random.Random | None = None,
) -> float:
    """Exponential backoff with full jitter, never sooner than the server asked."""
    rng = rng or random.Random()  # noqa: S311  (jitter, not security)
    ceiling = min(cap, base * (2 ** max(failures - 1, 0)))
    delay = rng.uniform(ceiling / 2, ceiling)
    return max(delay, retry_after_s or 0.0)
