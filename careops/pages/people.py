"""The contact form page and the staff invitation page.

The contact form goes through :func:`careops.inbox.contact_form.submit` and the
invitation through :func:`careops.auth.service.accept_invitation`, the functions
behind ``POST /public/{slug}/contact`` and ``POST /auth/accept-invitation``.
"""

from __future__ import annotations

import marshmallow as ma
from flask import current_app, redirect, request, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer

from careops.auth import service as auth
from careops.auth.schemas import AcceptInvitationSchema
from careops.errors import Conflict, ValidationFailed
from careops.http import public_rate_limit
from careops.inbox import contact_form
from careops.messaging import public_url
from careops.pages import csrf
from careops.pages.booking import active_workspace
from careops.pages.fields import field_errors, posted_values
from careops.pages.site import remember_workspace, render, site
from careops.workspaces.service import get_contact_form, get_workspace


def _contact_page(slug, *, values, errors, status, sent=False):
    workspace = active_workspace(slug)
    return render(
        "contact.html",
        status,
        workspace=workspace,
        contact_form=get_contact_form(workspace.id),
        values=values,
        errors=errors,
        sent=sent,
    )


@site.route("/<slug>/contact", methods=["GET"])
@public_rate_limit
def contact_page(slug):
    return _contact_page(slug, values={}, errors={}, status=200, sent=request.args.get("sent") == "1")


@site.route("/<slug>/contact", methods=["POST"])
@public_rate_limit
def contact(slug):
    csrf.check()
    workspace = active_workspace(slug)
    values = posted_values(list(get_contact_form(workspace.id).fields), request.form)
    try:
        contact_form.submit(slug, values)
    except ValidationFailed as exc:
        return _contact_page(slug, values=values, errors=field_errors(exc.errors), status=422)
    return redirect(url_for("pages.contact_page", slug=slug, sent="1"), code=303)


# --- invitations -----------------------------------------------------------------------------------


def _welcome_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="careops.pages.welcome")


def _sign_in_url() -> str:
    return public_url("/api/v1/auth/login")


def _workspace_of(invitation):
    workspace = get_workspace(invitation.workspace_id)
    remember_workspace(workspace)
    return workspace


@site.route("/invitations/welcome", methods=["GET"])
@public_rate_limit
def invitation_welcome():
    """After the account is made: where to sign in, and with which email (carried signed, for an hour)."""
    try:
        email = _welcome_signer().loads(request.args.get("who", ""), max_age=3600)
    except BadSignature:
        email = None
    return render("welcome.html", email=email, sign_in_url=_sign_in_url())


@site.route("/invitations/<token>", methods=["GET"])
@public_rate_limit
def invitation_page(token):
    invitation = auth.pending_invitation(token)
    return render(
        "invitation.html",
        invitation=invitation,
        token=token,
        workspace=_workspace_of(invitation),
        values={"full_name": invitation.full_name or ""},
        errors={},
        alert=None,
    )


@site.route("/invitations/<token>", methods=["POST"])
@public_rate_limit
def invitation_accept(token):
    csrf.check()
    invitation = auth.pending_invitation(token)
    workspace = _workspace_of(invitation)
    values = {"full_name": request.form.get("full_name", "").strip(), "password": request.form.get("password", "")}
    try:
        data = AcceptInvitationSchema().load({"token": token, **values})
        user = auth.accept_invitation(**data)
    except ma.ValidationError as exc:
        return render(
            "invitation.html",
            422,
            invitation=invitation,
            token=token,
            workspace=workspace,
            values={"full_name": values["full_name"]},
            errors=field_errors(exc.messages),
            alert=None,
        )
    except Conflict as exc:
        return render(
            "invitation.html",
            409,
            invitation=invitation,
            token=token,
            workspace=workspace,
            values={"full_name": values["full_name"]},
            errors={},
            alert=exc.detail,
        )
    return redirect(url_for("pages.invitation_welcome", who=_welcome_signer().dumps(user.email)), code=303)
