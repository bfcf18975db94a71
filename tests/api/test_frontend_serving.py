"""The built UI is served at /, client-side routes fall back to index.html; /docs is local."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.core.db import Database
from api.core.settings import Settings

REPO = Path(__file__).resolve().parents[2]
INDEX = (
    '<!doctype html><html><body><div id="root"></div>'
    '<script src="/assets/app-3f2a.js"></script></body></html>'
)


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text(INDEX)
    (root / "assets" / "app-3f2a.js").write_text("console.log('qm')")
    (root / "favicon.svg").write_text("<svg/>")
    (tmp_path / "secret.txt").write_text("outside the build")
    return root


def _client(settings: Settings, database: Database, dist: Path) -> TestClient:
    app = create_app(settings.model_copy(update={"frontend_dist": dist}), database)
    return TestClient(app)


@pytest.fixture
def ui(settings: Settings, database: Database, dist: Path) -> Iterator[TestClient]:
    with _client(settings, database, dist) as client:
        yield client


def test_index_is_served_at_root_and_never_cached(ui: TestClient) -> None:
    response = ui.get("/")
    assert response.status_code == 200
    assert response.text == INDEX
    assert response.headers["cache-control"] == "no-cache"


def test_client_side_routes_fall_back_to_index(ui: TestClient) -> None:
    for path in ("/orgs/0b6f1f5e/plans/123", "/signin", "/account"):
        response = ui.get(path)
        assert response.status_code == 200, path
        assert response.text == INDEX, path


def test_hashed_assets_are_served_with_long_cache(ui: TestClient) -> None:
    response = ui.get("/assets/app-3f2a.js")
    assert response.status_code == 200
    assert response.text == "console.log('qm')"
    assert "immutable" in response.headers["cache-control"]
    assert ui.get("/favicon.svg").text == "<svg/>"


def test_missing_asset_is_404_not_the_app_shell(ui: TestClient) -> None:
    assert ui.get("/assets/app-old.js").status_code == 404


def test_files_outside_the_build_are_not_served(ui: TestClient) -> None:
    response = ui.get("/..%2Fsecret.txt")
    assert "outside the build" not in response.text


def test_api_paths_keep_problem_documents(ui: TestClient) -> None:
    response = ui.get("/api/v1/no-such-route")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert ui.get("/health").json()["status"] in ("ok", "down")


def test_docs_work_offline_from_local_assets(ui: TestClient) -> None:
    page = ui.get("/docs")
    assert page.status_code == 200
    assert "cdn.jsdelivr.net" not in page.text and "unpkg.com" not in page.text
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        url = f"/static-offline-docs/{asset}"
        assert url in page.text
        response = ui.get(url)
        assert response.status_code == 200 and len(response.content) > 10_000
    assert ui.get("/openapi.json").json()["info"]["title"] == "Quartermaster API"


def test_root_explains_how_to_build_when_the_ui_is_missing(
    settings: Settings, database: Database, tmp_path: Path
) -> None:
    with _client(settings, database, tmp_path / "nothing-here") as client:
        response = client.get("/")
        assert response.status_code == 503
        assert "make run" in response.text and "/docs" in response.text


def test_committed_frontend_schema_matches_the_app(app: object) -> None:
    """frontend/openapi.json (from which the UI's types are generated) must not drift.

    Regenerate with ``make openapi`` (writes the file and runs ``npm run gen:api``).
    """
    committed = json.loads((REPO / "frontend" / "openapi.json").read_text())
    live = app.openapi()  # type: ignore[attr-defined]
    stale = "frontend/openapi.json is stale: run `make openapi`"
    assert committed == json.loads(json.dumps(live)), stale


def test_ui_pages_may_load_their_own_scripts_and_styles(ui: TestClient) -> None:
    """The API's default CSP (``default-src 'none'``) would leave the UI a blank page."""
    for path in ("/", "/orgs/x/inventory"):
        csp = ui.get(path).headers["content-security-policy"]
        assert "script-src 'self'" in csp and "style-src 'self'" in csp, csp
        assert "default-src 'none'" not in csp
    assert "default-src 'none'" in ui.get("/health").headers["content-security-policy"]


def test_routes_added_later_are_not_shadowed_by_the_ui(
    settings: Settings, database: Database, dist: Path
) -> None:
    app = create_app(settings.model_copy(update={"frontend_dist": dist}), database)

    @app.get("/api/v1/test/late")
    def late() -> dict[str, str]:
        return {"late": "yes"}

    with TestClient(app) as client:
        assert client.get("/api/v1/test/late").json() == {"late": "yes"}
        assert client.post("/orgs/x").status_code in (404, 405)
