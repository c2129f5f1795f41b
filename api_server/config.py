"""Settings read from the environment, with safe defaults for a local run."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names it."""


Number = TypeVar("Number", int, float)


def _number(
    env: Mapping[str, str], name: str, default: Number, parse: type[Number], kind: str
) -> Number:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return parse(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be {kind}, got {raw!r}") from exc


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    value = _number(env, name, default, int, "an integer")
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    value = _number(env, name, default, float, "a number")
    if value <= 0:
        raise ConfigError(f"{name} must be positive, got {value}")
    return value


def _optional_int(env: Mapping[str, str], name: str) -> int | None:
    return _int(env, name, 0) if env.get(name) else None


def _seconds_or_off(env: Mapping[str, str], name: str, default: float) -> float:
    value = _number(env, name, default, float, "a number of seconds")
    if not (math.isfinite(value) and value >= 0):
        raise ConfigError(f"{name} must be 0 (off) or positive, got {value}")
    return value


def _list(env: Mapping[str, str], name: str, default: str) -> tuple[str, ...]:
    raw = env.get(name, default)
    return tuple(item.strip() for item in raw.split(",") if item.strip())


@dataclass(frozen=True)
class Config:
    """Everything the app needs, injected through create_app(config)."""

    database_url: str
    jwt_secret: str = field(repr=False)
    jwt_issuer: str = "mining-marketplace"
    jwt_audience: str = "mining-marketplace-api"
    access_token_ttl: int = 900
    refresh_token_ttl: int = 14 * 24 * 3600
    verification_ttl: int = 24 * 3600
    public_url: str = "http://127.0.0.1:8000"
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = 1024 * 1024
    max_upload_bytes: int = 5 * 1024 * 1024
    db_pool_min: int = 1
    db_pool_max: int = 8
    db_pool_timeout: float = 5.0
    login_max_failures: int = 5
    login_max_failures_per_ip: int = 50
    trusted_proxies: tuple[str, ...] = ()
    login_window_seconds: int = 300
    # A name from api_server.users.passwords.PROFILES (argon2-cffi's parameter profiles).
    password_hash_profile: str = "rfc_9106_low_memory"  # noqa: S105 (a profile name)
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_timeout: float = 5.0
    mail_from: str = "Mining Marketplace <no-reply@mining-marketplace.test>"
    outbox_retry_seconds: float = 1.0
    stripe_api_base: str = "https://api.stripe.com"
    stripe_secret_key: str = field(default="", repr=False)
    stripe_webhook_secret: str = field(default="", repr=False)
    # Public by design: the buyer's browser (Stripe.js) confirms with it and the client secret.
    stripe_publishable_key: str = ""
    stripe_timeout: float = 5.0
    stripe_max_retries: int = 0
    flutterwave_api_base: str = "https://api.flutterwave.com"
    flutterwave_secret_key: str = field(default="", repr=False)
    flutterwave_secret_hash: str = field(default="", repr=False)
    flutterwave_timeout: float = 5.0
    payment_ttl_seconds: int = 1800
    # The search cache of each worker (marketplace/search_cache.py); 0 entries turns it off.
    search_cache_entries: int = 1024
    search_cache_bytes: int = 32 * 1024 * 1024
    # How often each worker reads the listings' generation besides being told of it
    # (marketplace/generation_watch.py): the most a public search lags another process's
    # commit. 0 turns the watch off (every search reads the generation first).
    search_watch_seconds: float = 0.25
    # The descriptor of the commit clock gunicorn's master shares with its workers
    # (db/commit_clock.py); None: a clock of this process alone.
    commit_clock_fd: int | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, signs_tokens: bool = True) -> Config:
        """Reads the settings; raises ConfigError naming the first bad one.

        Operator commands that never issue or check a token pass `signs_tokens=False`, so
        they run without JWT_SECRET (the token service then refuses to sign).
        """
        env = os.environ if env is None else env
        database_url = env.get("DATABASE_URL", "")
        if not database_url:
            raise ConfigError("DATABASE_URL is required (python -m sandbox up sets it)")
        jwt_secret = env.get("JWT_SECRET", "")
        if signs_tokens and len(jwt_secret) < 32:
            raise ConfigError("JWT_SECRET is required and must be at least 32 characters")
        return cls(
            database_url=database_url,
            jwt_secret=jwt_secret,
            jwt_issuer=env.get("JWT_ISSUER", cls.jwt_issuer),
            jwt_audience=env.get("JWT_AUDIENCE", cls.jwt_audience),
            access_token_ttl=_int(env, "ACCESS_TOKEN_TTL", cls.access_token_ttl, 1),
            refresh_token_ttl=_int(env, "REFRESH_TOKEN_TTL", cls.refresh_token_ttl, 1),
            verification_ttl=_int(env, "VERIFICATION_TTL", cls.verification_ttl, 1),
            public_url=env.get("PUBLIC_URL", cls.public_url).rstrip("/"),
            cors_origins=_list(env, "CORS_ORIGINS", ""),
            max_body_bytes=_int(env, "MAX_BODY_BYTES", cls.max_body_bytes, 1),
            max_upload_bytes=_int(env, "MAX_UPLOAD_BYTES", cls.max_upload_bytes, 1),
            db_pool_min=_int(env, "DB_POOL_MIN", cls.db_pool_min, 0),
            db_pool_max=_int(env, "DB_POOL_MAX", cls.db_pool_max, 1),
            login_max_failures=_int(env, "LOGIN_MAX_FAILURES", cls.login_max_failures, 1),
            login_max_failures_per_ip=_int(
                env, "LOGIN_MAX_FAILURES_PER_IP", cls.login_max_failures_per_ip, 1
            ),
            trusted_proxies=_list(env, "TRUSTED_PROXIES", ""),
            login_window_seconds=_int(env, "LOGIN_WINDOW_SECONDS", cls.login_window_seconds, 1),
            password_hash_profile=env.get("PASSWORD_HASH_PROFILE", cls.password_hash_profile),
            smtp_host=env.get("SMTP_HOST", cls.smtp_host),
            smtp_port=_int(env, "SMTP_PORT", cls.smtp_port, 1),
            mail_from=env.get("MAIL_FROM", cls.mail_from),
            stripe_api_base=env.get("STRIPE_API_BASE", cls.stripe_api_base).rstrip("/"),
            stripe_secret_key=env.get("STRIPE_SECRET_KEY", ""),
            stripe_webhook_secret=env.get("STRIPE_WEBHOOK_SECRET", ""),
            stripe_publishable_key=env.get("STRIPE_PUBLISHABLE_KEY", ""),
            stripe_timeout=_float(env, "STRIPE_TIMEOUT", cls.stripe_timeout),
            flutterwave_timeout=_float(env, "FLUTTERWAVE_TIMEOUT", cls.flutterwave_timeout),
            stripe_max_retries=_int(env, "STRIPE_MAX_RETRIES", cls.stripe_max_retries, 0),
            flutterwave_api_base=env.get("FLUTTERWAVE_API_BASE", cls.flutterwave_api_base).rstrip(
                "/"
            ),
            flutterwave_secret_key=env.get("FLUTTERWAVE_SECRET_KEY", ""),
            flutterwave_secret_hash=env.get("FLUTTERWAVE_SECRET_HASH", ""),
            payment_ttl_seconds=_int(env, "PAYMENT_TTL_SECONDS", cls.payment_ttl_seconds, 1),
            search_cache_entries=_int(env, "SEARCH_CACHE_ENTRIES", cls.search_cache_entries, 0),
            search_cache_bytes=_int(env, "SEARCH_CACHE_BYTES", cls.search_cache_bytes, 0),
            search_watch_seconds=_seconds_or_off(
                env, "SEARCH_WATCH_SECONDS", cls.search_watch_seconds
            ),
            commit_clock_fd=_optional_int(env, "API_COMMIT_CLOCK_FD"),
        )
