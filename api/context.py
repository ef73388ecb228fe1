"""What every view needs from the app: the catalogue, the time zone, the caller's actor."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import current_app

from workflows.schema import Catalogue


def catalogue() -> Catalogue:
    return current_app.extensions["pathway_catalogue"]


def zone() -> ZoneInfo:
    return current_app.config["PATHWAY_TIMEZONE"]
