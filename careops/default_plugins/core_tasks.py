"""The core's periodic housekeeping, contributed like any plugin's."""

from huey import crontab

from careops.hookspecs import hookimpl


def purge_revoked_tokens():
    from careops.auth.tokens import purge_expired_revocations

    purge_expired_revocations()


@hookimpl
def careops_periodic_tasks():
    return [{"name": "purge_revoked_tokens", "schedule": crontab(minute="17"), "run": purge_revoked_tokens}]
