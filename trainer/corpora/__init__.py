"""Corpus adapters: each turns one labelled corpus into canonical paragraph rows.

An adapter is a function ``(options, log) -> Iterator[list[dict]]`` registered by name with
:func:`adapter`. It yields one article at a time (a list of rows from
:func:`trainer.rows.article_rows`, labels filled in), so a build streams. ``options`` is the
adapter's table from the build config (always with ``path``); a row may carry a ``"split"`` key
to pin it to an official split. Anything an adapter cannot use is reported through
``log.skip(item, reason)``, never dropped silently.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Iterator
from urllib.parse import urlsplit

Adapter = Callable[[dict, "BuildLog"], Iterator[list[dict]]]
ADAPTERS: dict[str, Adapter] = {}


def adapter(name: str) -> Callable[[Adapter], Adapter]:
    def register(fn: Adapter) -> Adapter:
        ADAPTERS[name] = fn
        return fn
    return register


@dataclass
class BuildLog:
    """What a build skipped and why, and each adapter's own measurements."""

    skipped: list[dict] = field(default_factory=list)
    stats: dict[str, dict] = field(default_factory=dict)

    def skip(self, source: str, item: str, reason: str, group: str = "",
             page_type: str = "") -> None:
        """Report an unusable item; a whole page skipped gives its split ``group`` and
        ``page_type`` too, so that evaluation can still account for it (see
        :func:`trainer.dataset.skipped_pages`)."""
        record = {"source": source, "item": item, "reason": reason}
        if group:
            record.update(group=group, page_type=page_type)
        self.skipped.append(record)

    def skip_counts(self) -> Counter:
        return Counter((s["source"], s["reason"].split(":")[0]) for s in self.skipped)


def site_of(url: str) -> str:
    """The split unit of a web page: the registrable domain of its URL's host ("" if none).

    A site's subdomains share its templates, and so its boilerplate (uk.glossier.com and
    buy.glossier.com; blog platforms' many subdomains): split by host, 21 WCXB domains had
    pages in two splits. ICANN suffixes only (bbc.co.uk), not private ones such as github.io,
    whose subdomains share a platform's pages too. An IP address is its own site.
    """
    host = (urlsplit(url).hostname or "").rstrip(".")
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return _public_suffixes().privatesuffix(host) or host


@lru_cache(maxsize=1)
def _public_suffixes():
    """The public suffix list shipped with ``publicsuffixlist`` (read offline, once)."""
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList(only_icann=True)


def load_adapters() -> dict[str, Adapter]:
    """Import the adapter modules (which register themselves) and return the registry."""
    from . import annotated, debates, web  # noqa: F401

    return ADAPTERS
