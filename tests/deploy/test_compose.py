"""Drift checks for deploy/: compose files, the production env sample, Dockerfile, nginx mounts.

Docker is not needed: the YAML is parsed with PyYAML and ``${VAR:-default}`` substitution is
done here the way Compose does it, so the environment the containers would get can be checked
against ``api.core.settings.Settings`` itself.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from api.core.settings import DEFAULT_MAX_BODY_BYTES, DEV_SECRET_KEY, Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "docker-compose.yml"
OVERRIDE = DEPLOY / "docker-compose.override.example.yml"
ENV_SAMPLE = ROOT / ".env.sample"
PROD_SAMPLE = DEPLOY / ".env.production.sample"
DOCKERFILE = DEPLOY / "Dockerfile"

APP_SERVICES = ("migrate", "api", "worker")
VAR = re.compile(r"\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>(?:[^{}]|\{[^{}]*\})*))?\}")


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict)
    return data


def _env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}: not KEY=VALUE: {line!r}"
        assert key not in values, f"{path.name}: {key} is set twice"
        values[key] = value
    return values


def _qm_vars(path: Path) -> set[str]:
    return {k for k in _env_file(path) if k.startswith("QM_")}


def _interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose-style ``${VAR}``, ``${VAR:-default}``, ``${VAR:?error}`` substitution."""
    if isinstance(value, dict):
        return {k: _interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def sub(m: re.Match[str]) -> str:
        name, op, arg = m["name"], m["op"], m["arg"]
        current = env.get(name)
        if op in (":-", "-"):
            unset = current is None or (op == ":-" and current == "")
            return _interpolate(arg, env) if unset else str(current)
        if op in (":?", "?"):
            if current is None or (op == ":?" and current == ""):
                raise LookupError(f"{name}: {arg}")
            return current
        return current or ""

    return VAR.sub(sub, value.replace("$$", "\0")).replace("\0", "$")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return _load(COMPOSE)


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    services: dict[str, Any] = compose["services"]
    return services


@pytest.fixture(scope="module")
def resolved(services: dict[str, Any]) -> dict[str, Any]:
    """The services as Compose would run them with the production sample as deploy/.env."""
    result: dict[str, Any] = _interpolate(services, _env_file(PROD_SAMPLE))
    return result


def _settings_vars() -> set[str]:
    return {f"QM_{name.upper()}" for name in Settings.model_fields}


# --- the production env sample ------------------------------------------------------------------


def test_env_sample_lists_every_setting() -> None:
    """.env.sample is the reference the production sample copies; it must cover Settings."""
    assert _qm_vars(ENV_SAMPLE) == _settings_vars()


def test_production_sample_has_every_qm_variable() -> None:
    missing = _qm_vars(ENV_SAMPLE) - _qm_vars(PROD_SAMPLE)
    assert not missing, f"add to deploy/.env.production.sample: {sorted(missing)}"
    unknown = _qm_vars(PROD_SAMPLE) - _qm_vars(ENV_SAMPLE)
    assert not unknown, f"not application settings (typo?): {sorted(unknown)}"


def test_production_sample_has_production_values() -> None:
    env = _env_file(PROD_SAMPLE)
    assert env["QM_ENVIRONMENT"] == "production"
    assert env["QM_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert "@postgres:5432/" in env["QM_DATABASE_URL"]
    assert env["QM_REDIS_URL"].startswith("redis://")
    assert env["QM_SECRET_KEY"] != DEV_SECRET_KEY
    assert "CHANGE_ME" in env["QM_SECRET_KEY"]
    # The database URL and the postgres container must use the same credentials.
    assert f"{env['POSTGRES_USER']}:{env['POSTGRES_PASSWORD']}@" in env["QM_DATABASE_URL"]
    assert env["QM_DATABASE_URL"].endswith("/" + env["POSTGRES_DB"])


def test_every_compose_variable_is_documented_in_the_production_sample() -> None:
    used = {m["name"] for m in VAR.finditer(COMPOSE.read_text().replace("$$", ""))}
    missing = used - set(_env_file(PROD_SAMPLE))
    assert not missing, f"docker-compose.yml reads {sorted(missing)}; add them to the sample"


# --- docker-compose.yml -------------------------------------------------------------------------


def test_services_present(services: dict[str, Any]) -> None:
    assert {"postgres", "redis", "migrate", "api", "worker", "nginx"} <= set(services)
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")
    # Tooling services never start with a plain `up`.
    for name in ("certbot", "backup"):
        assert services[name].get("profiles"), name


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_services_get_every_setting(services: dict[str, Any], service: str) -> None:
    env = services[service]["environment"]
    assert isinstance(env, dict)
    missing = (_settings_vars() | _qm_vars(ENV_SAMPLE)) - set(env)
    assert not missing, f"{service} does not set {sorted(missing)}"


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_environment_is_valid_settings(
    services: dict[str, Any], service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the sample's values, the container environment builds a production Settings."""
    env = _interpolate(services[service]["environment"], _env_file(PROD_SAMPLE))
    for key in list(env):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, str(value))
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.environment == "production"
    assert settings.database_url.startswith("postgresql+psycopg://")
    assert "@postgres:5432/" in settings.database_url
    assert settings.redis_url == "redis://redis:6379/0"
    assert settings.host == "0.0.0.0"
    assert settings.port == 8000
    assert settings.secret_key != DEV_SECRET_KEY


@pytest.mark.parametrize("service", APP_SERVICES)
def test_secrets_have_no_defaults(services: dict[str, Any], service: str) -> None:
    env = services[service]["environment"]
    for key in ("QM_DATABASE_URL", "QM_SECRET_KEY"):
        with pytest.raises(LookupError):
            _interpolate(env[key], {})


def test_image_and_commands(services: dict[str, Any]) -> None:
    for name, command in (("migrate", ["migrate"]), ("api", ["serve"]), ("worker", ["worker"])):
        svc = services[name]
        assert svc["command"] == command, name
        assert svc["build"]["dockerfile"] == "deploy/Dockerfile"
        assert (COMPOSE.parent / svc["build"]["context"] / svc["build"]["dockerfile"]).is_file()
    assert len({services[s]["image"] for s in APP_SERVICES}) == 1, "one image for every role"


def test_healthchecks(services: dict[str, Any]) -> None:
    for name in ("postgres", "redis", "api", "nginx"):
        check = services[name].get("healthcheck", {})
        assert check.get("test") and not check.get("disable"), name
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert "/health" in " ".join(services["api"]["healthcheck"]["test"])
    # These roles do not serve HTTP: the image's /health probe must be switched off.
    for name in ("migrate", "worker"):
        assert services[name]["healthcheck"] == {"disable": True}, name


def test_start_order(services: dict[str, Any]) -> None:
    def deps(name: str) -> dict[str, str]:
        return {k: v["condition"] for k, v in services[name]["depends_on"].items()}

    assert deps("migrate") == {"postgres": "service_healthy"}
    for name in ("api", "worker"):
        assert deps(name) == {
            "migrate": "service_completed_successfully",
            "postgres": "service_healthy",
            "redis": "service_healthy",
        }, name
    assert deps("nginx") == {"api": "service_healthy"}
    assert services["migrate"]["restart"] == "no"


def test_scalable_and_private(services: dict[str, Any]) -> None:
    # container_name or a host port would stop `--scale` from starting a second container.
    for name in ("api", "worker", "postgres", "redis"):
        assert "container_name" not in services[name], name
        assert "ports" not in services[name], f"{name} must not be published; nginx fronts it"
    assert services["api"]["deploy"]["replicas"] >= 2
    assert services["nginx"]["ports"]


def test_volumes(compose: dict[str, Any], resolved: dict[str, Any]) -> None:
    assert "pgdata:/var/lib/postgresql/data" in resolved["postgres"]["volumes"]
    declared = set(compose["volumes"])
    for name, svc in resolved.items():
        for volume in svc.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith(("./", "../", "/")):
                assert (DEPLOY / source).exists() or source.endswith(("dist", "backups")), (
                    f"{name}: bind mount {source} does not exist"
                )
                continue
            assert source in declared, f"{name}: volume {source} is not declared"


def test_nginx_mounts_every_file_its_config_includes(resolved: dict[str, Any]) -> None:
    mounts = {}
    for volume in resolved["nginx"]["volumes"]:
        source, target = volume.split(":")[:2]
        mounts[target] = source
    assert mounts["/etc/nginx/nginx.conf"] == "./nginx/nginx.conf"
    assert "/usr/share/nginx/html" in mounts
    confs = [DEPLOY / "nginx" / "nginx.conf", *(DEPLOY / "nginx").glob("*.conf")]
    included = {
        m
        for conf in confs
        for m in re.findall(r"^\s*include\s+(/etc/nginx/qm/\S+);", conf.read_text(), re.M)
    }
    assert included, "nginx.conf includes the location snippets"
    for target in included:
        assert target in mounts, f"{target} is included but not mounted"
        assert (DEPLOY / mounts[target]).is_file()


def test_backup_service(services: dict[str, Any]) -> None:
    backup = services["backup"]
    assert (DEPLOY / backup["build"]["context"] / "Dockerfile").is_file()
    assert backup["environment"]["PGHOST"] == "postgres"
    dockerfile = (DEPLOY / "backup" / "Dockerfile").read_text()
    assert "postgres:16" in dockerfile, "pg_dump must match the server's major version"
    for script in ("pg-backup.sh", "pg-restore-check.sh"):
        assert script in dockerfile
        assert (DEPLOY / "backup" / script).stat().st_mode & 0o111, f"{script} not executable"


def test_override_example_only_adjusts_existing_services(services: dict[str, Any]) -> None:
    override = _load(OVERRIDE)
    assert set(override["services"]) <= set(services)
    assert override["services"]["api"]["command"][0] == "serve"
    for svc in override["services"].values():
        for port in svc.get("ports", []):
            assert port.startswith("127.0.0.1:"), "the dev variant publishes on localhost only"


# --- Dockerfile ---------------------------------------------------------------------------------


def test_dockerfile() -> None:
    text = DOCKERFILE.read_text()
    assert re.search(r"^FROM .+ AS builder$", text, re.M)
    assert re.search(r"^FROM .+ AS runtime$", text, re.M)
    assert "uv sync --frozen --no-dev" in text
    users = re.findall(r"^USER (\S+)", text, re.M)
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert re.search(r"^HEALTHCHECK .*\n?.*/health", text, re.M)
    assert re.search(r'^ENTRYPOINT \["quartermaster"\]', text, re.M)
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["quartermaster"] == "api.cli:main"


def test_dockerfile_copies_only_whitelisted_paths_that_exist() -> None:
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    text = DOCKERFILE.read_text()
    copied: set[str] = set()
    for line in re.findall(r"^COPY (?!--from)(.+)$", text, re.M):
        parts = [p for p in line.split() if not p.startswith("--")]
        copied.update(parts[:-1])
    copied.update(re.findall(r"source=([^,\s]+)", text))
    for path in copied:
        assert (ROOT / path).exists(), f"COPY {path}: missing from the repository"
        assert path in allowed, f"COPY {path}: excluded by Dockerfile.dockerignore"


def test_cli_knows_every_compose_command(services: dict[str, Any]) -> None:
    exe = ROOT / ".venv" / "bin" / "quartermaster"
    if not exe.exists():
        exe_path = shutil.which("quartermaster")
        if exe_path is None:
            pytest.skip("quartermaster console script not installed")
        exe = Path(exe_path)
    unknown = []
    for name in APP_SERVICES:
        command = services[name]["command"][0]
        result = subprocess.run(
            [str(exe), command, "--help"], capture_output=True, text=True, timeout=60, check=False
        )
        if result.returncode != 0:
            unknown.append(command)
    assert not unknown, f"unknown CLI commands used by compose: {unknown}"


def test_nginx_body_limit_matches_the_app() -> None:
    """nginx refuses what the app would refuse (413), so big bodies never reach the upstream."""
    conf = (DEPLOY / "nginx" / "nginx.conf").read_text()
    limits = re.findall(r"^\s*client_max_body_size\s+(\d+)([km]?);", conf, re.MULTILINE)
    assert limits, "nginx.conf sets no client_max_body_size"
    scale = {"": 1, "k": 1024, "m": 1024 * 1024}
    assert {int(n) * scale[unit] for n, unit in limits} == {DEFAULT_MAX_BODY_BYTES}
    assert int(_env_file(PROD_SAMPLE)["QM_MAX_BODY_BYTES"]) == DEFAULT_MAX_BODY_BYTES
    assert _env_file(PROD_SAMPLE)["QM_API_DOCS"] == "false"


def test_nginx_upload_limit_matches_the_app() -> None:
    """The imports location admits what the app admits for an import upload, and no more."""
    from api.core.guard import UPLOAD_PATH
    from api.core.settings import Settings

    conf = (DEPLOY / "nginx" / "quartermaster-locations.conf").read_text()
    block = re.search(r"location ~ (\S+) \{[^}]*client_max_body_size\s+(\d+)m;", conf)
    assert block, "no location with its own client_max_body_size"
    assert block.group(1) == UPLOAD_PATH.pattern
    expected = Settings.model_fields["max_upload_bytes"].default
    assert int(block.group(2)) * 1024 * 1024 == expected
    assert int(_env_file(PROD_SAMPLE)["QM_MAX_UPLOAD_BYTES"]) == expected
