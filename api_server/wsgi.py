"""gunicorn entry point: `gunicorn api_server.wsgi:app`."""

from api_server.app import create_app
from api_server.config import Config
from api_server.services import build_services

app = create_app(build_services(Config.from_env()))
# Imported in each worker (no preload), so the thread belongs to that worker.
app.start_background()
