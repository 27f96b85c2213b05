"""URL converters shared by every app, registered once."""

from django.urls import register_converter


class RowIdConverter:
    """A database id: at most 18 digits, so a pasted giant number is a 404, not an overflow."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(RowIdConverter, "row_id")
