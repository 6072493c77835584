"""The ``basic`` form pack: an intake form and a consent form any business can use."""

from careops.hookspecs import hookimpl

BASIC_PACK = {
    "key": "basic",
    "name": "Basic forms",
    "description": "A general intake form and a consent form.",
    "templates": [
        {
            "name": "Intake form",
            "description": "Tell us about yourself before your visit.",
            "due_after_hours": 24,
            "fields": [
                {"key": "full_name", "label": "Full name", "type": "text", "required": True},
                {"key": "date_of_birth", "label": "Date of birth", "type": "date", "required": False},
                {"key": "reason", "label": "Reason for your visit", "type": "textarea", "required": True},
                {"key": "first_visit", "label": "Is this your first visit?", "type": "checkbox", "required": False},
            ],
        },
        {
            "name": "Consent form",
            "description": "Your agreement to our terms of service.",
            "due_after_hours": 24,
            "fields": [
                {"key": "agree", "label": "I agree to the terms of service", "type": "checkbox", "required": True},
                {"key": "signature", "label": "Signature", "type": "signature", "required": True},
            ],
        },
    ],
}


@hookimpl
def careops_form_packs():
    return [BASIC_PACK]
