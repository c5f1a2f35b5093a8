from typing import Any

from rest_framework import renderers


class MarkupSafeJSONRenderer(renderers.JSONRenderer):
    """JSON in which "<" and ">" are always escaped (\\u003C, \\u003E): input
    echoed in a value (an error message, a client name) can never read as
    markup, even if something renders the body as HTML. Outside strings JSON
    has no "<" or ">", and UTF-8 never uses these bytes inside other characters."""

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context=None):
        rendered = super().render(data, accepted_media_type, renderer_context)
        return rendered.replace(b"<", b"\\u003C").replace(b">", b"\\u003E")


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    """The browsable API for staff in a browser. Lists filter through their query
    parameters, not DRF filter backends, so there is no filter form to build."""

    def get_filter_form(self, data: Any, view: Any, request: Any) -> None:
        return None
