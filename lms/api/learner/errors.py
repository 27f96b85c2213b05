"""How the learner endpoints turn the services' refusals into the one error body.

A service says no with Django's ``ValidationError`` (or ``PermissionDenied``); DRF's handler
would make the first a 500 and drop the message of the second, so the views translate them
here, keeping the message the service wrote in the user's language.

- bad input (what the request said) -> 400 ``validation_error``, attr = the field or
  ``non_field_errors``;
- the state of things forbids it (a full course, a closed attempt, a quiz not passed) ->
  409 ``client_error`` with code ``conflict``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse
from drf_standardized_errors.openapi_serializers import (
    ClientErrorEnum,
    ErrorResponse403Serializer,
    ErrorResponse404Serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, ErrorDetail, ValidationError

NON_FIELD = "non_field_errors"


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("Permintaan ini tidak dapat dijalankan pada keadaan sekarang.")
    default_code = "conflict"


def one_line(exc: DjangoValidationError) -> str:
    """A refusal in one line; a refusal keyed by field names its field's messages only."""
    return " ".join(str(m) for m in exc.messages)


def conflict(exc: DjangoValidationError) -> Conflict:
    return Conflict(one_line(exc))


def invalid(exc: DjangoValidationError, *, fields: Iterable[str] = ()) -> ValidationError:
    """A 400 naming the fields the request has (``fields``); anything else (a model
    constraint, a key the request does not know) is a non-field error."""
    known = set(fields)
    detail: dict[str, list[ErrorDetail]] = {}
    if hasattr(exc, "error_dict"):
        for key, messages in exc.message_dict.items():
            attr = key if key in known else NON_FIELD
            detail.setdefault(attr, []).extend(ErrorDetail(m, code="invalid") for m in messages)
    else:
        detail[NON_FIELD] = [ErrorDetail(m, code="invalid") for m in exc.messages]
    return ValidationError(detail)


def input_error(message: Any, *, attr: str = NON_FIELD) -> ValidationError:
    return ValidationError({attr: [ErrorDetail(str(message), code="invalid")]})


# --- Error bodies for the schema (drf-standardized-errors documents the others) ----------


class ConflictErrorSerializer(serializers.Serializer[Any]):
    code = serializers.ChoiceField(choices=[("conflict", "conflict")])
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True)


class ConflictErrorResponseSerializer(serializers.Serializer[Any]):
    type = serializers.ChoiceField(choices=ClientErrorEnum.choices)
    errors = ConflictErrorSerializer(many=True)  # type: ignore[assignment]


def conflict_response(description: str) -> OpenApiResponse:
    return OpenApiResponse(ConflictErrorResponseSerializer, description=description)


def forbidden_response(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorResponse403Serializer, description=description)


def not_found_response(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorResponse404Serializer, description=description)
