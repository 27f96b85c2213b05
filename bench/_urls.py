"""The project's URLs plus a bare view: the floor every page is measured against."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def bare_view(request: HttpRequest) -> HttpResponse:
    # No database, no template: what is left is gunicorn, WSGI and the middleware stack,
    # which every real page pays as well.
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [
    path("bench/bare/", bare_view, name="bench-bare"),
    path("", include("lms.urls")),
]
