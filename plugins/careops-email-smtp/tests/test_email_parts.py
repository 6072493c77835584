"""The pure parts: reply trimming, HTML to text, Message-ID threading, the invitation and header safety."""

from __future__ import annotations

from careops_email_smtp import compose
from careops_email_smtp.parse import html_to_text, trim_reply

from careops.messaging.base import OutboundMessage

CONFIG = {"from_email": "hello@clinic.example.com"}


def test_gmail_style_quotes_and_a_signature_are_trimmed():
    text = (
        "Yes, 10:00 works.\n\n-- \nSam\n\nOn Tue, 1 Dec 2026 at 09:12, Clinic <hello@clinic.example.com>\n"
        "wrote:\n> Does 10:00 work?\n"
    )
    assert trim_reply(text) == "Yes, 10:00 works."


def test_outlook_style_history_is_trimmed():
    text = (
        "See you then.\r\n\r\n________________________________\r\nFrom: Clinic <hello@clinic.example.com>\r\n"
        "Sent: Tuesday, December 1, 2026 9:12 AM\r\nTo: Sam\r\nSubject: Your booking\r\n\r\nOld text"
    )
    assert trim_reply(text) == "See you then."
    assert trim_reply("Merci !\n\nLe mar. 1 déc. 2026 à 09:12, Clinic a écrit :\n> Bonjour") == "Merci !"
    assert trim_reply("On my way\n\nSent from my iPhone") == "On my way"
    assert trim_reply("> only a quote\n> nothing new") == "> only a quote\n> nothing new"  # nothing left: kept


def test_inline_quoted_lines_are_dropped_and_the_answers_kept():
    assert trim_reply("> Can you come at 10?\nYes\n> And bring the form?\nSure") == "Yes\nSure"


def test_html_becomes_text_without_quoted_history():
    markup = (
        "<html><head><style>p {color: red}</style></head><body><div>Hi&nbsp;there,<br>Line two</div>"
        "<blockquote>quoted</blockquote><script>x()</script><p>Bye</p></body></html>"
    )
    assert html_to_text(markup) == "Hi\xa0there,\nLine two\n\nBye"


def test_careops_message_ids_are_found_in_threading_headers():
    first, second = "0f8fad5b-d9cb-469f-a165-70867728950e", "7c9e6679-7425-40de-944b-e07fc1f90ae7"
    assert compose.careops_message_ids(
        f"<careops.{second}@clinic.example.com>",
        f"<a@b> <careops.{first}@clinic.example.com> <careops.{second.upper()}@clinic.example.com>",
    ) == [second, first]
    assert compose.careops_message_ids("<other@example.com>", None) == []


def test_message_id_is_stable_and_safe():
    key = "0f8fad5b-d9cb-469f-a165-70867728950e"
    assert compose.message_id(key, "a@clinic.example.com") == f"<careops.{key}@clinic.example.com>"
    assert compose.message_id(key, "a@bücher.example") == f"<careops.{key}@xn--bcher-kva.example>"
    assert compose.message_id("x>\r\nBcc: y", "a@b.example").startswith("<careops.xBccy@")
    assert compose.message_id(None, "a@b.example").endswith("@b.example>")  # a test email: a fresh id


def test_extra_headers_cannot_replace_ours_or_inject_lines():
    message = OutboundMessage(
        channel="email",
        to="sam@example.com",
        body="Hi",
        subject="S",
        headers={"X-Campaign": "a\r\nBcc: evil@example.com", "To": "evil@example.com", "Bad Name:": "x"},
    )
    email = compose.build(message, CONFIG)
    assert email["X-Campaign"] == "a Bcc: evil@example.com" and email.get_all("To") == ["sam@example.com"]
    assert email["Bad Name:"] is None and email["Bcc"] is None


def test_a_calendar_that_is_not_a_single_published_event_passes_unchanged():
    request = b"BEGIN:VCALENDAR\r\nMETHOD:CANCEL\r\nBEGIN:VEVENT\r\nUID:1\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    assert compose.invitation(request, organizer=("a@b.example", None), attendee="c@d.example") == (request, "CANCEL")
    feed = (
        b"BEGIN:VCALENDAR\r\nMETHOD:PUBLISH\r\n" + b"BEGIN:VEVENT\r\nUID:1\r\nEND:VEVENT\r\n" * 2 + b"END:VCALENDAR\r\n"
    )
    assert compose.invitation(feed, organizer=("a@b.example", None), attendee="c@d.example") == (feed, "PUBLISH")


def test_an_invitation_quotes_the_organizer_name():
    published = b"BEGIN:VCALENDAR\r\nMETHOD:PUBLISH\r\nBEGIN:VEVENT\r\nUID:1\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    content, method = compose.invitation(
        published, organizer=("a@b.example", 'The "Best"; Clinic\r\n'), attendee="c@d.example"
    )
    assert method == "REQUEST"
    assert b"ORGANIZER;CN=\"The 'Best'; Clinic\":mailto:a@b.example\r\n" in content
