"""The country a new workspace reads phone numbers in, when registration does not say: from its time zone.

``zone.tab`` of the IANA time zone database (shipped by the ``tzdata``
package, else by the system) names the country of every canonical zone:
``Europe/Paris`` is FR, ``America/Chicago`` US. Zones that belong to no
country (``UTC``, ``Etc/GMT+2``) or are old aliases (``US/Eastern``) give
nothing, and the caller falls back to its default.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

import phonenumbers

SYSTEM_ZONE_TAB = Path("/usr/share/zoneinfo/zone.tab")


@lru_cache(maxsize=1)
def _zone_countries() -> dict[str, str]:
    try:
        text = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        text = SYSTEM_ZONE_TAB.read_text(encoding="utf-8") if SYSTEM_ZONE_TAB.exists() else ""
    countries = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) >= 3:
            countries[parts[2]] = parts[0]
    return countries


def country_for_timezone(timezone: str | None) -> str | None:
    """The ISO 3166 alpha-2 country of ``timezone`` when the zone belongs to exactly one, else None."""
    country = _zone_countries().get(timezone or "")
    return country if country in phonenumbers.SUPPORTED_REGIONS else None
