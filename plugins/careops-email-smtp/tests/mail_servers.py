"""Real mail servers for the plugin's tests, on loopback ports chosen at run time.

- :class:`SmtpServer`: aiosmtpd in a thread of the test process — plain,
  STARTTLS or implicit TLS with a throwaway certificate, optionally requiring
  AUTH — recording what it accepts and answering what a test tells it to.
- :class:`Dovecot`: Debian's ``dovecot-imapd`` run as an unprivileged process
  with a throwaway configuration, passwd-file and maildir in a temp dir.
- :func:`throwaway_certificate`: a self-signed certificate for ``localhost``
  and 127.0.0.1, made with ``cryptography``.
"""

from __future__ import annotations

import asyncio
import datetime
import grp
import ipaddress
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

DOVECOT = "/usr/sbin/dovecot"


# --- certificates -------------------------------------------------------------------------------------


@dataclass
class Certificate:
    cert_pem: str
    key_pem: str
    directory: str

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(os.path.join(self.directory, "cert.pem"), os.path.join(self.directory, "key.pem"))
        return context


def throwaway_certificate(directory: str) -> Certificate:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    with open(os.path.join(directory, "cert.pem"), "w") as f:
        f.write(cert_pem)
    with open(os.path.join(directory, "key.pem"), "w") as f:
        f.write(key_pem)
    return Certificate(cert_pem, key_pem, directory)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- SMTP ---------------------------------------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    tls: bool
    login: str | None

    @property
    def email(self):
        return message_from_bytes(self.content, policy=policy.default)


@dataclass
class Mailbox:
    """The server's handler: records accepted emails; ``rcpt_answer``/``data_answer`` refuse them."""

    received: list[Received] = field(default_factory=list)
    rcpt_answer: str | None = None
    data_answer: str | None = None
    connections: int = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_answer:
            return self.rcpt_answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_answer:
            return self.data_answer
        login = getattr(session.auth_data, "login", None) if session.authenticated else None
        self.received.append(
            Received(
                envelope.mail_from,
                list(envelope.rcpt_tos),
                envelope.original_content,
                server.transport.get_extra_info("ssl_object") is not None,
                login.decode() if isinstance(login, bytes) else login,
            )
        )
        return f"250 2.0.0 Ok: queued as TEST{len(self.received)}"


class SmtpServer:
    """aiosmtpd on 127.0.0.1:<free port>, in its own thread and event loop."""

    def __init__(
        self,
        *,
        security: str = "none",
        certificate: Certificate | None = None,
        credentials: tuple[str, str] | None = None,
    ):
        self.mailbox = Mailbox()
        self.security, self.certificate, self.credentials = security, certificate, credentials
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.server = None
        self.port = None

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and self.credentials is not None
            and (auth_data.login.decode(), auth_data.password.decode()) == self.credentials
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    def _protocol(self):
        self.mailbox.connections += 1
        starttls = self.security == "starttls"
        return SMTP(
            self.mailbox,
            hostname="mail.test",
            loop=self.loop,
            tls_context=self.certificate.server_context() if starttls else None,
            require_starttls=starttls,
            authenticator=self._authenticate if self.credentials else None,
            auth_required=bool(self.credentials),
            auth_require_tls=self.security != "none",
        )

    def start(self) -> SmtpServer:
        self.thread.start()
        ssl_context = self.certificate.server_context() if self.security == "tls" else None
        self.server = asyncio.run_coroutine_threadsafe(
            self.loop.create_server(self._protocol, host="127.0.0.1", port=0, ssl=ssl_context), self.loop
        ).result(10)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        async def close():
            self.server.close()
            await self.server.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


class SilentServer:
    """Accepts TCP connections and never says a word (an SMTP server that hangs)."""

    def __init__(self):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(8)
        self.port = self.socket.getsockname()[1]

    def stop(self):
        self.socket.close()


# --- IMAP ---------------------------------------------------------------------------------------------

_DOVECOT_CONF = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
first_valid_uid = 1
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={user} gid={group} home={root}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service auth {{
  user = {user}
}}
service auth-worker {{
  user = {user}
}}
"""


class Dovecot:
    """A throwaway IMAP server run as an unprivileged user (``nobody`` when the tests run as root).

    Each test takes its own mailbox (:meth:`account`) from the passwd-file.
    """

    ACCOUNTS = 200

    def __init__(self):
        if os.geteuid() == 0:
            self.user, self.group = "nobody", grp.getgrgid(pwd.getpwnam("nobody").pw_gid).gr_name
        else:
            self.user, self.group = pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name
        self.root = tempfile.mkdtemp(prefix="careops-dovecot-")
        self.process = None
        self.port = None
        self.taken = 0

    def start(self) -> Dovecot:
        with open(os.path.join(self.root, "passwd"), "w") as f:
            # Every mailbox a test session may take, written before start: dovecot need not notice a change.
            f.writelines(f"box{n}:{{PLAIN}}box{n}-secret::::::\n" for n in range(1, self.ACCOUNTS + 1))
        for _attempt in range(3):  # the free port may be taken between choosing and binding it
            self.port = free_port()
            with open(os.path.join(self.root, "dovecot.conf"), "w") as f:
                f.write(_DOVECOT_CONF.format(root=self.root, user=self.user, group=self.group, port=self.port))
            if os.geteuid() == 0:
                shutil.chown(self.root, self.user, self.group)
                for name in os.listdir(self.root):
                    shutil.chown(os.path.join(self.root, name), self.user, self.group)
            as_user = {"user": self.user, "group": self.group, "extra_groups": []} if os.geteuid() == 0 else {}
            self.process = subprocess.Popen(
                [DOVECOT, "-F", "-c", os.path.join(self.root, "dovecot.conf")],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                **as_user,
            )
            if self._wait_ready():
                return self
            self.stop(remove=False)
        raise RuntimeError(f"dovecot did not start: {self.log()}")

    def _wait_ready(self, timeout: float = 15) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    if s.recv(100).startswith(b"* OK"):
                        return True
            except OSError:
                time.sleep(0.1)
        return False

    def log(self) -> str:
        try:
            with open(os.path.join(self.root, "dovecot.log")) as f:
                return f.read()[-3000:]
        except OSError:
            return self.process.stderr.read().decode()[-3000:] if self.process and self.process.stderr else ""

    def stop(self, *, remove: bool = True) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if remove:
            shutil.rmtree(self.root, ignore_errors=True)

    def account(self) -> ImapAccount:
        """A new, empty mailbox (its own maildir: UIDs start at 1 under a fresh UIDVALIDITY)."""
        self.taken += 1
        assert self.taken <= self.ACCOUNTS, "raise Dovecot.ACCOUNTS"
        return ImapAccount(self.port, f"box{self.taken}", f"box{self.taken}-secret")


@dataclass
class ImapAccount:
    """One mailbox of the test IMAP server, and what a test does with it."""

    port: int
    username: str
    password: str

    def _connect(self):
        import imaplib

        imap = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        imap.login(self.username, self.password)
        return imap

    def deliver(self, raw: bytes, folder: str = "INBOX", arrived: datetime.datetime | None = None) -> None:
        """Put an email in the mailbox, as the mail server would (IMAP APPEND), arrived now or then."""
        import imaplib

        imap = self._connect()
        try:
            typ, data = imap.append(folder, None, imaplib.Time2Internaldate(arrived) if arrived else None, raw)
            assert typ == "OK", data
        finally:
            imap.logout()

    def flags(self, folder: str = "INBOX") -> list[bytes]:
        imap = self._connect()
        try:
            imap.select(folder, readonly=True)
            _, data = imap.uid("FETCH", "1:*", "(FLAGS)")
            return [d for d in data if d]
        finally:
            imap.logout()
