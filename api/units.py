"""Units: wards, houses and teams, named by their code everywhere in the API."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields, validate

from api.auth import ADMINS, ALL_ROLES, current_caller, roles
from api.db import session
from api.fields import Slug, Text
from api.schemas import PageArgs, page_of
from pathway.people.units import (
    UNIT_KINDS,
    create_unit,
    describe_unit,
    unit_by_code,
    units_query,
)
from pathway.store.paging import paginate

blp = Blueprint("units", __name__, description="Inpatient units, houses and teams.")


class UnitSchema(Schema):
    code = Slug(required=True, metadata={"example": "cefn-yr-afon"})
    name = Text(required=True, min_length=1, max_length=200)
    kind = fields.String(required=True, validate=validate.OneOf(UNIT_KINDS))
    locality = Text(load_default=None, allow_none=True, max_length=200)


class UnitPatchSchema(Schema):
    name = Text(min_length=1, max_length=200)
    kind = fields.String(validate=validate.OneOf(UNIT_KINDS))
    locality = Text(allow_none=True, max_length=200)
    reason = Text(load_default=None, allow_none=True, max_length=500, metadata={
        "description": "Why, kept in the change log with who and when."})


UnitPage = page_of(UnitSchema, "UnitPage")


@blp.route("/units")
class Units(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, UnitPage)
    @roles(*ALL_ROLES)
    def get(self, args):
        """The units in your scope."""
        return paginate(session(), units_query(current_caller()), args["page"],
                        args["page_size"]).as_dict()

    @blp.arguments(UnitSchema)
    @blp.response(201, UnitSchema)
    @roles(*ADMINS)
    def post(self, data):
        """Add a unit (admin)."""
        unit = create_unit(session(), **data)
        session().commit()
        return unit


@blp.route("/units/<string:code>")
class UnitByCode(MethodView):
    @blp.response(200, UnitSchema)
    @roles(*ALL_ROLES)
    def get(self, code):
        """One unit."""
        return unit_by_code(session(), code, current_caller())

    @blp.arguments(UnitPatchSchema)
    @blp.response(200, UnitSchema)
    @roles(*ADMINS)
    def patch(self, data, code):
        """Rename or re-describe a unit (admin). Its code never changes.

        Recorded in the change log: who, when, which fields, and the reason if given.
        """
        reason = data.pop("reason")
        if not data:
            abort(422, message="Nothing to change: send name, kind or locality.",
                  errors={"_body": ["Send at least one of: name, kind, locality."]})
        unit = unit_by_code(session(), code, current_caller())
        describe_unit(session(), unit, data, current_caller().actor, reason=reason)
        session().commit()
        return unit
