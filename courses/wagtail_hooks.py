"""Admin hooks that keep course authoring permissions in step (see ``courses/authoring.py``)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from wagtail import hooks
from wagtail.admin import messages
from wagtail.models import Page

from .authoring import authoring_setup, course_groups_prune, course_instructors_sync, may_add_below
from .models import CatalogueIndexPage, CoursePage


def _is(page: Page, model: type[Page]) -> bool:
    specific_class = page.specific_class
    return specific_class is not None and issubclass(specific_class, model)


def _sync_if_course(page: Page) -> None:
    if _is(page, CoursePage):
        course_instructors_sync(page)


def _deny(request: HttpRequest) -> HttpResponse:
    if request.headers.get("x-requested-with") == "XMLHttpRequest":
        raise PermissionDenied
    messages.error(request, _("Modul hanya dapat ditambahkan ke kursus yang boleh Anda sunting."))
    return redirect("wagtailadmin_home")


@hooks.register("after_create_page")
def authoring_after_create_page(request: HttpRequest, page: Page) -> None:
    if _is(page, CatalogueIndexPage):
        authoring_setup()
    else:
        _sync_if_course(page)


@hooks.register("after_edit_page")
def authoring_after_edit_page(request: HttpRequest, page: Page) -> None:
    # Saving a draft stores a draft course's instructors at once, but a live course's only
    # when it is published, which the page_published receiver below sees (and this hook
    # would not: a workflow approval runs no admin hook). Autosave calls this often.
    if not page.live:
        _sync_if_course(page)


@hooks.register("after_copy_page")
def authoring_after_copy_page(request: HttpRequest, page: Page, new_page: Page) -> None:
    if _is(new_page, CatalogueIndexPage):
        authoring_setup()
    else:
        _sync_if_course(new_page)


@hooks.register("after_delete_page")
def authoring_after_delete_page(request: HttpRequest, page: Page) -> None:
    course_groups_prune()


@hooks.register("after_bulk_action")
def authoring_after_bulk_action(
    request: HttpRequest, action_type: str, objects: Any, action: Any
) -> None:
    if action_type == "delete":
        course_groups_prune()


@hooks.register("before_create_page")
def authoring_before_create_page(
    request: HttpRequest, parent_page: Page, page_class: type[Page]
) -> HttpResponse | None:
    return None if may_add_below(user=request.user, parent=parent_page) else _deny(request)


@hooks.register("before_copy_page")
def authoring_before_copy_page(request: HttpRequest, page: Page) -> HttpResponse | None:
    # The destination is only known once the copy form is posted.
    parent_id = request.POST.get("new_parent_page", "") if request.method == "POST" else ""
    parent = Page.objects.filter(pk=parent_id).first() if parent_id.isdigit() else None
    if parent is None or may_add_below(user=request.user, parent=parent):
        return None
    return _deny(request)


@hooks.register("before_move_page")
def authoring_before_move_page(
    request: HttpRequest, page_to_move: Page, destination: Page
) -> HttpResponse | None:
    return None if may_add_below(user=request.user, parent=destination) else _deny(request)


@hooks.register("before_bulk_action")
def authoring_before_bulk_action(
    request: HttpRequest, action_type: str, objects: Any, action: Any
) -> HttpResponse | None:
    if action_type != "move":
        return None
    destination = action.cleaned_form.cleaned_data["chooser"]
    return None if may_add_below(user=request.user, parent=destination) else _deny(request)
