"""The README's production settings (config.settings_production) plus the floor routes (bench/urls.py):
what gunicorn serves under bench/run.py. Plain HTTP on loopback, so run.py turns the TLS redirect off
(DJANGO_SECURE_SSL_REDIRECT=0), as a TLS-terminating proxy in front would make it moot."""

from config.settings_production import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
