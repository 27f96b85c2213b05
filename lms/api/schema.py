"""The OpenAPI generator: drf-standardized-errors' (every error response described in the
one error body) plus what it cannot see on its own.

- A view reading its query string through a serializer names it in
  ``query_serializer_class``: the serializer's fields become the operation's parameters,
  and the errors they can raise are listed in its 400 response.
- A paginated list can answer 400 on ``page_size``."""

from __future__ import annotations

from typing import Any

from drf_standardized_errors.openapi import AutoSchema as StandardizedAutoSchema


class AutoSchema(StandardizedAutoSchema):
    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        query = getattr(self.view, "query_serializer_class", None)
        if query is not None and self.method == "GET":
            parameters.append(query)
        return parameters

    def _get_extra_validation_errors(self) -> dict[str, set[str]]:
        errors = dict(super()._get_extra_validation_errors())
        if self.method != "GET":
            return errors
        query = getattr(self.view, "query_serializer_class", None)
        if query is not None:
            for name, field in query().fields.items():
                errors.setdefault(name, set(field.error_messages))
        if self._is_list_view() and self._get_paginator() is not None:
            errors.setdefault("page_size", {"invalid"})
        return errors


def empty_query_means_absent(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular hook: say in the schema what the API does with ``?status=``. Like an
    HTML form's empty field, an optional query parameter sent empty counts as not sent
    (DRF serializers and django-filter both read it so)."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query" and not parameter.get("required"):
                    parameter["allowEmptyValue"] = True
    return result
