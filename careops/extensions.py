"""One instance of each Flask extension, initialised by ``create_app``."""
from flask_cors import CORS
from flask_jwt_extended import JWTManager
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_smorest import Api as _Api
from flask_sqlalchemy import SQLAlchemy

from careops.db import Base
from careops.errors import ErrorSchema


class Api(_Api):
    """flask-smorest's Api, documenting our error body for its default error response."""

    ERROR_SCHEMA = ErrorSchema


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
jwt = JWTManager()
api = Api()
# Limits are declared per view (login, register, public); nothing is limited by default.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
cors = CORS()
