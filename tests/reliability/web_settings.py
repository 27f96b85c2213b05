"""The production settings for a web process under test, but with static files served
from the finders' storage: the manifest (collectstatic) is not what these tests are about."""

from lms.settings import *  # noqa: F403
from lms.settings import STORAGES

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
