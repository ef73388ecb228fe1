"""HTTP only: the app factory, blueprints, schemas, error mapping and auth."""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template
from werkzeug.routing import IntegerConverter

from api import db, errors, intake, logs, openapi, security
from api.schemas import ErrorSchema
from pathway.cli import cli as pathway_cli
from pathway.config import Settings
from pathway.store.db import engine_for
from workflows import load as load_definitions


class BoundedIntegerConverter(IntegerConverter):
    """Ids in URLs fit PostgreSQL's INTEGER: anything larger is simply not found (404)."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app; workflow definitions are validated here, so a bad folder never serves."""
    settings = Settings.from_env()
    app = Flask(__name__, instance_relative_config=False)
    app.url_map.converters["int"] = BoundedIntegerConverter
    logs.init_app(app)
    intake.init_app(app)
    security.init_app(app)
    app.config.update(
        DATABASE_URL=settings.database_url,
        PATHWAY_TIMEZONE=settings.timezone,
        PATHWAY_WORKFLOWS=settings.workflows,
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        PATHWAY_IDEMPOTENCY_DAYS=settings.idempotency_days,
        API_TITLE="Pathway",
        API_VERSION="1.0.0",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        JSON_SORT_KEYS=False,
    )
    if test_config:
        app.config.update(test_config)
    app.extensions["pathway_catalogue"] = load_definitions(app.config["PATHWAY_WORKFLOWS"])

    api = errors.PathwayApi(spec_kwargs={
        "info": {"description": "Co-production pathways (Levels 1-3) for Rehabilitation & "
                                "Recovery services: members, levels, milestones, training, "
                                "accreditation and reports."},
    })
    api.ERROR_SCHEMA = ErrorSchema
    api.init_app(app)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    api.spec.options["security"] = [{"bearerAuth": []}]
    errors.register(app)
    db.init_app(app)

    from api import (
        awards,
        health,
        involvement,
        members,
        milestones,
        pathways,
        privacy,
        proposals,
        reports,
        training,
        units,
        voice,
    )
    from api import workflows as workflow_views

    # After the request line is hooked in (logs above), so a failed audit write is logged as 500.
    privacy.init_app(app)

    for module in (health, units, members, pathways, milestones, training, awards, reports,
                   workflow_views, privacy, involvement, voice,
                   proposals):
        # reports: a blueprint per app, its schemas built from this app's definitions
        blueprint = (reports.blueprint(app.extensions["pathway_catalogue"])
                     if module is reports else module.blp)
        api.register_blueprint(blueprint, url_prefix="/api/v1")

    # The same commands through Flask's CLI: `flask --app api pathway check`.
    app.cli.add_command(pathway_cli, "pathway")

    # The pages people use in a browser (their own CSRF, headers, session cookie and errors).
    from api import pages

    pages.init_app(app)

    @app.get("/api/v1/docs")
    def api_docs() -> str:
        """The OpenAPI document as a page to read, served from here (nothing from elsewhere)."""
        return render_template("api_docs.html", **openapi.page(api.document()))

    engine_for(app.config["DATABASE_URL"])
    return app

