"""`docs/API.md` is the contract the README points at: every endpoint it lists is served and described.

The contract's tables name endpoints as ``METHOD /path`` in their first cell
(``GET/PATCH /x/{id}`` for several methods). Paths are under ``/api/v1``
except in the Operations section; the HTML pages of the Pages section are not
part of the OpenAPI document and are left to the pages' own tests.
"""

from __future__ import annotations

import re
from pathlib import Path

CONTRACT = Path(__file__).resolve().parents[2] / "docs" / "API.md"
METHODS = "GET|POST|PUT|PATCH|DELETE"
ENDPOINT = re.compile(rf"`((?:{METHODS})(?:/(?:{METHODS}))*) (/[^`\s]*)`")


def shape(path: str) -> str:
    """A path with its parameters' names erased and no query or trailing slash."""
    path = path.split("?")[0].rstrip("/") or "/"
    return re.sub(r"\{[^}]*\}", "{}", path)


def contract_endpoints(text: str) -> set[tuple[str, str]]:
    endpoints, section = set(), ""
    for line in text.splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
        if section.startswith("Pages") or not line.startswith("|"):
            continue
        prefix = "" if section == "Operations" else "/api/v1"
        for methods, path in ENDPOINT.findall(line.split("|")[1]):
            endpoints.update((method, shape(prefix + path)) for method in methods.split("/"))
    return endpoints


def test_the_contract_lists_endpoints():
    endpoints = contract_endpoints(CONTRACT.read_text())
    # A parser that finds nothing would pass the check below vacuously.
    assert len(endpoints) > 60
    assert ("POST", "/api/v1/public/{}/bookings") in endpoints
    assert ("GET", "/healthz") in endpoints


def test_every_contract_endpoint_is_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    described = {
        (method.upper(), shape(path))
        for path, item in spec["paths"].items()
        for method in item
        if method.upper() in METHODS.split("|")
    }
    missing = sorted(contract_endpoints(CONTRACT.read_text()) - described, key=lambda e: (e[1], e[0]))
    assert missing == []
