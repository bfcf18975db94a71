"""deploy/nginx against a real nginx binary (skipped when nginx is not installed).

The production config is rendered with local paths and ports (upstream ``api:8000`` becomes a
small Python backend that echoes what it received), then nginx is started and probed: proxy
headers, request ids, keepalive, WebSocket upgrade, gzip, cache headers, SPA fallback,
ACME webroot, the body size limit and the ``limit_req`` rate limits.
"""

from __future__ import annotations

import gzip
import http.client
import json
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

NGINX_DIR = Path(__file__).resolve().parents[2] / "deploy" / "nginx"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)

pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx is not installed")


class _Echo(BaseHTTPRequestHandler):
    """Answers every request with a JSON echo of its line and headers (padded past gzip_min)."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.headers.get("Upgrade", "").lower() == "websocket":
            self.send_response(101, "Switching Protocols")
            self.send_header("Upgrade", "websocket")
            self.send_header("Connection", "Upgrade")
            self.end_headers()
            self.wfile.flush()
            line = self.rfile.readline()
            self.wfile.write(b"echo:" + line)
            self.wfile.flush()
            self.close_connection = True
            return
        body = json.dumps(
            {
                "path": self.path,
                "version": self.request_version,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "padding": "x" * 4096,
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Proxy:
    port: int
    root: Path

    def get(self, path: str, headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        response.read_body = response.read()  # type: ignore[attr-defined]
        conn.close()
        return response


def _render(tmp: Path, nginx_port: int, backend_port: int) -> Path:
    conf_dir = tmp / "qm"
    conf_dir.mkdir()
    for snippet in NGINX_DIR.glob("*.conf"):
        if snippet.name != "nginx.conf":
            text = snippet.read_text().replace("/etc/nginx/qm/", f"{conf_dir}/")
            text = text.replace("/usr/share/nginx/html", str(tmp / "html"))
            (conf_dir / snippet.name).write_text(text)
    text = (NGINX_DIR / "nginx.conf").read_text()
    replacements = {
        "server api:8000": f"server 127.0.0.1:{backend_port}",
        "/etc/nginx/qm/": f"{conf_dir}/",
        "/var/www/certbot": str(tmp / "certbot"),
        "listen 80 default_server;": f"listen 127.0.0.1:{nginx_port} default_server;",
        "listen [::]:80 default_server;": "",
        "pid /tmp/nginx.pid;": f"pid {tmp}/nginx.pid;",
        "/tmp/nginx-": f"{tmp}/nginx-",
    }
    for old, new in replacements.items():
        assert old in text, f"nginx.conf no longer contains {old!r}; update this test"
        text = text.replace(old, new)
    conf = tmp / "nginx.conf"
    conf.write_text(text)
    return conf


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    assert NGINX is not None
    tmp = tmp_path_factory.mktemp("nginx")
    backend = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    backend.daemon_threads = True
    threading.Thread(target=backend.serve_forever, daemon=True).start()
    port = _free_port()
    conf = _render(tmp, port, backend.server_address[1])

    html = tmp / "html"
    (html / "assets").mkdir(parents=True)
    (html / "index.html").write_text("<!doctype html><title>Quartermaster</title>")
    (html / "assets" / "app.3f9a1c.js").write_text("console.log('qm');" * 200)
    (html / "favicon.ico").write_bytes(b"icon")
    (tmp / "certbot" / ".well-known" / "acme-challenge").mkdir(parents=True)
    (tmp / "certbot" / ".well-known" / "acme-challenge" / "tok").write_text("tok.key")

    # As root, workers would drop to "nobody" and lose access to the private tmp directory.
    user = "user root;" if os.geteuid() == 0 else ""
    check = subprocess.run(
        [NGINX, "-t", "-p", str(tmp), "-c", str(conf), "-g", user],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stderr
    log = (tmp / "nginx.log").open("w")
    process = subprocess.Popen(
        [NGINX, "-p", str(tmp), "-c", str(conf), "-g", f"daemon off; {user}"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            pytest.fail("nginx did not start: " + (tmp / "nginx.log").read_text())
        yield Proxy(port, tmp)
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
        backend.shutdown()


def _echo(response: http.client.HTTPResponse) -> dict[str, object]:
    body = response.read_body  # type: ignore[attr-defined]
    if response.getheader("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    data: dict[str, object] = json.loads(body)
    return data


def test_config_is_valid(proxy: Proxy) -> None:
    assert proxy.get("/nginx-health").read_body == b"ok\n"  # type: ignore[attr-defined]


def test_api_proxy_headers_and_request_id(proxy: Proxy) -> None:
    response = proxy.get("/api/v1/orgs", {"X-Request-ID": "req-abc.123"})
    assert response.status == 200
    echo = _echo(response)
    headers = echo["headers"]
    assert isinstance(headers, dict)
    assert echo["path"] == "/api/v1/orgs"
    assert headers["x-request-id"] == "req-abc.123"
    assert headers["x-forwarded-proto"] == "http"
    assert headers["x-forwarded-for"] == "127.0.0.1"
    # Upstream keepalive: HTTP/1.1 and no "Connection: close" towards the api.
    assert echo["version"] == "HTTP/1.1"
    assert "connection" not in headers


def test_request_id_generated_when_absent(proxy: Proxy) -> None:
    headers = _echo(proxy.get("/health"))["headers"]
    assert isinstance(headers, dict)
    assert len(headers["x-request-id"]) == 32


def test_api_json_is_gzipped(proxy: Proxy) -> None:
    response = proxy.get("/api/v1/items", {"Accept-Encoding": "gzip"})
    assert response.getheader("Content-Encoding") == "gzip"
    assert _echo(response)["path"] == "/api/v1/items"


def test_websocket_upgrade_on_live(proxy: Proxy) -> None:
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
        sock.sendall(
            b"GET /api/v1/orgs/0b6c/live HTTP/1.1\r\nHost: qm.test\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            b"Sec-WebSocket-Version: 13\r\n\r\n"
        )
        head = b""
        while b"\r\n\r\n" not in head:
            head += sock.recv(4096)
        assert head.startswith(b"HTTP/1.1 101"), head
        sock.sendall(b"ping\n")
        rest = head.split(b"\r\n\r\n", 1)[1]
        while not rest.endswith(b"\n"):
            rest += sock.recv(4096)
        assert rest == b"echo:ping\n"


def test_hashed_assets_are_immutable(proxy: Proxy) -> None:
    response = proxy.get("/assets/app.3f9a1c.js", {"Accept-Encoding": "gzip"})
    assert response.status == 200
    cache = response.getheader("Cache-Control") or ""
    assert "immutable" in cache and "max-age=31536000" in cache
    assert response.getheader("Content-Encoding") == "gzip"
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert response.getheader("Content-Security-Policy")
    assert proxy.get("/assets/missing.js").status == 404


@pytest.mark.parametrize("path", ["/", "/index.html", "/orgs/42/inventory"])
def test_index_html_is_revalidated_and_serves_client_routes(proxy: Proxy, path: str) -> None:
    response = proxy.get(path)
    assert response.status == 200
    assert b"Quartermaster" in response.read_body  # type: ignore[attr-defined]
    cache = response.getheader("Cache-Control") or ""
    assert "no-cache" in cache and "immutable" not in cache
    assert response.getheader("X-Frame-Options") == "DENY"


def test_other_static_files_get_a_short_cache(proxy: Proxy) -> None:
    response = proxy.get("/favicon.ico")
    assert response.status == 200
    assert response.getheader("Cache-Control") == "public, max-age=300"


def test_acme_challenge_webroot(proxy: Proxy) -> None:
    response = proxy.get("/.well-known/acme-challenge/tok")
    assert response.status == 200
    assert response.read_body == b"tok.key"  # type: ignore[attr-defined]


@pytest.mark.parametrize(("path", "size"), [
    # Over the 1 MiB the app accepts (QM_MAX_BODY_BYTES): refused by nginx, never proxied.
    ("/api/v1/orgs/1/stock/adjust", 2 * 1024 * 1024),
    # Import uploads have their own, larger limit (QM_MAX_UPLOAD_BYTES, 21 MiB); past it too.
    ("/api/v1/orgs/1/imports", 22 * 1024 * 1024),
])
def test_body_size_limit(proxy: Proxy, path: str, size: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=10)
    conn.putrequest("POST", path)
    conn.putheader("Content-Length", str(size))
    conn.endheaders()
    response = conn.getresponse()
    assert response.status == 413
    conn.close()


def _burst(proxy: Proxy, method: str, path: str, n: int) -> list[http.client.HTTPResponse]:
    """``n`` requests back to back on one keep-alive connection (all from 127.0.0.1, so the
    zones carry over between tests: assert on which zone refused, from nginx's log)."""
    conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=10)
    responses = []
    for _ in range(n):
        conn.request(method, path, body=b"{}" if method == "POST" else None,
                     headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        response.read_body = response.read()  # type: ignore[attr-defined]
        responses.append(response)
    conn.close()
    return responses


def _refused_by(proxy: Proxy, zone: str) -> bool:
    return f'by zone "{zone}"' in (proxy.root / "nginx.log").read_text(errors="replace")


def _assert_rate_limited(response: http.client.HTTPResponse) -> None:
    assert response.status == 429
    assert response.getheader("Content-Type") == "application/problem+json"
    assert int(response.getheader("Retry-After") or "0") >= 1
    body = json.loads(response.read_body)  # type: ignore[attr-defined]
    assert body["status"] == 429 and body["type"] == "/problems/rate-limited"


@pytest.mark.parametrize("path", ["/api/v1/auth/token", "/api/v1/auth/register",
                                  "/api/v1/auth/refresh"])
def test_auth_routes_are_rate_limited(proxy: Proxy, path: str) -> None:
    # One shared zone for the three routes (30/minute, burst 10): a flood is cut short.
    responses = _burst(proxy, "POST", path, 15)
    assert [r.status for r in responses].count(200) <= 11
    _assert_rate_limited(responses[-1])
    assert _refused_by(proxy, "qm_auth")
    # Reads elsewhere are untouched by the auth zone.
    assert proxy.get("/api/v1/items").status == 200


def test_plan_requests_are_rate_limited_but_reading_plans_is_not(proxy: Proxy) -> None:
    url = "/api/v1/orgs/0b6c/plans"
    responses = _burst(proxy, "POST", url, 20)  # 60/minute, burst 10
    _assert_rate_limited(responses[-1])
    # What-if requests share the plan zone (sent at once: it refills one a second).
    _assert_rate_limited(_burst(proxy, "POST", f"{url}/p1/whatif", 1)[0])
    assert _refused_by(proxy, "qm_plans")
    assert [r.status for r in _burst(proxy, "GET", url, 13)] == [200] * 13


def test_writes_are_rate_limited_reads_are_not(proxy: Proxy) -> None:
    url = "/api/v1/orgs/0b6c/stock/adjust"
    responses = _burst(proxy, "POST", url, 150)  # 10/s, burst 40
    _assert_rate_limited(responses[-1])
    assert _refused_by(proxy, "qm_writes")
    assert proxy.get("/api/v1/orgs/0b6c/stock").status == 200


def test_offline_docs_assets_reach_the_api(proxy: Proxy) -> None:
    """/docs loads its Swagger UI files from the API (no CDN); they must not get index.html."""
    response = proxy.get("/static-offline-docs/swagger-ui-bundle.js")
    assert _echo(response)["path"] == "/static-offline-docs/swagger-ui-bundle.js"
