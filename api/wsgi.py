"""The WSGI entry point gunicorn serves: ``api.wsgi:app``.

Each worker marks the database as served while it lives, so that ``pathway restore``
refuses to replace it under a running service (``pathway.store.serving``).
"""

from api import create_app
from pathway.store import serving

app = create_app()
serving.hold(app.config["DATABASE_URL"])
