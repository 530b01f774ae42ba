"""The HTTP side: JSON requests to `maildog-ci serve`'s API over urllib, errors as ApiError.

Proxies from the environment are ignored on purpose: serve listens on loopback, and an
`http_proxy` meant for the internet must not carry a test's requests away.
"""
from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, Mapping, Optional

# Bounds every request that is not a long poll: the API answers from memory.
REQUEST_TIMEOUT = 30.0
# A long poll's socket waits this much longer than the wait it asked serve for.
POLL_MARGIN = 10.0


class ApiError(Exception):
    """A request to serve's API failed: a 4xx/5xx (status and the body's "error") or no answer."""

    def __init__(self, method: str, url: str, status: Optional[int], error: str) -> None:
        self.method = method
        self.url = url
        self.status = status
        self.error = error
        where = f"{method} {url}"
        super().__init__(f"{where}: {status} {error}" if status is not None else f"{where}: {error}")


@dataclass(frozen=True)
class Response:
    status: int
    content_type: str
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Api:
    """Requests relative to one base URL (serve's root, or a sandbox's `.../sandboxes/s1/`)."""

    def __init__(self, base_url: str, token: Optional[str] = None) -> None:
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        # serve reads MAILDOG_API_TOKEN too: a serve started from this environment requires it.
        self.token = token if token is not None else os.environ.get("MAILDOG_API_TOKEN") or None

    def url(self, path: str, query: Optional[Mapping[str, Any]] = None) -> str:
        url = urllib.parse.urljoin(self.base_url, path)
        if query:
            pairs = [(k, _query_value(v)) for k, v in query.items() if v is not None]
            if pairs:
                url += "?" + urllib.parse.urlencode(pairs)
        return url

    def request(self, method: str, path: str, *, query: Optional[Mapping[str, Any]] = None,
                body: Any = None, timeout: float = REQUEST_TIMEOUT, ok_statuses: tuple[int, ...] = ()) -> Response:
        """One request; a status of 400 or more raises ApiError unless listed in ok_statuses."""
        url = self.url(path, query)
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with _opener.open(request, timeout=timeout) as answer:
                return Response(answer.status, answer.headers.get("Content-Type", ""), answer.read())
        except urllib.error.HTTPError as error:
            payload = error.read()
            if error.code in ok_statuses:
                return Response(error.code, error.headers.get("Content-Type", ""), payload)
            raise ApiError(method, url, error.code, _error_text(payload)) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise ApiError(method, url, None, f"no answer from maildog-ci serve ({reason})") from None

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        return response.json() if response.body else None


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _error_text(payload: bytes) -> str:
    """The API's {"error": "..."} text, or the body as it came."""
    text = payload.decode("utf-8", "replace")
    try:
        parsed = json.loads(text)
    except ValueError:
        return text.strip()
    if isinstance(parsed, dict) and isinstance(parsed.get("error"), str):
        return str(parsed["error"])
    return text.strip()
