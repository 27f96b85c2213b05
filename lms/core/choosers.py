"""Snippet choosers without a "create" tab: Wagtail still routes their create view, which
answers a POST with a 500 (it has no form to validate). Ours answer 404 instead."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from wagtail.snippets.views.chooser import SnippetChooserViewSet, SnippetCreateView


class CreateOnlyWithAForm(SnippetCreateView):
    # After Wagtail's permission check (dispatch): who may not create still hears so.
    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.get_creation_form_class() is None:
            raise Http404
        return super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.get_creation_form_class() is None:
            raise Http404
        return super().post(request, *args, **kwargs)


class ChooserViewSet(SnippetChooserViewSet):
    create_view_class = CreateOnlyWithAForm
