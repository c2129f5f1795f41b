"""A real Robot run: the secrets it handles never reach output.xml."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import robot

ROOT = Path(__file__).resolve().parents[2]
SECRET_PASSWORD = "Pw-SuperSecret-0042"
SECRET_JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzZWNyZXQtdXNlciJ9.c2lnbmF0dXJlLXNlY3JldA"

SUITE = f"""
*** Settings ***
Library    Collections
Library    RequestsLibrary
Library    {ROOT}/keywords/listeners/SecretMasker.py

*** Test Cases ***
Secrets Are Handled
    VAR    &{{actor}} =    email=a@example.com    password=%{{SECRET_PASSWORD}}
    ${{token}} =    Set Variable    %{{SECRET_JWT}}
    Log    login body {{"password": "%{{SECRET_PASSWORD}}"}}
    VAR    &{{headers}} =    Authorization=Bearer ${{token}}
    GET    %{{ECHO_URL}}    headers=${{headers}}    json=${{actor}}
    FOR    ${{person}}    IN    ${{actor}}
        Log    ${{person}}[email]
    END
    Remove From Dictionary    ${{actor}}    password
"""


class _Echo(BaseHTTPRequestHandler):
    def do_GET(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_output_xml_holds_no_secret(tmp_path, monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    # Secrets reach test data through variables: arguments are recorded as written.
    monkeypatch.setenv("SECRET_PASSWORD", SECRET_PASSWORD)
    monkeypatch.setenv("SECRET_JWT", SECRET_JWT)
    monkeypatch.setenv("ECHO_URL", f"http://127.0.0.1:{server.server_address[1]}/")
    suite = tmp_path / "masking.robot"
    suite.write_text(SUITE)
    try:
        with open(tmp_path / "stdout", "w") as stdout:
            rc = robot.run(
                str(suite), outputdir=str(tmp_path), log="NONE", report="NONE", stdout=stdout
            )
    finally:
        server.shutdown()
    output = (tmp_path / "output.xml").read_text()
    assert rc == 0, (tmp_path / "stdout").read_text()
    assert "Authorization" in output  # the request really was logged
    assert SECRET_PASSWORD not in output
    assert SECRET_JWT not in output
    assert "c2lnbmF0dXJlLXNlY3JldA" not in output
