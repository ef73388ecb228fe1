"""The proposals board, "you said, we did": every role reads it and may raise a proposal;
coordinators and admins move cards Red / Amber / Green with a note and record the forums'
decisions."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from api.auth import WRITERS
from api.context import catalogue, zone
from api.pages import pages
from api.pages.session import current_caller, db_session, signed_in
from pathway import clock
from pathway.errors import GuardsUnmet, InvalidInput, NotFound, PathwayError, VersionConflict
from pathway.people import proposals
from workflows.vocabulary import AMBER, GREEN, NOT_ADOPTED, RAISED, RED

BOARD_SIZE = 200
# The board's columns in words: (heading, hint). Their tags' colours are the template's.
COLUMNS: dict[str, tuple[str, str]] = {
    RAISED: ("Raised", "New: not looked at yet."),
    RED: ("Red", "Not now: the note says why."),
    AMBER: ("Amber", "Being worked on."),
    GREEN: ("Green", "Done: you said, we did."),
}
NOT_ADOPTED_WORDS = "Not adopted"
MOVE_WORDS = {RED: "Move to red", AMBER: "Move to amber", GREEN: "Move to green",
              NOT_ADOPTED: "Mark as not adopted"}
TRIGGER_WORDS = {**{state: f"Moved to {words[0].lower()}" for state, words in COLUMNS.items()},
                 NOT_ADOPTED: "Not adopted"}
DONE = {"raised": "Your proposal is on the board.", "moved": "The proposal was moved.",
        "decision": "The forum's decision was recorded."}


def _words(state: str) -> str:
    if state in COLUMNS:
        return COLUMNS[state][0]
    return NOT_ADOPTED_WORDS if state == NOT_ADOPTED else state.replace("_", " ").capitalize()


@pages.get("/proposals")
@signed_in()
def proposals_page(errors: dict[str, str] | None = None, refusal: str | None = None,
                   status: int = 200, raised: dict[str, Any] | None = None,
                   open_card: int | None = None) -> tuple[str, int]:
    caller = current_caller()
    session = db_session()
    units = proposals.board_units(session, caller)
    chosen = request.args.get("unit") or ""
    if chosen and chosen not in {u.code for u in units}:
        abort(404)
    page = proposals.board(session, caller, unit=chosen or None, page_size=BOARD_SIZE)
    cards = proposals.views(session, catalogue(), page.items)
    definition = proposals.board_definition(catalogue())
    columns = [(state, *COLUMNS[state], [c for c in cards if c["state"] == state])
               for state in definition.states if state in COLUMNS]
    return render_template(
        "pages/proposals.html", units=units, chosen=chosen, columns=columns,
        not_adopted=[c for c in cards if c["state"] == NOT_ADOPTED],
        others=[c for c in cards if c["state"] not in COLUMNS and c["state"] != NOT_ADOPTED],
        total=page.total, shown=len(cards), may_move=caller.role in WRITERS,
        move_words=lambda t: MOVE_WORDS.get(t, f"Move to {t.replace('_', ' ')}"),
        event_words=_event_words, state_words=_words,
        decision_words=proposals.DECISION_WORDS, decisions=proposals.DECISIONS,
        errors=errors or {}, refusal=refusal, raised=raised or {}, open_card=open_card,
        done=DONE.get(request.args.get("done", "")), today=clock.today(zone()).isoformat()), status


def _event_words(event: dict[str, Any]) -> str:
    if event["decision"]:
        return f"{event['forum']}: {proposals.DECISION_WORDS.get(event['decision'], '')}"
    if event["from_state"] is None:
        return "Raised"
    return TRIGGER_WORDS.get(event["trigger"], f"Moved to {_words(event['to_state']).lower()}")


def _back(done: str) -> Response:
    return redirect(url_for("pages.proposals_page", unit=request.form.get("board") or None,
                            done=done))


@pages.post("/proposals")
@signed_in()
def raise_proposal() -> Response | tuple[str, int]:
    form = request.form
    title, detail, unit = form.get("title", ""), form.get("detail", ""), form.get("unit", "")
    anonymous = form.get("anonymous") == "yes"
    entered: dict[str, Any] = {"title": title, "detail": detail, "unit": unit,
                               "anonymous": anonymous}
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = "Enter a title for your proposal"
    if not detail.strip():
        errors["detail"] = "Say what you propose and why"
    if not errors:
        try:
            proposals.raise_proposal(db_session(), catalogue(), current_caller(),
                                     unit=unit or None, title=title, detail=detail,
                                     anonymous=anonymous)
        except InvalidInput as error:
            errors.update({field: messages[0] for field, messages in error.errors.items()})
        except NotFound:
            errors["unit"] = "Choose one of your units or the whole service"
        except PathwayError as error:
            db_session().rollback()
            return proposals_page(refusal=f"Nothing was raised: {error.message} You can "
                                          "still raise it anonymously.", status=409,
                                  raised=entered)
    if errors:
        db_session().rollback()
        return proposals_page(errors=errors, status=422, raised=entered)
    db_session().commit()
    return _back("raised")


def _version() -> int | None:
    text = request.form.get("version", "")
    return int(text) if text.isdigit() else None


@pages.post("/proposals/<int:proposal_id>/move")
@signed_in(*WRITERS)
def move_proposal(proposal_id: int) -> Response | tuple[str, int]:
    session = db_session()
    try:
        proposals.move(session, catalogue(), current_caller(), proposal_id,
                       trigger=request.form.get("trigger", ""),
                       note=request.form.get("note"), expected_version=_version())
    except NotFound:
        abort(404)
    except GuardsUnmet:
        session.rollback()
        return proposals_page(errors={f"note-{proposal_id}": "Write a note: it is what the "
                                                             "board shows people"},
                              status=422, open_card=proposal_id)
    except VersionConflict:
        session.rollback()
        return proposals_page(refusal="Nothing was changed: the proposal has changed since "
                                      "you opened it. It is shown below as it is now.",
                              status=409, open_card=proposal_id)
    except PathwayError as error:
        session.rollback()
        return proposals_page(refusal=f"Nothing was changed: {error.message}", status=409,
                              open_card=proposal_id)
    session.commit()
    return _back("moved")


@pages.post("/proposals/<int:proposal_id>/forum-decision")
@signed_in(*WRITERS)
def forum_decision(proposal_id: int) -> Response | tuple[str, int]:
    session = db_session()
    form = request.form
    errors: dict[str, str] = {}
    on: date | None = None
    try:
        on = date.fromisoformat(form.get("on", ""))
    except ValueError:
        errors[f"on-{proposal_id}"] = "Enter the date of the decision, for example 2026-03-02"
    if form.get("decision") not in proposals.DECISIONS:
        errors[f"decision-{proposal_id}"] = "Choose the forum's decision"
    if not form.get("forum", "").strip():
        errors[f"forum-{proposal_id}"] = "Enter which forum decided"
    if on is not None and not errors:
        try:
            proposals.record_forum_decision(
                session, current_caller(), proposal_id, forum=form.get("forum", ""), on=on,
                decision=form.get("decision", ""), note=form.get("note"), zone=zone(),
                expected_version=_version())
        except NotFound:
            abort(404)
        except InvalidInput as error:
            errors.update({f"{field}-{proposal_id}": messages[0]
                           for field, messages in error.errors.items()})
        except VersionConflict:
            session.rollback()
            return proposals_page(refusal="Nothing was recorded: the proposal has changed "
                                          "since you opened it. It is shown below as it is now.",
                                  status=409, open_card=proposal_id)
    if errors:
        session.rollback()
        ordered = {key: errors[key] for key in (f"forum-{proposal_id}", f"on-{proposal_id}",
                                                f"decision-{proposal_id}") if key in errors}
        return proposals_page(errors=ordered, status=422, open_card=proposal_id)
    session.commit()
    return _back("decision")
