"""Settings for benchmark runs: the project's own, plus the framework-floor route (bench/urls.py)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
