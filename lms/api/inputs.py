"""Reading a request's input through a serializer: invalid input raises the 400 that the
error handler turns into the API's one error body; nothing is changed before it."""

from __future__ import annotations

from typing import Any, TypeVar

from rest_framework import serializers
from rest_framework.request import Request

S = TypeVar("S", bound=serializers.Serializer[Any])


def validated(serializer_class: type[S], data: Any, **kwargs: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def validated_query(serializer_class: type[S], request: Request) -> S:
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer
