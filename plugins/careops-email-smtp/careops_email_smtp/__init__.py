"""CareOps's SMTP + IMAP email plugin: provider ``smtp`` (channel ``email``) and the mailbox poller.

Installed as its own distribution; the core finds it through the ``careops``
entry point ``email_smtp`` → :mod:`careops_email_smtp.plugin`.
"""
