"""Health: no auth; 200 when the database answers."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api.db import session

blp = Blueprint("health", __name__, description="Is the service up and its database answering?")


class HealthSchema(Schema):
    status = fields.String(required=True)


@blp.route("/health")
class Health(MethodView):
    @blp.doc(security=[])
    @blp.response(200, HealthSchema)
    def get(self):  # type: ignore[no-untyped-def]
        """Ready: the database answers a query."""
        try:
            session().execute(text("SELECT 1"))
        except SQLAlchemyError:
            abort(503, message="The database is not answering.")
        return {"status": "ok"}
