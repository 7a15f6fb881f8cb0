"""Pages of a list, following `Link: rel="next"` only on the API host."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from collectors.http.response import HttpResponse

if TYPE_CHECKING:
    from collectors.http.client import HttpClient


class Pager(Iterator[HttpResponse]):
    """Pages of a list, following `rel="next"` only on the API host.

    `truncated` is True when iteration stopped at `max_pages` although a next page existed.
    An off-host next link raises UnsafeUrlError when it would be followed, after the pages
    before it were handed out.
    """

    def __init__(
        self, client: HttpClient, url: str, accept: str | None, max_pages: int | None
    ) -> None:
        self._client = client
        self._next: str | None = url
        self._accept = accept
        self._max_pages = max_pages
        self.pages_read = 0
        self.truncated = False

    def __iter__(self) -> Pager:
        return self

    def __next__(self) -> HttpResponse:
        if self._next is None:
            raise StopIteration
        if self._max_pages is not None and self.pages_read >= self._max_pages:
            self.truncated = True
            raise StopIteration
        url = self._client.checked_url(self._next, what="next-page link")
        response = self._client.get(url, accept=self._accept)
        self.pages_read += 1
        self._next = response.links.get("next")
        return response
