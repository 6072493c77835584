"""One instance of each Flask extension, initialised by ``create_app``."""

from flask_cors import CORS
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_smorest import Api as _Api
from flask_sqlalchemy import SQLAlchemy

from careops import parsing, ratelimit_storage  # noqa: F401 - registers the careops+sqlite:// limits storage
from careops.db import Base
from careops.errors import ErrorSchema
from careops.token_cache import JWTManager

# Before any blueprint declares a view: every @blp.arguments gets the strict parser.
parsing.install()


class Api(_Api):
    """flask-smorest's Api, documenting our error body for its default error response."""

    ERROR_SCHEMA = ErrorSchema

    def _init_spec(self, **kwargs):
        super()._init_spec(**kwargs)
        from careops.openapi import Spec

        # The same document, finalized for generated clients (operationIds, required, …).
        self.spec.__class__ = Spec


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
jwt = JWTManager()
api = Api()
# Limits are declared per view (login, register, public); nothing is limited by default.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
cors = CORS()
