"""The customer's form page, ``/forms/{token}``: every field type, a drawn signature, a thank-you once sent.

Reading and submitting go through :func:`careops.forms.service.public_form` and
:func:`careops.forms.service.submit_by_token`, the functions behind
``/api/v1/public/forms/{token}``; their per-field errors are shown beside each field.
"""

from __future__ import annotations

from flask import redirect, request, url_for

from careops.errors import Conflict
from careops.forms import service as forms
from careops.forms.answers import FormInvalid
from careops.http import public_rate_limit
from careops.pages import csrf
from careops.pages.fields import field_errors, posted_values
from careops.pages.site import remember_workspace, render, site, zone_label
from careops.workspaces.service import get_by_slug


def _form_page(token, *, values, errors, alert, status):
    form = forms.public_form(token)
    workspace = get_by_slug(form["business"]["slug"])
    remember_workspace(workspace)
    return render(
        "form.html",
        status,
        form=form,
        workspace=workspace,
        token=token,
        values=values,
        errors=errors,
        alert=alert,
        zone=zone_label(workspace.timezone, form["booking"]["start"]),
    )


@site.route("/forms/<token>", methods=["GET"])
@public_rate_limit
def form_page(token):
    return _form_page(token, values={}, errors={}, alert=None, status=200)


@site.route("/forms/<token>", methods=["POST"])
@public_rate_limit
def form_submit(token):
    csrf.check()
    fields = forms.public_form(token)["fields"]
    values = posted_values(fields, request.form)
    try:
        forms.submit_by_token(token, values)
    except FormInvalid as exc:
        return _form_page(token, values=values, errors=field_errors(exc.field_errors), alert=None, status=422)
    except Conflict as exc:  # sent already (perhaps from another tab), or the booking was cancelled
        return _form_page(token, values={}, errors={}, alert=exc.detail, status=409)
    return redirect(url_for("pages.form_page", token=token), code=303)
