"""The training programme, and each member's modules: enrol, complete, withdraw, reenrol."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields

from api.access import member_in_scope
from api.auth import ALL_ROLES, RECORD_ROLES, current_caller, roles
from api.context import catalogue, zone
from api.db import session
from api.fields import (
    IDEMPOTENCY_HEADER,
    CatalogueBlueprint,
    Day,
    ExpectedVersion,
    InCatalogue,
    Text,
    effective_date_named,
)
from api.idempotent import respond_once
from api.schemas import ErrorSchema, EventSchema, PageArgs, page_of
from pathway.engine import Firing
from pathway.events import event_view
from pathway.programme import training
from pathway.store.paging import page_of as page_in_memory

blp = CatalogueBlueprint("training", __name__,
                description="The accredited training programme and each member's modules. "
                            "A completion past the module's valid_for_days reads `expired` "
                            "and no longer counts.")

TRAINING_WRITERS = ("admin", "coordinator", "training_lead")


class ModuleSchema(Schema):
    code = fields.String(required=True)
    title = fields.String(required=True)
    level = fields.String(required=True)
    valid_for_days = fields.Integer(required=True, allow_none=True, metadata={
        "description": "Days a completion stays in date; null: it never expires."})
    description = fields.String(required=True)


class TrainingSchema(ModuleSchema):
    state = fields.String(required=True, validate=InCatalogue(training.shown_states, "state",
                                                              listed=True))
    completed_on = fields.Date(required=True, allow_none=True)
    expires_on = fields.Date(required=True, allow_none=True)
    version = fields.Integer(required=True, metadata={
        "description": "The module record's version (0 before the first event)."})
    available_triggers = fields.List(fields.String(), required=True)


class TrainingTransitionSchema(Schema):
    trigger = fields.String(required=True, validate=InCatalogue(training.triggers, "trigger",
                                                                listed=True))
    on = Day(load_default=None, allow_none=True, metadata={
        "description": "Effective date: not in the future, not before the member joined, "
                       "not before this module's latest event."})
    reason = Text(load_default=None, allow_none=True)
    expected_version = ExpectedVersion()


class TrainingTransitionResultSchema(Schema):
    event = fields.Nested(EventSchema, required=True)
    training = fields.Nested(TrainingSchema, required=True)


ModulePage = page_of(ModuleSchema, "ModulePage")
TrainingPage = page_of(TrainingSchema, "TrainingPage")


@blp.route("/training/modules")
class Modules(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, ModulePage)
    @roles(*ALL_ROLES)
    def get(self, args: dict[str, Any]) -> Any:
        """The programme: every module, its level and how long a completion stays in date."""
        page = page_in_memory(training.programme(catalogue()), args["page"], args["page_size"])
        return page.as_dict()


@blp.route("/members/<int:member_id>/training")
class MemberTraining(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, TrainingPage)
    @roles(*RECORD_ROLES)
    def get(self, args: dict[str, Any], member_id: int) -> Any:
        """Each module of the programme with the member's state in it."""
        member = member_in_scope(member_id)
        page = page_in_memory(training.programme(catalogue()), args["page"], args["page_size"])
        return page.as_dict(training.training_of(session(), catalogue(), member, zone(),
                                                 page.items))


@blp.route("/members/<int:member_id>/training/<string:module>")
class MemberModule(MethodView):
    @blp.response(200, TrainingSchema)
    @roles(*RECORD_ROLES)
    def get(self, member_id: int, module: str) -> Any:
        """The member's state in one module."""
        member = member_in_scope(member_id)
        return training.module_of(session(), catalogue(), member, module, zone())


@blp.route("/members/<int:member_id>/training/<string:module>/transitions")
class ModuleTransitions(MethodView):
    @blp.arguments(TrainingTransitionSchema)
    @blp.response(201, TrainingTransitionResultSchema)
    @blp.alt_response(409, schema=ErrorSchema, description="Not possible now "
                                                           "(`invalid_trigger`) or the record "
                                                           "changed (`version_conflict`).")
    @blp.doc(parameters=[IDEMPOTENCY_HEADER])
    @roles(*TRAINING_WRITERS)
    def post(self, data: dict[str, Any], member_id: int, module: str) -> Any:
        """Enrol, complete, withdraw or reenrol (after withdrawing, or to refresh a completion)."""
        def run() -> Any:
            member = member_in_scope(member_id)
            with effective_date_named("on"):
                outcome, view = training.move(
                    session(), catalogue(), member, module,
                    Firing(trigger=data["trigger"], reason=data["reason"], on=data["on"],
                           expected_version=data["expected_version"]),
                    current_caller().actor, zone())
            return TrainingTransitionResultSchema().dump({"event": event_view(outcome.event, session()),
                                                  "training": view})

        return respond_once(run)
