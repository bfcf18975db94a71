"""The ``quartermaster`` command: platform commands plus the engine's (plan, check, ...).

Engine commands live in ``engine/cli.py`` (a Typer app named ``app``). They are merged into
this root app only when the command line asks for something that is not a platform command,
so ``quartermaster serve`` does not import the solver and ``quartermaster plan --format json``
does not import the web stack or print anything but its own output.
"""

from __future__ import annotations

import errno
import socket
import sys
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from api.core.settings import Settings

app = typer.Typer(
    name="quartermaster",
    help="Quartermaster: inventory and planning for Star Citizen organisations.",
    no_args_is_help=True,
    add_completion=False,
)
seed_app = typer.Typer(help="Load data into the database.", no_args_is_help=True)
app.add_typer(seed_app, name="seed")

PLATFORM_COMMANDS = {"serve", "migrate", "seed", "worker", "import", "export"}
# `serve` could not listen on the address and port it was given.
EXIT_PORT_UNAVAILABLE = 1
# A QM_ setting is invalid (e.g. the development secret in production): nothing started.
EXIT_BAD_SETTINGS = 2


def _run_seed_demo(database_url: str) -> None:
    """Load the demo org (:func:`scenarios.demo.seed_demo`, idempotent) and print its login."""
    from api.core.db import Database
    from scenarios.demo import seed_demo

    db = Database(database_url)
    try:
        login = seed_demo(db)
    finally:
        db.dispose()
    typer.echo(f"Demo login: {login['username']} / {login['password']}")


@app.command()
def migrate(
    database_url: Annotated[
        str | None, typer.Option(help="Defaults to QM_DATABASE_URL / the embedded SQLite file.")
    ] = None,
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
) -> None:
    """Upgrade the database schema (Alembic) to the latest revision."""
    from api.core.db import migrate as run_migrate
    from api.core.settings import get_settings

    url = database_url or get_settings().database_url
    run_migrate(url, revision)
    typer.echo(f"Database migrated to {revision}.")


@seed_app.command("demo")
def seed_demo_command() -> None:
    """Load the demo organisation (idempotent)."""
    from api.core.db import migrate as run_migrate
    from api.core.settings import get_settings

    url = get_settings().database_url
    run_migrate(url)
    _run_seed_demo(url)


def port_problem(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be listened on, in plain words, or None when it is free.

    Binds and closes a socket the way uvicorn will (``SO_REUSEADDR``, every address the host
    resolves to), so a port held by another program is reported before anything is announced.
    """
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                       flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        return (f"Cannot listen on {host}:{port}: the host name does not resolve ({exc.strerror})."
                " Choose another address with --host or QM_HOST.")
    for family, kind, proto, _, address in addresses:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(address)
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    return (f"Port {port} on {host} is already in use by another program. "
                            f"Stop that program, or choose another port: "
                            f"quartermaster serve --port {_other_port(port)} "
                            f"(or set QM_PORT={_other_port(port)}).")
                return (f"Cannot listen on {host}:{port}: {exc.strerror}. Choose another "
                        "port with --port or QM_PORT (or another address with --host or QM_HOST).")
    return None


def _other_port(port: int) -> int:
    return port + 1 if port < 65535 else 8000


def _settings_or_exit() -> Settings:
    """The settings, or a plain message per invalid setting on stderr and exit code 2 (e.g.
    the development secret in production), instead of a pydantic traceback."""
    from pydantic import ValidationError

    from api.core.settings import get_settings

    try:
        return get_settings()
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join(str(p) for p in error["loc"])
            message = str(error["msg"]).removeprefix("Value error, ")
            typer.echo(f"Invalid setting{' ' + where if where else ''}: {message}", err=True)
        raise typer.Exit(EXIT_BAD_SETTINGS) from None


@app.command()
def serve(
    seed_demo: Annotated[bool, typer.Option("--seed-demo", help="Load the demo org.")] = False,
    host: Annotated[str | None, typer.Option(help="Bind address (QM_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (QM_PORT).")] = None,
    reload: Annotated[bool, typer.Option(help="Auto-reload on code changes (dev).")] = False,
) -> None:
    """Migrate the database, optionally seed the demo org, and serve the API."""
    import uvicorn

    from api.core.db import migrate as run_migrate

    settings = _settings_or_exit()
    bind_host = host or settings.host
    bind_port = port or settings.port
    # Before migrating or announcing anything: a busy port used to print "serving on" and then
    # fail inside a JSON log line.
    problem = port_problem(bind_host, bind_port)
    if problem is not None:
        typer.echo(problem, err=True)
        raise typer.Exit(EXIT_PORT_UNAVAILABLE)
    run_migrate(settings.database_url)
    if seed_demo:
        _run_seed_demo(settings.database_url)
    docs = " (API docs at /docs)" if settings.docs_enabled else ""
    typer.echo(f"Quartermaster is serving on http://{bind_host}:{bind_port}{docs}")
    uvicorn.run(
        "api.cli:build_app",
        factory=True,
        host=bind_host,
        port=bind_port,
        reload=reload,
        log_config=None,  # our JSON logging, not uvicorn's
    )


@app.command()
def worker(
    processes: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
    threads: Annotated[int, typer.Option(min=1, max=64, help="Threads per process.")] = 2,
) -> None:
    """Consume plan and what-if jobs from Redis (needs QM_REDIS_URL and QM_DATABASE_URL).

    ``--processes N`` starts N ``python -m workers`` children (solves are CPU-bound, so use
    one process per core) and forwards SIGINT/SIGTERM to them; each finishes its running job.
    """
    import signal
    import subprocess

    from api.core.settings import get_settings

    if not get_settings().redis_url:
        typer.echo("QM_REDIS_URL is not set: embedded mode runs jobs inside `serve`.", err=True)
        raise typer.Exit(2)
    if processes == 1:
        from workers.__main__ import main as worker_main

        raise typer.Exit(worker_main(["--threads", str(threads)]))
    children = [subprocess.Popen([sys.executable, "-m", "workers", "--threads", str(threads)])
                for _ in range(processes)]

    def forward(signum: int, _frame: object) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, forward)
    codes = [child.wait() for child in children]
    raise typer.Exit(max(codes))


IMPORT_KINDS = ("items", "locations", "ships", "stock")


def _fail(exc: Exception) -> typer.Exit:
    """Print a problem (bad file, unknown org) the way the API words it, and exit 1."""
    from api.core.errors import ProblemError

    if not isinstance(exc, ProblemError):
        raise exc
    typer.echo(f"error: {exc.detail}", err=True)
    for entry in exc.errors:
        typer.echo(f"  {entry.get('record', '')} {entry.get('field', '')}: {entry['message']}",
                   err=True)
    return typer.Exit(1)


@app.command("import")
def import_command(
    kind: Annotated[str, typer.Argument(help="items, locations, ships or stock")],
    path: Annotated[typer.FileBinaryRead, typer.Argument(help="CSV or JSON file")],
    org: Annotated[str, typer.Option(help="Organisation name or id")],
    apply: Annotated[bool, typer.Option(help="Write the file (default: dry run)")] = False,
    file_format: Annotated[
        str | None, typer.Option("--format", help="csv or json (default: from the file name)")
    ] = None,
) -> None:
    """Import a file into an org, as POST /orgs/{org}/imports?kind=… does; prints the report."""
    from api.core.db import Database
    from api.core.settings import get_settings
    from api.transfer_io import codec, service

    if kind not in IMPORT_KINDS:
        raise typer.BadParameter(f"one of {', '.join(IMPORT_KINDS)}", param_hint="KIND")
    fmt = file_format or ("json" if path.name.lower().endswith(".json") else "csv")
    db = Database(get_settings().database_url)
    try:
        with db.session_scope() as session:
            report = service.run_import(
                session, org_id=service.org_by_ref(session, org), actor_id=None, kind=kind,
                file_format=fmt, data=path.read(codec.MAX_FILE_BYTES + 1), apply=apply,
            )
    except Exception as exc:
        raise _fail(exc) from None
    finally:
        db.dispose()
    typer.echo(report.model_dump_json(indent=2))
    if not report.valid:
        raise typer.Exit(1)


@app.command("export")
def export_command(
    kind: Annotated[str, typer.Argument(help="items, locations, ships or stock")],
    org: Annotated[str, typer.Option(help="Organisation name or id")],
    file_format: Annotated[str, typer.Option("--format", help="csv or json")] = "csv",
) -> None:
    """Print an org's records in the import layout, as GET /orgs/{org}/exports?kind=… does."""
    from api.core.db import Database
    from api.core.settings import get_settings
    from api.transfer_io import service

    if kind not in IMPORT_KINDS or file_format not in ("csv", "json"):
        raise typer.BadParameter(f"KIND is one of {', '.join(IMPORT_KINDS)}; format csv or json")
    db = Database(get_settings().database_url)
    try:
        with db.session_scope(writes=False) as session:
            body = service.export_file(session, service.org_by_ref(session, org), kind,
                                       file_format)
    except Exception as exc:
        raise _fail(exc) from None
    finally:
        db.dispose()
    typer.echo(body, nl=False)


def build_app() -> object:
    """Uvicorn factory entry point (``api.cli:build_app``)."""
    from api.app import create_app

    return create_app()


def register_engine_commands(root: typer.Typer) -> None:
    """Merge ``engine.cli.app``'s commands and groups into ``root``."""
    from engine.cli import app as engine_app

    root.registered_commands.extend(engine_app.registered_commands)
    root.registered_groups.extend(engine_app.registered_groups)


def main() -> None:
    """Console-script entry point (``quartermaster``)."""
    first = next((a for a in sys.argv[1:] if not a.startswith("-")), None)
    if first not in PLATFORM_COMMANDS:
        register_engine_commands(app)
    app()


if __name__ == "__main__":
    main()


commons_app = typer.Typer(help="Administer the public commons.", no_args_is_help=True)
app.add_typer(commons_app, name="commons")


@commons_app.command("grant")
def commons_grant(
    username: Annotated[str, typer.Argument(help="The user's username")],
    role: Annotated[str, typer.Argument(help="curator or moderator")],
    revoke: Annotated[bool, typer.Option(help="Take the role away instead")] = False,
) -> None:
    """Grant a platform role (no org role ever grants one): ``quartermaster commons grant alice
    moderator``."""
    from api.commons import service
    from api.core.db import Database
    from api.core.settings import get_settings

    db = Database(get_settings().database_url)
    try:
        with db.session_scope() as session:
            changed = service.grant_role(session, username, role, revoke=revoke)
    except Exception as exc:
        raise _fail(exc) from None
    finally:
        db.dispose()
    verb = "revoked from" if revoke else "granted to"
    typer.echo(f"{role} {verb} {username}" if changed else f"{username}: nothing to change")
