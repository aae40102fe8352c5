from typing import Any

import flask

def get_swaggerui_blueprint(
    base_url: str, api_url: str, config: dict[str, Any] | None = ..., **kwargs: Any
) -> flask.Blueprint: ...
