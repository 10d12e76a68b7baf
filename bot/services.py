"""Wiring: settings, classifier, incident log and pipeline, built the same way everywhere."""

from __future__ import annotations

from pathlib import Path

from classifiers.classifier import ClassGuardClassifier
from classifiers.embedder import shared_embedder
from classifiers.heads import HeadsMissing
from classifiers.judgement import Roster
from config.loader import ConfigError, load_roster, load_settings
from config.schema import Settings
from moderation.pipeline import Pipeline
from storage.db import make_engine
from storage.migrate import upgrade
from storage.repository import IncidentLog


class SetupError(Exception):
    """ClassGuard cannot start; the message says what to fix, in one line."""


def settings_from(path: Path | None) -> Settings:
    """The school's settings, or a :class:`SetupError` naming the file and field."""
    try:
        return load_settings(path)
    except ConfigError as exc:
        raise SetupError(str(exc)) from None


def roster_from(path: Path | None) -> Roster | None:
    """A ``--roster`` file as the classifier's roster."""
    if path is None:
        return None
    try:
        roster = load_roster(path)
    except ConfigError as exc:
        raise SetupError(str(exc)) from None
    return Roster(tuple(roster.pupils), tuple((s.name, s.role) for s in roster.staff))


def classifier_for(settings: Settings) -> ClassGuardClassifier:
    """The classifier with the school's threshold overrides, precision and optional Detoxify
    model."""
    extra = None
    detox = settings.classifier
    if detox.detoxify_checkpoint is not None or detox.detoxify_model is not None:
        from classifiers.detoxify_backend import DetoxifyScorer, DetoxifyUnavailable

        try:
            extra = DetoxifyScorer(
                checkpoint=detox.detoxify_checkpoint, model_type=detox.detoxify_model
            )
        except DetoxifyUnavailable as exc:
            raise SetupError(str(exc)) from None
    try:
        return ClassGuardClassifier(
            embedder=shared_embedder(detox.precision), thresholds=detox.thresholds, extra=extra
        )
    except HeadsMissing as exc:
        raise SetupError(str(exc)) from None


def open_log(url: str | None) -> IncidentLog:
    """The incident log at ``url`` (or ``DATABASE_URL``), migrated to the current schema."""
    try:
        engine = make_engine(url)
        upgrade(engine)
    except Exception as exc:  # any driver or URL problem becomes one clear line
        raise SetupError(f"cannot open the incident log database: {exc}".splitlines()[0]) from None
    return IncidentLog(engine)


def pipeline_for(settings: Settings, url: str | None) -> Pipeline:
    """A ready pipeline for the school."""
    return Pipeline(settings, classifier_for(settings), open_log(url))
