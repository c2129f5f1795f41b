import pytest

from keywords.libraries.SecretMasker import mask


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
