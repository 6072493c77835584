"""Helpers for page tests through the Flask test client: HTML requests, CSRF tokens, time links."""

from __future__ import annotations

import html
import re

HTML = {"Accept": "text/html,application/xhtml+xml"}


def page(client, url, status=200):
    response = client.get(url, headers=HTML)
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:2000])
    return response, response.get_data(as_text=True)


def csrf_of(text: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)


def links(text: str, css_class: str) -> list[tuple[str, str]]:
    """(href, text) of the ``<a class="css_class">`` links of a page."""
    found = re.findall(rf'<a data-pick class="{css_class}" href="([^"]+)"[^>]*>(.*?)</a>', text, re.S)
    return [(html.unescape(href), re.sub(r"<[^>]+>", " ", label).strip()) for href, label in found]


def hidden(text: str, name: str) -> str:
    return html.unescape(re.search(rf'name="{name}" value="([^"]*)"', text).group(1))


def pick_time(client, first_url: str, hhmm: str, day_index: int = 0) -> tuple[str, str]:
    """Follow a day link then the time link named ``hhmm``; (url of the time link, page text)."""
    _, text = page(client, first_url)
    day_href = links(text, "day")[day_index][0]
    _, text = page(client, day_href)
    [time_href] = [href for href, label in links(text, "time") if label == hhmm]
    _, text = page(client, time_href)
    return time_href, text
