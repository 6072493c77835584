"""``flask --app wsgi careops …``: worker, plugins, create-owner, demo."""
from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import AppGroup

careops_cli = AppGroup("careops", help="CareOps commands.")


@careops_cli.command("worker")
@click.option("--workers", "-w", default=2, show_default=True, help="Worker threads.")
@click.option("--periodic/--no-periodic", default=True, show_default=True,
              help="Run periodic tasks here (exactly one consumer of a deployment should).")
def worker(workers, periodic):
    """Run the Huey task consumer."""
    from huey.consumer import Consumer

    from careops.tasks import huey

    if huey._immediate:
        raise click.ClickException("CAREOPS_TASK_QUEUE=immediate runs tasks in-process; there is nothing to consume")
    Consumer(huey, workers=workers, worker_type="thread", periodic=periodic, check_worker_health=True).run()


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
    from careops.auth import service
    from careops.auth.schemas import RegisterSchema
    from careops.errors import AppError

    import marshmallow as ma

    try:
        data = RegisterSchema().load({"email": email, "password": password, "full_name": full_name,
                                      "workspace_name": workspace_name, "timezone": timezone})
    except ma.ValidationError as exc:
        raise click.ClickException(json.dumps(exc.messages))
    try:
        user, workspace = service.register(**data)
    except AppError as exc:  # e.g. EMAIL_TAKEN: a message, not a traceback
        raise click.ClickException(exc.detail) from None
    click.echo(f"Created {user.email}, owner of '{workspace.name}' (/{workspace.slug})")


@careops_cli.command("demo")
def demo():
    """Seed the demo workspace once; print the owner's login."""
    from careops.demo import seed

    created, info = seed()
    if created:
        click.echo("Demo workspace created.")
    click.echo(f"Demo owner login: {info['email']} / {info['password']}  "
               f"(public page: {current_app.config['CAREOPS_PUBLIC_URL']}/api/v1/public/{info['slug']})")


def init_app(app):
    from careops.plugins import hook

    app.cli.add_command(careops_cli)
    hook().careops_cli_commands(cli=careops_cli)
