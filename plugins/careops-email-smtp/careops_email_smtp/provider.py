"""The ``smtp`` communication provider: one attempt to hand one email to the relay, and what its answer means.

The core's provider chain does retries, failover and the circuit breaker;
this module only maps what happened onto the contract:

- no connection, a timeout, a dropped connection or a 4xx answer (greylisting,
  a full queue, a temporary authentication failure): ``ProviderError``,
  retryable — the chain tries the next provider and retries later;
- a 5xx answer (unknown mailbox, rejected sender, wrong password), a TLS
  certificate that does not verify, a relay without STARTTLS: permanent —
  the message fails at once, with the server's answer as its error.
"""

from __future__ import annotations

import functools
import smtplib
import socket
import ssl
from email import policy

from careops.messaging.base import CommunicationProvider, OutboundMessage, ProviderError
from careops_email_smtp import compose
from careops_email_smtp.config import DEFAULT_TIMEOUT, SmtpConfig, smtp_port, tls_context


@functools.cache
def _local_hostname() -> str:
    # What EHLO announces; looked up once per process (getfqdn can wait on DNS).
    return socket.getfqdn()


def _quit(smtp: smtplib.SMTP) -> None:
    """Say goodbye; once DATA is accepted the email is sent, whatever QUIT gets back."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _answer(code: int, text) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {compose.one_line(str(text), 500)}".strip()


class SmtpProvider(CommunicationProvider):
    name = "smtp"
    channels = ("email",)
    config_schema = SmtpConfig
    description = "Sends email through your SMTP relay; with IMAP settings, imports customers' replies."

    def send(self, message: OutboundMessage) -> str:
        """Send one email; the provider message id is its ``Message-ID``."""
        message_id, _ = self.deliver(message)
        return message_id

    def send_test(self, message: OutboundMessage) -> str:
        """The owner's test email; reports the server's answer to DATA (``250 … queued as …``)."""
        message_id, answer = self.deliver(message)
        return f'the SMTP server answered "{answer}"; Message-ID {message_id}'

    def deliver(self, message: OutboundMessage) -> tuple[str, str]:
        """``(Message-ID, the server's answer to DATA)``, or :class:`ProviderError`."""
        email = compose.build(message, self.config)
        target = f"{self.config['host']}:{smtp_port(self.config)}"
        try:
            smtp = self._connect()
            try:
                answer = self._transfer(smtp, email)
            finally:
                _quit(smtp)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            raise self._refused(code, text, "refused the recipient") from None
        except smtplib.SMTPResponseException as exc:
            raise self._refused(exc.smtp_code, exc.smtp_error, "answered") from None
        except smtplib.SMTPNotSupportedError as exc:
            raise ProviderError(f"SMTP server {target}: {exc}", retryable=False) from None
        except ssl.SSLCertVerificationError as exc:
            raise ProviderError(
                f"SMTP server {target}: its TLS certificate does not verify ({exc.verify_message}); "
                "fix the host name or set ca_certificate",
                retryable=False,
            ) from None
        except (smtplib.SMTPServerDisconnected, OSError) as exc:  # refused, unreachable, timeout, TLS failure
            # smtplib reports a read that timed out as a closed connection: name it for the owner.
            timed_out = isinstance(exc, (TimeoutError, socket.timeout)) or str(exc).endswith("timed out")
            reason = "timed out" if timed_out else f"{exc.__class__.__name__}: {exc}"
            raise ProviderError(f"SMTP server {target} unreachable: {reason}", retryable=True) from None
        except smtplib.SMTPException as exc:
            raise ProviderError(f"SMTP server {target}: {exc}", retryable=True) from None
        return str(email["Message-ID"]), answer

    def _refused(self, code: int, text, what: str) -> ProviderError:
        # 4xx: try again later (greylisting, over quota, temporary failures); 5xx: it will not change.
        return ProviderError(f"SMTP server {what} {_answer(code, text)}", retryable=not 500 <= code < 600)

    def _connect(self) -> smtplib.SMTP:
        cfg = self.config
        host, port = cfg["host"], smtp_port(cfg)
        timeout = cfg.get("timeout_seconds") or DEFAULT_TIMEOUT
        security = cfg.get("security") or "starttls"
        if security == "tls":
            smtp = smtplib.SMTP_SSL(
                host, port, local_hostname=_local_hostname(), timeout=timeout, context=tls_context(cfg)
            )
        else:
            smtp = smtplib.SMTP(host, port, local_hostname=_local_hostname(), timeout=timeout)
        try:
            smtp.ehlo()
            if security == "starttls":
                smtp.starttls(context=tls_context(cfg))
                smtp.ehlo()
            if cfg.get("username"):
                smtp.login(cfg["username"], cfg.get("password") or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _transfer(self, smtp: smtplib.SMTP, email) -> str:
        """MAIL, RCPT, DATA one by one (``sendmail`` hides the server's final answer, which the owner wants)."""
        sender, recipient = email["From"].addresses[0].addr_spec, email["To"].addresses[0].addr_spec
        options, serialize = [], compose.WIRE
        if not (sender + recipient).isascii():
            if not smtp.has_extn("smtputf8"):
                raise ProviderError("The SMTP server cannot take non-ASCII addresses (no SMTPUTF8)", retryable=False)
            options, serialize = ["SMTPUTF8"], policy.SMTPUTF8
        code, text = smtp.mail(sender, options)
        if code != 250:
            raise smtplib.SMTPSenderRefused(code, text, sender)
        code, text = smtp.rcpt(recipient)
        if code not in (250, 251):
            raise smtplib.SMTPRecipientsRefused({recipient: (code, text)})
        code, text = smtp.data(email.as_bytes(policy=serialize))
        if code != 250:
            raise smtplib.SMTPDataError(code, text)
        return _answer(code, text)
