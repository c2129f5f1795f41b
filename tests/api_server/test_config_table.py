"""Settings as tables: each documented default (README "Settings"), and each number's floor.

Written from the README and the rule "a count, size or lifetime of zero makes no sense"; a
changed default or floor is a change of what operators were promised.
"""

import pytest

from api_server.config import Config, ConfigError

BASE = {"DATABASE_URL": "postgresql://u@/db", "JWT_SECRET": "s" * 40}
MIB = 1024 * 1024
DAY = 24 * 3600


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("jwt_issuer", "mining-marketplace"),
        ("jwt_audience", "mining-marketplace-api"),
        ("access_token_ttl", 900),
        ("refresh_token_ttl", 14 * DAY),
        ("verification_ttl", DAY),
        ("login_max_failures", 5),
        ("login_max_failures_per_ip", 50),
        ("login_window_seconds", 300),
        ("trusted_proxies", ()),
        ("cors_origins", ()),
        ("max_body_bytes", MIB),
        ("max_upload_bytes", 5 * MIB),
        ("smtp_host", "127.0.0.1"),
        ("smtp_port", 25),
        ("public_url", "http://127.0.0.1:8000"),
        ("stripe_api_base", "https://api.stripe.com"),
        ("stripe_timeout", 5.0),
        ("stripe_max_retries", 0),
        ("stripe_publishable_key", ""),
        ("flutterwave_api_base", "https://api.flutterwave.com"),
        ("flutterwave_timeout", 5.0),
        ("payment_ttl_seconds", 1800),
        ("search_watch_seconds", 0.25),
        ("commit_clock_fd", None),
    ],
)
def test_documented_default(setting, expected):
    assert getattr(Config.from_env(BASE), setting) == expected


INTEGER_FLOORS = [
    ("ACCESS_TOKEN_TTL", 1),
    ("REFRESH_TOKEN_TTL", 1),
    ("VERIFICATION_TTL", 1),
    ("MAX_BODY_BYTES", 1),
    ("MAX_UPLOAD_BYTES", 1),
    ("DB_POOL_MIN", 0),
    ("DB_POOL_MAX", 1),
    ("LOGIN_MAX_FAILURES", 1),
    ("LOGIN_MAX_FAILURES_PER_IP", 1),
    ("LOGIN_WINDOW_SECONDS", 1),
    ("SMTP_PORT", 1),
    ("STRIPE_MAX_RETRIES", 0),
    ("PAYMENT_TTL_SECONDS", 1),
]


@pytest.mark.parametrize(("name", "floor"), INTEGER_FLOORS)
def test_an_integer_setting_takes_its_floor_and_refuses_below(name, floor):
    field = name.lower()
    assert getattr(Config.from_env({**BASE, name: str(floor)}), field) == floor
    with pytest.raises(ConfigError, match=f"{name} must be at least {floor}"):
        Config.from_env({**BASE, name: str(floor - 1)})


@pytest.mark.parametrize("name", ["STRIPE_TIMEOUT", "FLUTTERWAVE_TIMEOUT"])
def test_a_timeout_must_be_positive(name):
    assert getattr(Config.from_env({**BASE, name: "0.5"}), name.lower()) == 0.5
    with pytest.raises(ConfigError, match=f"{name} must be positive"):
        Config.from_env({**BASE, name: "0"})


@pytest.mark.parametrize(
    ("name", "field", "given", "expected"),
    [
        ("PUBLIC_URL", "public_url", "https://shop.test/", "https://shop.test"),
        ("STRIPE_API_BASE", "stripe_api_base", "http://127.0.0.1:9/", "http://127.0.0.1:9"),
        ("FLUTTERWAVE_API_BASE", "flutterwave_api_base", "http://x.test/", "http://x.test"),
        ("TRUSTED_PROXIES", "trusted_proxies", " 10.0.0.1 ,, 10.0.0.2", ("10.0.0.1", "10.0.0.2")),
    ],
)
def test_urls_lose_their_trailing_slash_and_lists_their_blanks(name, field, given, expected):
    assert getattr(Config.from_env({**BASE, name: given}), field) == expected


def test_operator_commands_run_without_a_jwt_secret():
    config = Config.from_env({"DATABASE_URL": BASE["DATABASE_URL"]}, signs_tokens=False)
    assert config.jwt_secret == ""


@pytest.mark.parametrize(
    "name",
    [
        "JWT_SECRET",
        "STRIPE_SECRET_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "FLUTTERWAVE_SECRET_KEY",
        "FLUTTERWAVE_SECRET_HASH",
    ],
)
def test_no_secret_reaches_the_repr(name):
    secret = "secret-" + "q" * 40
    assert secret not in repr(Config.from_env({**BASE, name: secret}))


def test_a_jwt_secret_needs_32_characters():
    assert Config.from_env({**BASE, "JWT_SECRET": "k" * 32}).jwt_secret == "k" * 32
    with pytest.raises(ConfigError, match="JWT_SECRET"):
        Config.from_env({**BASE, "JWT_SECRET": "k" * 31})
