"""The pages' blueprint, ``site``, with every page module's routes on it (registered at the site root)."""

from careops.pages import booking, forms_page, people  # noqa: F401 - their routes register on ``site``
from careops.pages.site import site  # noqa: F401 - create_app registers ``views.site``
