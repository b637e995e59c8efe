"""HTTP(S) downloads that a night of unattended runs can rely on.

Timeouts on connect and on every read; retries with exponential backoff for what may pass
(connection errors, timeouts, 5xx, 429, bodies cut short) and none for what will not (4xx);
conditional requests (ETag / Last-Modified) so an unchanged file is not downloaded again; a
size limit checked against Content-Length and again while streaming; redirects followed, but
credentials never sent to another host. The credential itself never appears in a message.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests

from odc_pipeline.registry.safety import host_problem

_RETRY_STATUS = {429, 500, 502, 503, 504}
_MAX_REDIRECTS = 5
USER_AGENT = "odc-pipeline (https://github.com/odc-pipeline; nightly pull of member data)"


class DownloadError(RuntimeError):
    """The file could not be downloaded; the message says why in plain words."""


@dataclass(frozen=True)
class Download:
    """What one successful request gave: a file, or `not_modified` and no file."""

    status: int
    path: Path | None
    headers: dict[str, str]
    final_url: str

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def redact_url(url: str) -> str:
    """The URL as it may be shown: no user:password, no query string (tokens live there)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return f"{parts.scheme}://{host}{parts.path}" + ("?…" if parts.query else "")


class _Session(requests.Session):
    """Drops credentials when a redirect leaves the original host (requests drops only the
    Authorization header; this also drops the other headers we set for auth), and refuses a
    redirect to this server's own network."""

    def __init__(self, secret_headers: set[str], hosts: set[str]) -> None:
        super().__init__()
        self.secret_headers = secret_headers
        self.hosts = hosts
        self.max_redirects = _MAX_REDIRECTS

    def rebuild_auth(self, prepared_request, response) -> None:  # pragma: no cover - hook
        problem = host_problem(prepared_request.url, self.hosts, resolve=True)
        if problem:
            raise DownloadError(f"{redact_url(response.url)} redirects elsewhere: {problem}")
        super().rebuild_auth(prepared_request, response)
        if urlsplit(prepared_request.url).hostname != urlsplit(response.request.url).hostname:
            for name in self.secret_headers:
                prepared_request.headers.pop(name, None)


def download(
    url: str,
    destination: Path,
    *,
    timeout: float = 30.0,
    retries: int = 3,
    backoff: float = 1.0,
    max_bytes: int = 200_000_000,
    headers: dict[str, str] | None = None,
    secret_headers: set[str] | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
    allowed_hosts: set[str] | None = None,
) -> Download:
    """GET `url` into `destination` (written only when the whole body arrived)."""
    problem = host_problem(url, allowed_hosts or set(), resolve=True)
    if problem:
        raise DownloadError(f"{redact_url(url)}: {problem}")
    request_headers = {"User-Agent": USER_AGENT, **(headers or {})}
    if etag:
        request_headers["If-None-Match"] = etag
    if last_modified:
        request_headers["If-Modified-Since"] = last_modified
    shown = redact_url(url)
    last_problem = "no attempt made"
    for attempt in range(retries + 1):
        if attempt:
            sleep(backoff * 2 ** (attempt - 1))
        try:
            with (
                _Session(secret_headers or set(), allowed_hosts or set()) as session,
                session.get(
                    url, headers=request_headers, timeout=(timeout, timeout), stream=True
                ) as response,
            ):
                if response.status_code in _RETRY_STATUS:
                    last_problem = f"the server answered {response.status_code} {response.reason}"
                    continue
                if response.status_code == 304:
                    return Download(304, None, dict(response.headers), response.url)
                if response.status_code >= 400:
                    raise DownloadError(
                        f"{shown}: the server answered {response.status_code} "
                        f"{response.reason}; check the address and the credentials"
                    )
                _save(response, destination, max_bytes, shown)
                return Download(
                    response.status_code, destination, dict(response.headers), response.url
                )
        except DownloadError:
            raise
        except requests.exceptions.TooManyRedirects:
            raise DownloadError(f"{shown}: more than {_MAX_REDIRECTS} redirects") from None
        except requests.exceptions.Timeout:
            last_problem = f"no answer within {timeout:g} s"
        except requests.exceptions.ChunkedEncodingError:
            last_problem = "the connection closed before the whole file arrived"
        except requests.exceptions.ConnectionError as error:
            last_problem = f"cannot connect ({type(error).__name__})"
        except _Truncated as error:
            last_problem = str(error)
    raise DownloadError(f"{shown}: {last_problem} (tried {retries + 1} times)")


class _Truncated(Exception):
    pass


def _save(response: requests.Response, destination: Path, max_bytes: int, shown: str) -> None:
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise DownloadError(
            f"{shown}: the file is {int(declared):,} bytes, over this source's limit of "
            f"{max_bytes:,} (pull.max_bytes in the registry)"
        )
    partial = destination.with_name(destination.name + ".partial")
    received = 0
    with partial.open("wb") as out:
        for chunk in response.iter_content(chunk_size=1 << 16):
            received += len(chunk)
            if received > max_bytes:
                out.close()
                partial.unlink(missing_ok=True)
                raise DownloadError(
                    f"{shown}: the file is over this source's limit of {max_bytes:,} bytes "
                    "(pull.max_bytes in the registry)"
                )
            out.write(chunk)
    # Compressed bodies are counted after decompression, so only plain ones can be compared.
    plain = not response.headers.get("Content-Encoding")
    if plain and declared and declared.isdigit() and received != int(declared):
        partial.unlink(missing_ok=True)
        raise _Truncated(f"the connection closed after {received:,} of {int(declared):,} bytes")
    partial.replace(destination)
