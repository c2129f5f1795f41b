import pytest
from hypothesis import given
from hypothesis import strategies as st

from keywords.listeners.SecretMasker import _PATTERNS, mask


@pytest.mark.parametrize(
    "secret_text",
    [
        "Authorization: Bearer abc.def.ghi",
        '{"password": "Sup3rSecret123"}',
        "{'access_token': 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig'}",
        "${token} = eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln",
        "https://x.test/api/users/verify?token=Sup3rSecret123",
        "key sk_test_Sup3rSecret123 and whsec_Sup3rSecret123",
        "card 4242 4242 4242 4242",
        "postgresql://user:Sup3rSecret123@db/x",
    ],
)
def test_secrets_are_masked(secret_text):
    masked = mask(secret_text)
    assert "Sup3rSecret123" not in masked
    assert "4242 4242" not in masked
    assert "eyJzdWIiOiIxIn0" not in masked
    assert "***" in masked


def test_ordinary_text_is_kept():
    text = '{"status": "ok", "token_type": "Bearer", "email": "a@b.test"}'
    assert mask(text) == text


@pytest.mark.parametrize(
    "secret_text",
    [
        "password=Sup3rSecret123 | role=buyer",
        "Removed item with key 'password' and value 'Sup3rSecret123'",
        "${JWT_SECRET} = Sup3rSecret123",
        "${FLW_HASH} = Sup3rSecret123",
        "FLWSECK_TEST-Sup3rSecret123-X",
        "rk_live_Sup3rSecret123",
        '{"cvc": "Sup3rSecret123"}',
        "verif-hash: Sup3rSecret123",
    ],
)
def test_every_kind_of_secret_passes_the_quick_check(secret_text):
    assert "Sup3rSecret123" not in mask(secret_text)


_FRAGMENTS = st.sampled_from(
    [
        "Bearer ",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig",
        "password",
        '"',
        "'",
        ": ",
        "=",
        "${A_KEY} = ",
        "?token=",
        "sk_test_",
        "whsec_",
        "FLWSECK",
        "4242 4242 4242 4242",
        "postgresql://u:",
        "@db",
        "key 'secret' and value '",
        "ok",
        " ",
        "x1",
    ]
)


@given(st.lists(_FRAGMENTS, max_size=12).map("".join))
def test_the_quick_check_never_lets_a_message_skip_a_pattern_that_would_match(text):
    full = text
    for pattern, replacement in _PATTERNS:
        full = pattern.sub(replacement, full)
    assert mask(text) == full
