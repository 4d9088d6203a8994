"""/docs: Swagger UI for the OpenAPI schema, served from this app (the `swagger-ui-bundle-v2` package's files),
so it works offline and an admin page runs no third-party script. Its start-up script is a static file too, which
the content security policy requires (no inline scripts)."""

from pathlib import Path

import swagger_ui_bundle
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs-assets"

PAGE = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>callintel API</title>
  <link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
  <script src="{ASSETS}/swagger-ui-bundle.js" defer></script>
  <script src="/static/api-docs.js" defer></script>
</head>
<body><div id="swagger-ui" data-openapi-url="/openapi.json"></div></body>
</html>
"""


def api_docs_page() -> HTMLResponse:
    return HTMLResponse(PAGE)


def add_api_docs(app: FastAPI) -> None:
    app.mount(ASSETS, StaticFiles(directory=Path(swagger_ui_bundle.swagger_ui_path)), name="docs-assets")
    app.get("/docs", include_in_schema=False)(api_docs_page)
