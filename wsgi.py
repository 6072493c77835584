"""The WSGI entry for gunicorn (``gunicorn -c python:careops.gunicorn_conf wsgi:app``) and the CLI (``flask --app wsgi …``).

A configuration mistake (a missing production secret, a loopback public URL,
an unknown registration mode) is one line on stderr, not a traceback; exit
status 3 is the one gunicorn reads as "a worker cannot boot", so the master
stops instead of restarting workers forever.
"""

import sys

from careops import create_app
from careops.config import ConfigError

try:
    app = create_app()
except ConfigError as error:
    sys.stderr.write(f"careops: {error}\n")
    sys.exit(3)
