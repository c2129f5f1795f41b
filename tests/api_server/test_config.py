import pytest

from api_server.config import Config, ConfigError

BASE = {"DATABASE_URL": "postgresql://u@/db", "JWT_SECRET": "s" * 40}


def test_defaults_are_safe_for_a_local_run():
    config = Config.from_env(BASE)
    assert config.access_token_ttl == 900
    assert config.max_body_bytes == 1024 * 1024
    assert config.cors_origins == ()


def test_values_are_read_from_the_environment():
    config = Config.from_env(
        {
            **BASE,
            "CORS_ORIGINS": "https://a.test, https://b.test",
            "MAX_BODY_BYTES": "10",
            "SMTP_PORT": "2525",
            "SEARCH_CACHE_ENTRIES": "0",
            "SEARCH_CACHE_BYTES": "4096",
            "SEARCH_WATCH_SECONDS": "0",
            "API_COMMIT_CLOCK_FD": "7",
        }
    )
    assert (config.search_watch_seconds, config.commit_clock_fd) == (0, 7)
    assert config.cors_origins == ("https://a.test", "https://b.test")
    assert config.max_body_bytes == 10
    assert config.smtp_port == 2525
    assert (config.search_cache_entries, config.search_cache_bytes) == (0, 4096)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"JWT_SECRET": "s" * 40}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgresql://u@/db"}, "JWT_SECRET"),
        ({**BASE, "JWT_SECRET": "short"}, "JWT_SECRET"),
        ({**BASE, "MAX_BODY_BYTES": "lots"}, "MAX_BODY_BYTES"),
        ({**BASE, "DB_POOL_MAX": "0"}, "DB_POOL_MAX"),
        ({**BASE, "SEARCH_CACHE_ENTRIES": "-1"}, "SEARCH_CACHE_ENTRIES"),
        ({**BASE, "SEARCH_CACHE_BYTES": "-1"}, "SEARCH_CACHE_BYTES"),
        ({**BASE, "SEARCH_WATCH_SECONDS": "-0.1"}, "SEARCH_WATCH_SECONDS"),
        ({**BASE, "SEARCH_WATCH_SECONDS": "nan"}, "SEARCH_WATCH_SECONDS"),
        ({**BASE, "SEARCH_WATCH_SECONDS": "inf"}, "SEARCH_WATCH_SECONDS"),
        ({**BASE, "SEARCH_WATCH_SECONDS": "soon"}, "SEARCH_WATCH_SECONDS"),
        ({**BASE, "API_COMMIT_CLOCK_FD": "-1"}, "API_COMMIT_CLOCK_FD"),
    ],
)
def test_bad_settings_are_named(env, message):
    with pytest.raises(ConfigError, match=message):
        Config.from_env(env)


def test_secrets_stay_out_of_repr():
    assert "s" * 40 not in repr(Config.from_env(BASE))
