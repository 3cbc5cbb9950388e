from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    """Demo and synthetic data (``seed_demo``, ``generate_synthetic``): every row through the services,
    or bulk-written and sealed into the audit chains."""

    name = "devtools"
    verbose_name = "演示与合成数据"
