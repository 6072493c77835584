"""/api/v1/auth: register, login, refresh, logout, me, accept-invitation."""

from flask import current_app
from flask_jwt_extended import get_jwt

from careops.auth import registration, service, tokens
from careops.auth.schemas import (
    AcceptInvitationSchema,
    AccessTokenSchema,
    LoginSchema,
    RegisteredSchema,
    RegisterSchema,
    TokensSchema,
    UserSchema,
)
from careops.extensions import limiter
from careops.http import Blueprint
from careops.security import current_user

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Login, tokens and invitations")


def login_limit():
    return current_app.config["CAREOPS_RATELIMIT_LOGIN"]


@blp.route("/register", methods=["POST"])
@limiter.limit(login_limit)
@blp.arguments(RegisterSchema)
@blp.response(201, RegisteredSchema)
@blp.errors(400, 403, 409, 429)
def register(data):
    """Create an owner and a workspace in status setup (when CAREOPS_REGISTRATION allows it)."""
    registration.check_allowed(data.pop("invite_code", None))
    user, workspace = service.register(**data)
    return {**tokens.issue(user), "user": user, "workspace": workspace}


@blp.route("/login", methods=["POST"])
@limiter.limit(login_limit)
@blp.arguments(LoginSchema)
@blp.response(200, TokensSchema)
@blp.errors(400, 401, 429)
def login(data):
    user = service.login(data["email"], data["password"])
    return {**tokens.issue(user), "user": user}


@blp.route("/refresh", methods=["POST"])
@blp.protected(refresh=True)
@blp.response(200, AccessTokenSchema)
def refresh():
    """Exchange the refresh token (as Bearer) for a new access token."""
    return {"access_token": tokens.issue(current_user(), refresh=False)["access_token"]}


@blp.route("/logout", methods=["POST"])
@blp.protected(any_token=True)
@blp.response(204)
def logout():
    """Revoke the presented token (access or refresh)."""
    tokens.revoke(get_jwt())


@blp.route("/me", methods=["GET"])
@blp.protected()
@blp.response(200, UserSchema)
def me():
    return current_user()


@blp.route("/accept-invitation", methods=["POST"])
@limiter.limit(login_limit)
@blp.arguments(AcceptInvitationSchema)
@blp.response(201, TokensSchema)
@blp.errors(400, 404, 409, 429)
def accept_invitation(data):
    user = service.accept_invitation(**data)
    return {**tokens.issue(user), "user": user}
