"""Configuration: defaults, instance/careops.cfg, CAREOPS_* variables, the secret key."""

from __future__ import annotations

import os
import stat
from datetime import timedelta

import pytest
from flask import Flask

from careops import config


@pytest.fixture
def clean_env(monkeypatch):
    for variable in config.ENVIRONMENT:
        monkeypatch.delenv(variable, raising=False)
    return monkeypatch


@pytest.fixture
def instance(tmp_path):
    path = tmp_path / "instance"
    path.mkdir()
    return path


def load(instance, overrides=None) -> dict:
    app = Flask("careops-config-test", instance_path=str(instance))
    config.load(app, overrides)
    return app.config


@pytest.mark.parametrize(
    "url, expected",
    [
        ("postgresql://u:p@db:5432/careops", "postgresql+psycopg://u:p@db:5432/careops"),
        ("postgres://u@db/careops", "postgresql+psycopg://u@db/careops"),
        ("postgresql+psycopg://u@db/careops", "postgresql+psycopg://u@db/careops"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
    ],
)
def test_database_url_uses_psycopg(url, expected):
    assert config.database_url(url) == expected


def test_defaults_are_the_embedded_setup(clean_env, instance):
    cfg = load(instance)
    assert cfg["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'careops.db'}"
    assert cfg["CAREOPS_TASK_QUEUE"] == f"sqlite:///{instance / 'tasks.db'}"
    assert cfg["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] == {"timeout": 30}
    assert cfg["JWT_ACCESS_TOKEN_EXPIRES"] == timedelta(minutes=15)
    assert cfg["JWT_REFRESH_TOKEN_EXPIRES"] == timedelta(days=14)
    # Shared by every worker of the machine (careops.ratelimit_storage).
    assert cfg["RATELIMIT_STORAGE_URI"] == f"careops+sqlite:///{instance.resolve() / 'ratelimits.db'}"
    assert cfg["MAX_CONTENT_LENGTH"] == 1024 * 1024


def test_environment_is_read_and_converted(clean_env, instance):
    clean_env.setenv("CAREOPS_DATABASE_URL", "postgresql://postgres@db/careops")
    clean_env.setenv("CAREOPS_ACCESS_TOKEN_MINUTES", "5")
    clean_env.setenv("CAREOPS_REFRESH_TOKEN_DAYS", "2")
    clean_env.setenv("CAREOPS_LOG_JSON", "true")
    clean_env.setenv("CAREOPS_REDIS_URL", "redis://cache:6379/0")
    clean_env.setenv("CAREOPS_MAX_BODY_BYTES", "2048")
    cfg = load(instance)
    assert cfg["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://postgres@db/careops"
    assert "connect_args" not in cfg["SQLALCHEMY_ENGINE_OPTIONS"]
    assert cfg["JWT_ACCESS_TOKEN_EXPIRES"] == timedelta(minutes=5)
    assert cfg["JWT_REFRESH_TOKEN_EXPIRES"] == timedelta(days=2)
    assert cfg["CAREOPS_LOG_JSON"] is True
    assert cfg["RATELIMIT_STORAGE_URI"] == "redis://cache:6379/0"
    assert cfg["MAX_CONTENT_LENGTH"] == 2048


def test_instance_file_is_read_below_the_environment_and_overrides(clean_env, instance):
    (instance / "careops.cfg").write_text(
        'CAREOPS_PUBLIC_URL = "https://from-file.example"\n'
        'CAREOPS_LOG_LEVEL = "DEBUG"\n'
        'CAREOPS_CORS_ORIGINS = "https://file.example"\n'
    )
    assert load(instance)["CAREOPS_PUBLIC_URL"] == "https://from-file.example"
    clean_env.setenv("CAREOPS_LOG_LEVEL", "WARNING")
    cfg = load(instance, {"CAREOPS_CORS_ORIGINS": "https://override.example"})
    assert cfg["CAREOPS_PUBLIC_URL"] == "https://from-file.example"
    assert cfg["CAREOPS_LOG_LEVEL"] == "WARNING"
    assert cfg["CAREOPS_CORS_ORIGINS"] == "https://override.example"


def test_instance_file_may_use_the_environment_names(clean_env, instance):
    (instance / "careops.cfg").write_text(
        'CAREOPS_DATABASE_URL = "postgresql://careops@db/careops"\n'
        'CAREOPS_SECRET_KEY = "from-the-file-0123456789-0123456789"\n'
    )
    cfg = load(instance)
    assert cfg["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://careops@db/careops"
    assert cfg["SECRET_KEY"] == "from-the-file-0123456789-0123456789"
    assert "CAREOPS_DATABASE_URL" not in cfg
    clean_env.setenv("CAREOPS_DATABASE_URL", "sqlite:////tmp/from-env.db")
    assert load(instance)["SQLALCHEMY_DATABASE_URI"] == "sqlite:////tmp/from-env.db"


def test_production_without_a_secret_key_refuses_to_start(clean_env, instance):
    clean_env.setenv("CAREOPS_ENV", "production")
    with pytest.raises(RuntimeError, match="CAREOPS_SECRET_KEY"):
        load(instance)
    assert not (instance / "secret_key").exists()
    clean_env.setenv("CAREOPS_SECRET_KEY", "s" * 48)
    clean_env.setenv("CAREOPS_PUBLIC_URL", "https://book.example.com")
    assert load(instance)["JWT_SECRET_KEY"] == "s" * 48


def test_create_app_refuses_production_without_a_secret_key(make_app):
    with pytest.raises(RuntimeError, match="CAREOPS_SECRET_KEY"):
        make_app(CAREOPS_ENV="production", SECRET_KEY=None)


def test_development_key_is_generated_once_and_reused(clean_env, instance):
    first = load(instance)["SECRET_KEY"]
    second = load(instance)["SECRET_KEY"]
    assert first == second and len(first) >= 32
    assert load(instance)["JWT_SECRET_KEY"] == first
    key_file = instance / "secret_key"
    assert key_file.read_text().strip() == first
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600


def test_development_keys_differ_between_instances(clean_env, tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    assert load(one)["SECRET_KEY"] != load(two)["SECRET_KEY"]


def test_explicit_secret_key_is_used_and_nothing_is_written(clean_env, instance):
    clean_env.setenv("CAREOPS_SECRET_KEY", "k" * 48)
    assert load(instance)["SECRET_KEY"] == "k" * 48
    assert not (instance / "secret_key").exists()
