from django.urls import include, path  # noqa: F401

import lms.core.converters  # noqa: F401  (registers row_id)

from .akpk import urls as akpk_urls
from .dictionary import urls as dictionary_urls
from .insight import urls as insight_urls
from .proposals import urls as proposals_urls

app_name = "planning"

urlpatterns = (
    dictionary_urls.urlpatterns
    + akpk_urls.urlpatterns
    + proposals_urls.urlpatterns
    + insight_urls.urlpatterns
)
