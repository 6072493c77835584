"""Request and response schemas of /auth and /staff."""

import marshmallow as ma

from careops.fields import Country, Email, Str, Timezone
from careops.security import PERMISSIONS
from careops.workspaces.schemas import WorkspaceSchema

Password = lambda **kw: Str(128, min_length=10, **kw)  # noqa: E731 - a field factory


class UserSchema(ma.Schema):
    id = ma.fields.String()
    email = ma.fields.String()
    full_name = ma.fields.String()
    role = ma.fields.String()
    workspace_id = ma.fields.String()
    permissions = ma.fields.Dict(attribute="effective_permissions")
    is_active = ma.fields.Boolean()


class RegisterSchema(ma.Schema):
    email = Email(required=True)
    password = Password(required=True, load_only=True)
    full_name = Str(120, min_length=1, required=True)
    workspace_name = Str(120, min_length=1, required=True)
    timezone = Timezone(load_default="UTC")
    country = Country(
        load_default=None,
        metadata={
            "description": "ISO 3166 alpha-2: phone numbers without a country code are read in it. Default: the "
            "time zone's country where it has one, else US"
        },
    )
    #: Only where CAREOPS_REGISTRATION=invite: the code the operator handed out.
    invite_code = Str(200, load_only=True)


class LoginSchema(ma.Schema):
    email = Str(254, min_length=1, required=True)
    password = Str(128, min_length=1, required=True, load_only=True)


class AcceptInvitationSchema(ma.Schema):
    token = Str(100, min_length=1, required=True)
    full_name = Str(120, min_length=1, required=True)
    password = Password(required=True, load_only=True)


class TokensSchema(ma.Schema):
    access_token = ma.fields.String()
    refresh_token = ma.fields.String()
    user = ma.fields.Nested(UserSchema)


class RegisteredSchema(TokensSchema):
    workspace = ma.fields.Nested(WorkspaceSchema)


class AccessTokenSchema(ma.Schema):
    access_token = ma.fields.String()


class PermissionsSchema(ma.Schema):
    inbox = ma.fields.Boolean(load_default=False)
    bookings = ma.fields.Boolean(load_default=False)
    forms = ma.fields.Boolean(load_default=False)
    inventory = ma.fields.Boolean(load_default=False)


class PermissionsPatchSchema(ma.Schema):
    """Only the permissions to change (a class of its own: OpenAPI names schemas by class)."""

    inbox = ma.fields.Boolean()
    bookings = ma.fields.Boolean()
    forms = ma.fields.Boolean()
    inventory = ma.fields.Boolean()


class InvitationCreateSchema(ma.Schema):
    email = Email(required=True)
    full_name = Str(120, allow_none=True)
    permissions = ma.fields.Nested(PermissionsSchema, load_default=lambda: dict.fromkeys(PERMISSIONS, False))


class InvitationSchema(ma.Schema):
    id = ma.fields.String()
    email = ma.fields.String()
    full_name = ma.fields.String(allow_none=True)
    permissions = ma.fields.Dict()
    token = ma.fields.String(metadata={"description": "Only in the answer to the creation", "x-optional": True})
    expires_at = ma.fields.DateTime()
    status = ma.fields.String()
    created_at = ma.fields.DateTime()


class StaffPatchSchema(ma.Schema):
    permissions = ma.fields.Nested(PermissionsPatchSchema)
    is_active = ma.fields.Boolean()
