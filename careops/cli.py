"""``flask --app wsgi careops …``: worker, plugins, create-owner, demo."""

from __future__ import annotations

import json

import click
from flask import current_app

from careops.operations.outage import CommandGroup

careops_cli = CommandGroup("careops", help="CareOps commands.")


@careops_cli.command("worker")
@click.option("--workers", "-w", default=2, show_default=True, help="Worker threads.")
@click.option(
    "--periodic/--no-periodic",
    default=True,
    show_default=True,
    help="Run periodic tasks here (exactly one consumer of a deployment should).",
)
@click.option(
    "--shutdown-timeout",
    default=25.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="On SIGTERM/SIGINT, seconds to let running tasks (a send in progress) finish.",
)
def worker(workers, periodic, shutdown_timeout):
    """Run the Huey task consumer; SIGTERM and SIGINT stop it gracefully (a second one: at once)."""
    from careops.tasks import consumer, huey

    if huey._immediate:
        raise click.ClickException("CAREOPS_TASK_QUEUE=immediate runs tasks in-process; there is nothing to consume")
    from careops.operations.metrics import serve_worker_metrics

    serve_worker_metrics(current_app)  # on CAREOPS_WORKER_METRICS_PORT, when set
    consumer(workers=workers, periodic=periodic, shutdown_timeout=shutdown_timeout).run()


@careops_cli.command("plugins")
def plugins_command():
    """List loaded plugins as JSON: name, version, hooks."""
    from careops.plugins import describe

    click.echo(json.dumps(describe(), indent=2))


@careops_cli.command("create-owner")
@click.option("--email", required=True)
@click.option("--password", required=True, prompt=True, hide_input=True)
@click.option("--full-name", required=True)
@click.option("--workspace", "workspace_name", required=True)
@click.option("--timezone", default="UTC")
def create_owner(email, password, full_name, workspace_name, timezone):
    """Create a workspace and its owner."""
    import marshmallow as ma

    from careops.auth import service
    from careops.auth.schemas import RegisterSchema
    from careops.errors import AppError

    try:
        data = RegisterSchema().load(
            {
                "email": email,
                "password": password,
                "full_name": full_name,
                "workspace_name": workspace_name,
                "timezone": timezone,
            }
        )
    except ma.ValidationError as exc:
        raise click.ClickException(json.dumps(exc.messages)) from None
    try:
        # Runs with no tenant scope: the registration binds the workspace it creates.
        user, workspace = service.register(**data)
    except AppError as exc:  # e.g. EMAIL_TAKEN: a message, not a traceback
        raise click.ClickException(exc.detail) from None
    from careops.messaging import public_url

    click.echo(
        f"Created {user.email}, owner of '{workspace.name}'. Sign in with POST {public_url('/api/v1/auth/login')}; "
        f"the public page will be {public_url('/' + workspace.slug)} once the workspace is activated."
    )


@careops_cli.command("demo")
@click.option("--force", is_flag=True, help="Seed even when CAREOPS_ENV=production (it plants a known password).")
def demo(force):
    """Seed the demo workspace once; print the logins."""
    from careops.demo import STAFF, seed

    if current_app.config["CAREOPS_ENV"] == "production" and not force:
        raise click.ClickException(
            "The demo plants users with a published password; it is refused in production "
            "(add --force on a throwaway install)."
        )

    created, info = seed()
    if created:
        click.echo("Demo workspace created.")
    from careops.messaging import public_url

    click.echo(f"Demo owner login: {info['email']} / {info['password']}")
    for member in STAFF:
        granted = ", ".join(p for p, on in member["permissions"].items() if on)
        click.echo(f"Demo staff login: {member['email']} / {info['password']}  ({granted})")
    click.echo(f"Public page: {public_url('/' + info['slug'])}  (JSON: {public_url('/api/v1/public/' + info['slug'])})")


@careops_cli.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def backup_command(path):
    """Write a consistent copy of the database to PATH while CareOps runs."""
    from careops.operations import backup

    try:
        click.echo(backup.backup(path))
    except (RuntimeError, ValueError) as error:
        raise click.ClickException(str(error)) from None


@careops_cli.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(path, yes):
    """Replace the database with the backup at PATH (stop the web and the workers first)."""
    from careops.operations import backup

    if not yes:
        click.confirm("This replaces every row of the current database. Continue?", abort=True)
    try:
        click.echo(backup.restore(path))
    except (RuntimeError, ValueError) as error:
        raise click.ClickException(str(error)) from None


def init_app(app):
    from careops.plugins import hook

    app.cli.add_command(careops_cli)
    hook().careops_cli_commands(cli=careops_cli)
