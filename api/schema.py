"""drf-spectacular hooks: document what every paginated list can answer besides 200."""


def document_pagination_errors(result, generator, request, public):
    """A page number past the end (or not a number) is a 404 on every paginated list (DRF's paginator)."""
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            params = {p.get("name") for p in operation.get("parameters", []) if p.get("in") == "query"}
            if "page" in params:
                operation.setdefault("responses", {}).setdefault("404", {
                    "description": "页码无效或超出范围 / page out of range",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                })
    return result
