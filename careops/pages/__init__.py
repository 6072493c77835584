"""Pages for people: the HTML that customers and invited staff open from the links CareOps sends.

Server-rendered Jinja at the site root (``/{slug}``, ``/{slug}/book/…``,
``/{slug}/contact``, ``/manage/{token}``, ``/forms/{token}``,
``/invitations/{token}``). Like any ``views.py`` these modules only speak HTTP:
every rule lives in the services the JSON API calls. Plain form posts with a
CSRF token and redirect-after-post; ``static/pages.js`` only enhances.
"""
