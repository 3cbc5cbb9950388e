from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app stands on: domain errors, the money module, text cleaning. Imports no other app."""

    name = "core"
    verbose_name = "核心"
