"""The WSGI entry for gunicorn (``gunicorn wsgi:app``) and the worker (``flask --app wsgi careops worker``)."""
from careops import create_app

app = create_app()
