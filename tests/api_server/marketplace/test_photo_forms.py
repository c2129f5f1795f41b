"""Photo type sniffing and multipart reading, without a database."""

import falcon
import falcon.testing
import pytest
import urllib3

from api_server.common import errors
from api_server.marketplace.photos import read_photo, sniff_image_type
from tests.api_server.marketplace.support import JPEG, PNG, WEBP


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (JPEG, "image/jpeg"),
        (PNG, "image/png"),
        (WEBP, "image/webp"),
        (b"GIF89a" + b"\x00" * 20, None),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", None),
        (b"<html><script>alert(1)</script></html>", None),
        (b"MZ\x90\x00" + b"\x00" * 20, None),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", None),
        (b"RIFF\x24\x00\x00\x00WEB", None),
        (b"\x89PNG\r\n\x1a", None),
        (b"\xff\xd8", None),
        (b"", None),
        (b"x" + PNG, None),
    ],
)
def test_the_type_comes_from_the_bytes(data, expected):
    assert sniff_image_type(data) == expected


class Upload:
    """Echoes what read_photo makes of a request, with a 64-byte limit."""

    def on_post(self, req, resp):
        data, content_type = read_photo(req, 64)
        resp.media = {"size": len(data), "content_type": content_type}


@pytest.fixture
def client():
    app = falcon.App()
    errors.install(app)
    app.add_route("/upload", Upload())
    return falcon.testing.TestClient(app)


def _post(client, fields):
    body, content_type = urllib3.encode_multipart_formdata(fields)
    return client.simulate_post("/upload", body=body, content_type=content_type)


def test_the_declared_type_is_ignored(client):
    result = _post(client, {"photo": ("photo.jpg", PNG, "image/jpeg")})
    assert result.json == {"size": len(PNG), "content_type": "image/png"}


def test_exactly_the_limit_is_accepted_and_one_byte_more_is_413(client):
    at_limit = PNG + b"\x00" * (64 - len(PNG))
    assert _post(client, {"photo": ("a.png", at_limit, "image/png")}).json["size"] == 64
    result = _post(client, {"photo": ("a.png", at_limit + b"\x00", "image/png")})
    assert result.status_code == 413
    assert result.json["code"] == "payload_too_large"


@pytest.mark.parametrize(
    ("fields", "status", "field"),
    [
        ({"photo": ("a.gif", b"GIF89a....", "image/png")}, 415, None),
        ({"photo": ("a.png", b"", "image/png")}, 415, None),
        ({"image": ("a.png", PNG, "image/png")}, 422, "image"),
        ({}, 422, "photo"),
        (
            [("photo", ("a.png", PNG, "image/png")), ("photo", ("b.png", PNG, "image/png"))],
            422,
            "photo",
        ),
        ({"photo": ("a.png", PNG, "image/png"), "caption": "nice"}, 422, "caption"),
    ],
)
def test_bad_forms_are_problems(client, fields, status, field):
    result = _post(client, fields)
    assert result.status_code == status
    assert result.headers["content-type"] == "application/problem+json"
    if field:
        assert [e["field"] for e in result.json["errors"]] == [field]


def test_a_non_multipart_body_is_415(client):
    result = client.simulate_post("/upload", body=PNG, content_type="image/png")
    assert result.status_code == 415


def test_a_broken_multipart_body_is_400(client):
    result = client.simulate_post(
        "/upload",
        body=b"--xyz\r\nContent-Disposition: form-data; name=photo\r\n\r\nunterminated",
        content_type="multipart/form-data; boundary=xyz",
    )
    assert result.status_code == 400
    assert result.json["code"] == "malformed_multipart"
