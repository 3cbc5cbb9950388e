"""The API's body parsers: the one text-cleaning step (``core.text.tree_problems``) on every body.

A NUL (PostgreSQL refuses it in text; SQLite would store it), a lone surrogate such as JSON
``"\\ud800"`` (not encodable as UTF-8: a 500 at the first ``encode``), another control character or a
Unicode non-character anywhere in a body — keys included — is a 400 naming the field
(``{"contract_no": ["第 2 个字符（U+0000）…"]}``), before any view, service or database sees it.
"""

from django.http import QueryDict
from rest_framework import parsers

from core.errors import Invalid
from core.text import tree_problems


def refuse_bad_text(data: object) -> None:
    """``Invalid`` keyed by field (dotted path into the body) when ``data`` holds a forbidden character."""
    if isinstance(data, QueryDict):
        data = {key: values[0] if len(values) == 1 else values for key, values in data.lists()}
    problems = tree_problems(data)
    if problems:
        errors = {field: messages[:1] for field, messages in problems.items()}
        raise Invalid(next(iter(errors.values()))[0], errors=errors, code="bad_character")


class CleanJSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        refuse_bad_text(data)
        return data


class CleanFormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        refuse_bad_text(data)
        return data


class CleanMultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        refuse_bad_text(result.data)
        refuse_bad_text({key: [str(f.name) for f in files] for key, files in result.files.lists()})
        return result
