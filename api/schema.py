"""drf-spectacular hooks: document what every paginated list, and every operation with query
parameters, can answer besides its own responses."""


def document_pagination_errors(result, generator, request, public):
    """A page number past the end (or not a number) is a 404 on every paginated list (DRF's paginator);
    a control character in any query parameter is a 400 keyed by it (``api.middleware``)."""
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            params = {p.get("name") for p in operation.get("parameters", []) if p.get("in") == "query"}
            if params:
                operation.setdefault("responses", {}).setdefault("400", {
                    "description": "查询参数无效（如含控制字符），按参数给出错误 / invalid query parameter",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ValidationError"}}},
                })
            if "page" in params:
                operation.setdefault("responses", {}).setdefault("404", {
                    "description": "页码无效或超出范围 / page out of range",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                })
    return result
