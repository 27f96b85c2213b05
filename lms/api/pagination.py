from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """``?page=N&page_size=M``: a client may ask for fewer or more rows, never more than
    200, so one call cannot pull a whole Pemda."""

    page_size_query_param = "page_size"
    max_page_size = 200
