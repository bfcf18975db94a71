"""Route order: the hot reads are matched first, and reordering domain routers is safe.

FastAPI matches a request against every route registered before its own (twice: the
included router, then inside it to dispatch), so `api.app.DOMAIN_ROUTERS` lists the hot
reads first (docs/performance.md). That is only safe while no route of one domain router
can answer a path meant for another's: the second test keeps it so.
"""

from __future__ import annotations

import re
import uuid

from starlette.routing import compile_path

from api.app import API_PREFIX, DOMAIN_ROUTERS, create_app
from api.core.settings import Settings
from api.items import router as items
from api.locations import router as locations
from api.plans import router as plans
from api.stock import router as stock

HOT_ROUTERS = (items.router, stock.router, locations.router, plans.router)


def _operations_by_router() -> list[tuple[int, str, str]]:
    """(index of the domain router, method, full path) of every operation."""
    out = []
    for index, router in enumerate(DOMAIN_ROUTERS):
        for route in router.routes:
            for sub in getattr(getattr(route, "original_router", None), "routes", [route]):
                for method in getattr(sub, "methods", None) or ():
                    out.append((index, method, API_PREFIX + sub.path))
    return out


def test_hot_routers_come_first() -> None:
    assert DOMAIN_ROUTERS[: len(HOT_ROUTERS)] == HOT_ROUTERS


def test_no_route_of_one_domain_shadows_another_domains_path() -> None:
    operations = _operations_by_router()
    assert len(operations) > 100
    # Every operation the app serves is in one of the domain routers listed here.
    served = {
        (method, path)
        for path, item in create_app(Settings(_env_file=None)).openapi()["paths"].items()
        for method in (m.upper() for m in item)
        if path.startswith(API_PREFIX)
    }
    assert served <= {(m, p) for _, m, p in operations}
    sample = str(uuid.UUID(int=7))
    clashes = []
    for index_a, method_a, path_a in operations:
        concrete = re.sub(r"\{[^}]+\}", sample, path_a)
        for index_b, method_b, path_b in operations:
            if index_a != index_b and method_a == method_b \
                    and compile_path(path_b)[0].match(concrete):
                clashes.append((method_a, path_a, path_b))
    assert clashes == []
