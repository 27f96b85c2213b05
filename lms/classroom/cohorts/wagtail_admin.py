"""Wagtail admin for this part."""
