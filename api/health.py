"""Health, no auth: `/health` (API.md), `/health/live` (the process) and `/health/ready`."""

from __future__ import annotations

from functools import lru_cache

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api.db import session
from api.schemas import ErrorSchema
from pathway.store.migrate import alembic_config

blp = Blueprint("health", __name__, description="Is the service up and its database answering?")

NOT_READY = "The service is not ready: {why}"


class HealthSchema(Schema):
    status = fields.String(required=True, metadata={"example": "ok"})


class ReadySchema(HealthSchema):
    schema = fields.String(required=True, metadata={"description": "The database's Alembic "
                                                                  "revision (the latest)."})


@lru_cache(maxsize=8)
def expected_heads(url: str) -> frozenset[str]:
    """The migrations' head revisions (read once: they change only with a deployment)."""
    return frozenset(ScriptDirectory.from_config(alembic_config(url)).get_heads())


@blp.route("/health")
class Health(MethodView):
    @blp.doc(security=[])
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, schema=ErrorSchema, description="The database is not answering.")
    def get(self):
        """The database answers a query."""
        try:
            session().execute(text("SELECT 1"))
        except SQLAlchemyError:
            abort(503, message="The database is not answering.")
        return {"status": "ok"}


@blp.route("/health/live")
class Live(MethodView):
    @blp.doc(security=[])
    @blp.response(200, HealthSchema)
    def get(self):
        """The process is up and answering (the database is not asked)."""
        return {"status": "ok"}


@blp.route("/health/ready")
class Ready(MethodView):
    @blp.doc(security=[])
    @blp.response(200, ReadySchema)
    @blp.alt_response(503, schema=ErrorSchema,
                      description="The database is not answering or its schema is not the latest.")
    def get(self):
        """Ready for traffic: the database answers and its schema is at the latest migration."""
        url = current_app.config["DATABASE_URL"]
        try:
            current = set(MigrationContext.configure(session().connection()).get_current_heads())
        except SQLAlchemyError:
            abort(503, message=NOT_READY.format(why="the database is not answering."),
                  error="database_unavailable")
        heads = expected_heads(url)
        if current != heads:
            found = ", ".join(sorted(current)) or "none"
            abort(503, message=NOT_READY.format(
                why=f"the database schema is at {found}, the latest is "
                    f"{', '.join(sorted(heads))}; run 'pathway db upgrade'."),
                  error="schema_not_current")
        return {"status": "ok", "schema": ", ".join(sorted(current))}
