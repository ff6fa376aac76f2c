"""The API's documentation pages, served whole from this server.

Government networks reach no public CDN, so Swagger UI's scripts, styles and icon come from the
``swagger-ui-py`` wheel (which ships the ``swagger-ui-dist`` files) under ``/schema/assets``.
Litestar's other renderers (ReDoc, RapiDoc, Elements) load from a CDN and are left out.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from litestar import Response, Router
from litestar.exceptions import NotFoundException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin, YamlRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.static_files import create_static_files_router
from litestar.status_codes import HTTP_404_NOT_FOUND

DOCS_PATH = "/schema"
ASSETS_PATH = f"{DOCS_PATH}/assets"
SWAGGER_UI_FILES = Path(str(files("swagger_ui") / "static"))


def _problem_not_found(response: Response[object]) -> Response[object]:
    """Litestar answers an unknown ``/schema/…`` page with an HTML 404; every error here is
    problem+json, so turn it into the app's own 404."""
    if response.status_code == HTTP_404_NOT_FOUND:
        raise NotFoundException("No such documentation page.")
    return response


def swagger_ui_plugin() -> SwaggerRenderPlugin:
    return SwaggerRenderPlugin(
        js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
        css_url=f"{ASSETS_PATH}/swagger-ui.css",
        standalone_preset_js_url=f"{ASSETS_PATH}/swagger-ui-standalone-preset.js",
        favicon=f"<link rel='icon' type='image/png' href='{ASSETS_PATH}/favicon-32x32.png'>",
        path="/swagger",
    )


def openapi_config(title: str, version: str) -> OpenAPIConfig:
    assets = create_static_files_router(
        path="/assets", directories=[SWAGGER_UI_FILES], include_in_schema=False
    )
    return OpenAPIConfig(
        title=title,
        version=version,
        path=DOCS_PATH,
        # Swagger UI first: it is also the page at /schema itself.
        render_plugins=[
            swagger_ui_plugin(),
            JsonRenderPlugin(),
            YamlRenderPlugin(path=["/openapi.yaml", "/openapi.yml"]),
        ],
        # The API's description is no secret; the routes it describes are guarded.
        openapi_router=Router(
            path=DOCS_PATH,
            route_handlers=[assets],
            opt={"public": True},
            include_in_schema=False,
            after_request=_problem_not_found,
        ),
        components=Components(
            security_schemes={
                "bearer": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")
            }
        ),
        security=[{"bearer": []}],
    )
