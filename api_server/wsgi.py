"""gunicorn entry point: `gunicorn api_server.wsgi:app`."""

from api_server.app import create_app
from api_server.config import Config

app = create_app(Config.from_env())
# Imported in each worker (no preload), so the thread belongs to that worker.
app.start_background()
