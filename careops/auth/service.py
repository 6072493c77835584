"""Registration, login, invitations and staff management."""

from __future__ import annotations

import secrets
from datetime import timedelta

import sqlalchemy as sa

from careops import messaging, scoping
from careops.auth.country import country_for_timezone
from careops.auth.models import Invitation, User
from careops.auth.passwords import burn_time, check_password, hash_password
from careops.db import WorkspaceRepository, utcnow
from careops.errors import Conflict, NotFound, Unauthorized
from careops.extensions import db
from careops.security import PERMISSIONS, token_digest
from careops.workspaces.service import create_workspace

INVITATION_LIFETIME = timedelta(days=7)
REGISTER_ATTEMPTS = 5
BAD_CREDENTIALS = "Wrong email or password"


def _email_taken(email: str) -> bool:
    # An email is one account across every workspace.
    with scoping.unscoped():
        return db.session.scalars(sa.select(User.id).where(User.email == email)).first() is not None


def register(
    *, email: str, password: str, full_name: str, workspace_name: str, timezone: str = "UTC", country: str | None = None
):
    """Create a workspace in status ``setup`` and its owner.

    A registration racing another one for the same email gets ``EMAIL_TAKEN``;
    one racing for the same workspace slug takes another slug.
    """
    if _email_taken(email):
        raise Conflict("An account with this email already exists", error_code="EMAIL_TAKEN")
    password_hash = hash_password(password)
    country = country or country_for_timezone(timezone) or "US"
    for attempt in range(REGISTER_ATTEMPTS):
        try:
            workspace = create_workspace(workspace_name, timezone=timezone, country=country, random_slug=attempt >= 2)
            owner = User(
                workspace_id=workspace.id,
                email=email,
                password_hash=password_hash,
                full_name=full_name,
                role="owner",
                permissions=dict.fromkeys(PERMISSIONS, True),
            )
            db.session.add(owner)
            db.session.commit()
            return owner, workspace
        except sa.exc.IntegrityError:
            # The loser of a race learns it here: the email (give up) or the slug (retry).
            db.session.rollback()
            if _email_taken(email):
                raise Conflict("An account with this email already exists", error_code="EMAIL_TAKEN") from None
    raise Conflict("Please try again")


def login(email: str, password: str) -> User:
    """The active user of ``email`` and ``password``; the request is then scoped to the user's workspace."""
    with scoping.unscoped():  # the email tells which workspace this is
        user = db.session.scalars(sa.select(User).where(User.email == email.strip().lower())).first()
    if user is None:
        burn_time(password)
        raise Unauthorized(BAD_CREDENTIALS)
    if not check_password(password, user.password_hash) or not user.is_active:
        raise Unauthorized(BAD_CREDENTIALS)
    scoping.bind_workspace(user.workspace_id)
    return user


def invite(
    workspace_id: str, inviter: User, *, email: str, full_name: str | None = None, permissions: dict | None = None
):
    """Create a single-use invitation and email its link; returns (invitation, token)."""
    if _email_taken(email):
        raise Conflict("An account with this email already exists", error_code="EMAIL_TAKEN")
    token = secrets.token_urlsafe(32)
    repo = WorkspaceRepository(workspace_id)
    invitation = repo.add(
        Invitation(
            email=email,
            full_name=full_name,
            permissions={p: bool((permissions or {}).get(p)) for p in PERMISSIONS},
            token_hash=token_digest(token),
            expires_at=utcnow() + INVITATION_LIFETIME,
            invited_by_id=inviter.id,
        )
    )
    db.session.commit()
    messaging.send_system_email(
        workspace_id,
        to=email,
        subject="You are invited to CareOps",
        text=(
            f"{inviter.full_name} invited you to join their team on CareOps.\n"
            f"Accept the invitation within 7 days: {messaging.public_url(f'/invitations/{token}')}\n"
        ),
        purpose=f"invitation:{invitation.id}",
    )
    return invitation, token


def invitation_status(invitation: Invitation) -> str:
    if invitation.status == "pending" and invitation.expires_at <= utcnow():
        return "expired"
    return invitation.status


def list_invitations(workspace_id: str) -> list[Invitation]:
    return WorkspaceRepository(workspace_id).all(Invitation, order_by=Invitation.created_at.desc())


def invitations_select(workspace_id: str) -> sa.Select:
    """The workspace's invitations, newest first (for a paginated list)."""
    return WorkspaceRepository(workspace_id).select(Invitation).order_by(Invitation.created_at.desc(), Invitation.id)


INVITATION_GONE = "This invitation does not exist, has expired or was already used"


def _pending_invitation(token: str) -> Invitation | None:
    """The pending invitation of ``token``; the unit of work is then scoped to its workspace."""
    stmt = sa.select(Invitation).where(Invitation.token_hash == token_digest(token))
    with scoping.unscoped():  # the token tells which workspace this is
        invitation = db.session.scalars(stmt).first()
    if invitation is None or invitation_status(invitation) != "pending":
        return None
    scoping.bind_workspace(invitation.workspace_id)
    return invitation


def pending_invitation(token: str) -> Invitation:
    """The pending invitation behind ``token`` (the invitation page shows its email); else NotFound."""
    invitation = _pending_invitation(token) if isinstance(token, str) and len(token) <= 128 else None
    if invitation is None:
        raise NotFound(INVITATION_GONE)
    return invitation


def accept_invitation(*, token: str, full_name: str, password: str) -> User:
    """Create the staff account of a pending invitation; the invitation is used up."""
    if _pending_invitation(token) is None:
        raise NotFound(INVITATION_GONE)
    password_hash = hash_password(password)  # slow: done before the invitation is claimed
    # End the read transaction, then claim the invitation with one conditional
    # UPDATE as the first statement of a new one: it takes the write lock
    # (SQLite) or the row lock (PostgreSQL) before anything is read, so of two
    # concurrent accepts exactly one sees it pending; the other updates no row.
    db.session.rollback()
    claimed = db.session.execute(
        sa.update(Invitation)
        .where(
            Invitation.token_hash == token_digest(token),
            Invitation.status == "pending",
            Invitation.expires_at > utcnow(),
        )
        .values(status="accepted", accepted_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        db.session.rollback()
        raise NotFound(INVITATION_GONE)
    invitation = db.session.scalars(sa.select(Invitation).where(Invitation.token_hash == token_digest(token))).one()
    if _email_taken(invitation.email):
        db.session.rollback()
        raise Conflict("An account with this email already exists", error_code="EMAIL_TAKEN")
    user = User(
        workspace_id=invitation.workspace_id,
        email=invitation.email,
        password_hash=password_hash,
        full_name=full_name,
        role="staff",
        permissions=dict(invitation.permissions),
    )
    db.session.add(user)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()  # the claim goes with it: the invitation stays usable
        raise Conflict("An account with this email already exists", error_code="EMAIL_TAKEN") from None
    return user


def list_staff(workspace_id: str) -> list[User]:
    return WorkspaceRepository(workspace_id).all(User, order_by=User.created_at)


def owner_email(workspace_id: str) -> str | None:
    """The login email of the workspace's owner (the earliest, should there be several)."""
    return db.session.scalars(
        sa.select(User.email)
        .where(*WorkspaceRepository(workspace_id).criteria(User), User.role == "owner")
        .order_by(User.created_at)
    ).first()


def staff_select(workspace_id: str) -> sa.Select:
    """Every user of the workspace, the owner first (for a paginated list)."""
    return WorkspaceRepository(workspace_id).select(User).order_by(User.created_at, User.id)


def update_staff(
    workspace_id: str, user_id: str, *, permissions: dict | None = None, is_active: bool | None = None
) -> User:
    user = WorkspaceRepository(workspace_id).get(User, user_id)
    if user.role == "owner":
        raise Conflict("The owner's permissions and status cannot be changed")
    if permissions:
        user.permissions = {p: bool(permissions.get(p, (user.permissions or {}).get(p, False))) for p in PERMISSIONS}
    if is_active is not None:
        user.is_active = is_active
    db.session.commit()
    return user
