"""Workflows: the definitions the service runs, as data and as mermaid diagrams."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

import workflows
from api.auth import ALL_ROLES, roles
from api.context import catalogue
from api.schemas import CriterionSchema, PageArgs, page_of
from pathway.errors import NotFound
from pathway.store.paging import page_of as page_of_list
from workflows.diagram import guard_words, mermaid
from workflows.machine import compile_definition
from workflows.schema import MEMBER_KINDS, Definition
from workflows.vocabulary import BOARD_MACHINES, MACHINE_KINDS

blp = Blueprint("workflows", __name__,
                description="The workflow definitions in force: levels, transitions and guards.")

# A member's machines, and the service's own (the proposals board).
MACHINES = (*MACHINE_KINDS, *BOARD_MACHINES)
# The document's examples come from the shipped definitions, the ones a new reader knows.
_SHIPPED = workflows.load(workflows.DEFAULT_FOLDER).pathway_for(MEMBER_KINDS[0])
_FIRST_MOVE = _SHIPPED.transitions[0]
DIAGRAM_EXAMPLE = "\n".join(
    line for line in mermaid(_SHIPPED, workflows.load(workflows.DEFAULT_FOLDER)).splitlines()
    if "%%" not in line)


class WorkflowSummarySchema(Schema):
    name = fields.String(required=True, metadata={"example": "pathway_service_user"})
    applies_to = fields.List(fields.String(validate=validate.OneOf(MEMBER_KINDS)), required=True,
                             metadata={"description": "The member kinds it applies to."})
    version = fields.Integer(required=True)
    machine = fields.String(required=True, validate=validate.OneOf(MACHINES),
                            metadata={"description": "pathway, the lifecycle it defines, or "
                                                   "`proposal` (the proposals board)."})
    title = fields.String(required=True)


class LevelSchema(Schema):
    code = fields.String(required=True, metadata={"example": _SHIPPED.initial})
    title = fields.String(required=True, metadata={"example": "Laying the foundation"})


class MilestoneDefinitionSchema(Schema):
    code = fields.String(required=True, metadata={"example": "buddy_assigned"})
    level = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)


class TransitionDefinitionSchema(Schema):
    trigger = fields.String(required=True, metadata={"example": _FIRST_MOVE.trigger})
    source = fields.String(required=True, metadata={"example": _FIRST_MOVE.source})
    dest = fields.String(required=True, metadata={"example": _FIRST_MOVE.dest})
    guards = fields.List(fields.Nested(CriterionSchema), required=True)


class WorkflowSchema(WorkflowSummarySchema):
    source_file = fields.String(required=True, metadata={"description": "The YAML file it came from."})
    initial = fields.String(required=True)
    states = fields.List(fields.String(), required=True, metadata={
        "description": "Every state of the compiled machine; a pathway has each level active, "
                       "'.paused' and '.exited'."})
    levels = fields.List(fields.Nested(LevelSchema), required=True,
                         metadata={"description": "Pathways only (empty for lifecycles)."})
    transitions = fields.List(fields.Nested(TransitionDefinitionSchema), required=True, metadata={
        "description": "Every transition, the built-in pause, resume, exit and rejoin included."})
    milestones = fields.List(fields.Nested(MilestoneDefinitionSchema), required=True,
                             metadata={"description": "Pathways only (empty for lifecycles)."})
    exit_reasons = fields.List(fields.String(), required=True,
                               metadata={"description": "Pathways only (empty for lifecycles)."})
    rejoin_to = fields.String(required=True, allow_none=True, metadata={
        "description": "Where rejoin leads: a level, or 'held' for the level held on leaving."})


WorkflowPage = page_of(WorkflowSummarySchema, "WorkflowPage")


def _definition(name: str) -> Definition:
    found = catalogue().definitions.get(name)
    if found is None:
        raise NotFound(f"There is no workflow named '{name[:64]}'.")
    return found


def _summary(definition: Definition) -> dict[str, Any]:
    return {"name": definition.name, "applies_to": list(definition.applies_to),
            "version": definition.version, "machine": definition.machine,
            "title": definition.title}


def _detail(definition: Definition) -> dict[str, Any]:
    compiled = compile_definition(definition)
    programme = catalogue()
    return {
        **_summary(definition),
        "source_file": definition.source_file,
        "initial": definition.initial,
        "states": list(compiled.states),
        "levels": [{"code": lv.code, "title": lv.title} for lv in definition.levels],
        "transitions": [
            {"trigger": t.trigger, "source": t.source, "dest": t.dest,
             "guards": [{"criterion": g.criterion, "enforcement": g.enforcement,
                         "description": guard_words(g, definition, programme)}
                        for g in t.guards]}
            for t in compiled.transitions],
        "milestones": [{"code": m.code, "level": m.level, "title": m.title,
                        "description": m.description} for m in definition.milestones],
        "exit_reasons": list(definition.exit_reasons),
        "rejoin_to": definition.rejoin_to,
    }


@blp.route("/workflows")
class Workflows(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, WorkflowPage)
    @roles(*ALL_ROLES)
    def get(self, args: dict[str, Any]) -> Any:
        """The workflow definitions in force, by name."""
        definitions = sorted(catalogue().definitions.values(), key=lambda d: d.name)
        return page_of_list([_summary(d) for d in definitions], args["page"],
                            args["page_size"]).as_dict()


@blp.route("/workflows/<string:name>")
class WorkflowByName(MethodView):
    @blp.response(200, WorkflowSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @roles(*ALL_ROLES)
    def get(self, name: str) -> Any:
        """One definition: its states, levels, transitions with their guards, milestones."""
        return _detail(_definition(name))


@blp.route("/workflows/<string:name>/diagram")
class WorkflowDiagram(MethodView):
    @blp.response(200, {"type": "string"}, content_type="text/plain",
                  description="A mermaid stateDiagram-v2, guards written out in notes.",
                  example=DIAGRAM_EXAMPLE)
    @blp.alt_response(404, response="NOT_FOUND")
    @roles(*ALL_ROLES)
    def get(self, name: str) -> Any:
        """The definition as a mermaid state diagram (paste it into any mermaid viewer)."""
        definition = _definition(name)
        return Response(mermaid(definition, catalogue()), mimetype="text/plain")
