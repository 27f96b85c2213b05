"""The project's settings, with the benchmark URLconf; used by ``bench.catalogue`` and the
gunicorn it starts (``DJANGO_SETTINGS_MODULE=bench._settings``)."""

from lms.settings import *  # noqa: F403
from lms.settings import STORAGES

ROOT_URLCONF = "bench._urls"
# The server is addressed as 127.0.0.1:<port>; the in-process test client as "testserver".
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
# Without DEBUG the manifest storage needs a collectstatic run, and benchmarks fetch HTML
# only; in production the manifest lookup is one dict read, as cheap as this join.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
