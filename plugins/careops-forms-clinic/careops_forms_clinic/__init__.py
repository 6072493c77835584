"""The ``clinic`` form pack: what a clinic asks a patient before a visit.

Offered through ``careops_form_packs()``; CareOps validates the templates
exactly like ones an owner writes, and a workspace imports them with
``POST /api/v1/form-templates/from-pack {"pack_key": "clinic"}``.
"""

from careops import hookimpl

YES_NO = ["Yes", "No"]


def _field(key, label, type_, required=False, **extra):
    return {"key": key, "label": label, "type": type_, "required": required, **extra}


NEW_PATIENT_INTAKE = {
    "name": "New patient intake",
    "description": "Your details and medical history, so we can care for you safely. "
    "Everything you tell us is confidential.",
    "due_after_hours": 48,
    "fields": [
        _field("full_name", "Full name", "text", True),
        _field("date_of_birth", "Date of birth", "date", True),
        _field("sex", "Sex", "select", options=["Female", "Male", "Intersex", "Prefer not to say"]),
        _field("email", "Email", "email", True),
        _field("phone", "Mobile phone", "phone", True),
        _field("address", "Home address", "textarea"),
        _field("family_doctor", "Family doctor (GP) and practice", "text"),
        _field(
            "allergies",
            "Allergies",
            "textarea",
            True,
            help_text="Medicines, foods, latex, plasters… Write 'none' if you have none.",
        ),
        _field(
            "medications",
            "Current medications",
            "textarea",
            True,
            help_text="Name and dose of every medicine, including the pill, inhalers and supplements. "
            "Write 'none' if you take none.",
        ),
        _field(
            "conditions",
            "Do you have any of these conditions?",
            "multiselect",
            options=[
                "Asthma",
                "Diabetes",
                "Heart disease",
                "High blood pressure",
                "Epilepsy",
                "Bleeding disorder",
                "Pregnant or breastfeeding",
                "None of these",
            ],
        ),
        _field("past_surgery", "Past operations or hospital stays", "textarea"),
        _field("emergency_contact_name", "Emergency contact: name", "text", True),
        _field("emergency_contact_relationship", "Emergency contact: relationship to you", "text", True),
        _field("emergency_contact_phone", "Emergency contact: phone", "phone", True),
        _field("insurer", "Health insurer (if any)", "text"),
        _field("policy_number", "Insurance policy number", "text"),
        _field(
            "accurate",
            "The information I have given is accurate and complete to the best of my knowledge",
            "checkbox",
            True,
        ),
    ],
}

TREATMENT_CONSENT = {
    "name": "Treatment consent",
    "description": "Your consent to the treatment we discussed. Please read each statement and sign.",
    "due_after_hours": 24,
    "fields": [
        _field("patient_name", "Patient's full name", "text", True),
        _field("treatment", "Treatment or procedure", "text", True),
        _field(
            "explained",
            "The treatment, its expected benefits, its risks and the alternatives "
            "(including no treatment) have been explained to me",
            "checkbox",
            True,
        ),
        _field("questions_answered", "I have been able to ask questions and they were answered", "checkbox", True),
        _field(
            "may_withdraw",
            "I understand I may withdraw my consent at any time before or during treatment",
            "checkbox",
            True,
        ),
        _field("photographs", "Clinical photographs may be taken for my records", "select", True, options=YES_NO),
        _field("signature", "Signature", "signature", True),
        _field("signed_on", "Date", "date", True),
    ],
}

HEALTH_SCREENING = {
    "name": "Health screening",
    "description": "A few questions before your visit to protect you, other patients and our staff. "
    "If your answers change before your appointment, please call us.",
    "due_after_hours": 24,
    "fields": [
        _field(
            "symptoms",
            "In the last 10 days, have you had any of these?",
            "multiselect",
            True,
            options=[
                "Fever or chills",
                "New continuous cough",
                "Loss or change of taste or smell",
                "Shortness of breath",
                "Sore throat",
                "Muscle aches",
                "None of these",
            ],
        ),
        _field("temperature", "Your temperature today (°C), if you have taken it", "number"),
        _field(
            "positive_test",
            "Have you tested positive for COVID-19 or flu in the last 10 days?",
            "select",
            True,
            options=YES_NO,
        ),
        _field(
            "close_contact",
            "Have you been in close contact with someone who tested positive in the last 10 days?",
            "select",
            True,
            options=YES_NO,
        ),
        _field("travel", "Have you travelled abroad in the last 14 days?", "select", True, options=YES_NO),
        _field("travel_where", "If so, where?", "text"),
        _field(
            "declaration",
            "My answers are true, and I will tell the clinic if they change before my visit",
            "checkbox",
            True,
        ),
    ],
}

CLINIC_PACK = {
    "key": "clinic",
    "name": "Clinic forms",
    "description": "New-patient intake, treatment consent with signature and a pre-visit health screening.",
    "templates": [NEW_PATIENT_INTAKE, TREATMENT_CONSENT, HEALTH_SCREENING],
}


@hookimpl
def careops_form_packs():
    return [CLINIC_PACK]
