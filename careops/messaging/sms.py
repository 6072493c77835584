"""How many SMS segments a text costs: GSM-7 when every character is in the GSM 03.38 alphabet, else UCS-2.

Carriers bill per segment: 160 GSM-7 characters fit in one, a longer text is
split into 153-character parts (the rest carries the joining header); one
character outside the alphabet (an emoji, most accents) turns the whole text
into UCS-2, 70 per single segment and 67 per part. Characters of the GSM
extension table (``{ } [ ] ~ \\ | ^ €``) take two places. Used to keep the
default SMS templates short (``tests/automation/test_channel_templates.py``).
"""

from __future__ import annotations

import math

GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = frozenset("^{}\\[~]|€\f")


def encoding(text: str) -> str:
    """``"GSM-7"`` or ``"UCS-2"``."""
    return "GSM-7" if all(c in GSM_BASIC or c in GSM_EXTENSION for c in text) else "UCS-2"


def segments(text: str) -> int:
    """The number of SMS segments ``text`` is sent in (at least 1)."""
    if encoding(text) == "GSM-7":
        septets = sum(2 if c in GSM_EXTENSION else 1 for c in text)
        return 1 if septets <= 160 else math.ceil(septets / 153)
    units = len(text.encode("utf-16-le")) // 2
    return 1 if units <= 70 else math.ceil(units / 67)
