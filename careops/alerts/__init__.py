"""Alerts: things that need a person's attention, each linking to where to act.

``service`` raises and resolves them (other domains call ``raise_alert`` and
``resolve_for``); ``conditions`` raises the time-based kinds from a periodic
sweep (``tasks``); ``receivers`` resolves them when the condition clears;
``access`` decides which staff see which kinds.
"""
