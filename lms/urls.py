from django.conf import settings
from django.urls import include, path, re_path
from django.views.i18n import set_language
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from lms.api import pages as api_pages
from lms.core.views import healthz

urlpatterns = [
    # First: every learner watching sends a heartbeat every ten seconds and fetches a
    # segment every six, so these resolve before the patterns below are tried.
    path("video/", include("lms.videos.urls")),
    path("healthz", healthz, name="healthz"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("api/v1/", include("lms.api.urls")),
    path("akun/token-api/", api_pages.api_tokens, name="api_tokens"),
    path(
        "akun/token-api/<str:token_key>/cabut/",
        api_pages.api_token_revoke,
        name="api_token_revoke",
    ),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("lms.people.urls")),
    # Single sign-on: always routed, answering 404 while SSO is off (see lms/people/sso.py).
    path("oidc/", include("lms.people.sso")),
    path("", include("lms.learning.urls")),
    path("kuis/", include("lms.assessments.urls")),
    path("", include("lms.certificates.urls")),
    path("laporan/", include("lms.reports.urls")),
    path("", include("lms.planning.urls")),
    path("", include("lms.interop.urls")),
    path("", include("lms.classroom.urls")),
]

if not settings.AWS_STORAGE_BUCKET_NAME:
    # Embedded default: public images are served from media/; imports and other private
    # files under media/ are never served. On S3 the storage serves images itself.
    urlpatterns += [
        re_path(
            r"^media/(?P<path>(?:original_images|images)/.+)$",
            serve,
            {"document_root": settings.MEDIA_ROOT},
        )
    ]

urlpatterns += [path("", include(wagtail_urls))]
