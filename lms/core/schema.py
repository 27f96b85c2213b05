def only_api_paths(endpoints):
    """drf-spectacular hook: describe Sinau's /api/ only, not Wagtail's internal admin API."""
    return [ep for ep in endpoints if ep[0].startswith("/api/")]
