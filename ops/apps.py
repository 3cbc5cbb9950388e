from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operations: backup, restore and the verifiers (``verify_ledger``, ``verify_audit``)."""

    name = "ops"
    verbose_name = "运维"
