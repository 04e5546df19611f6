"""The command line: ``python -m localdev [serve]`` runs the local stack; ``python -m localdev token …``
prints a token."""

import argparse
import errno
import logging
import os
import shlex
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from localdev.functions import EnvironmentConflict
from localdev.runner import DEFAULT_TEMPLATE, LocalRunner
from localdev.template import HttpRoute, TemplateError
from localdev.tokens import ALL_SCOPES, mint

BANNER_TOKEN_TTL_S = 12 * 3600
BANNER_TENANT = "t1"
EXAMPLE_BODY = '{"name":"Acme Pty Ltd","code":"ACME"}'


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m localdev", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    serve = commands.add_parser("serve", help="serve template.yaml's HTTP API locally (default)")
    _add_serve_options(serve)
    token = commands.add_parser("token", help="print a bearer token the local authorizer accepts")
    token.add_argument("--tenant", default=BANNER_TENANT)
    token.add_argument("--role", default="admin")
    token.add_argument("--scope", default=ALL_SCOPES, help="space-separated scopes (default: every scope)")
    token.add_argument("--org", dest="organization_id", default=None, help="organization_id claim")
    token.add_argument("--sub", default=None)
    token.add_argument("--ttl", type=int, default=3600, help="seconds until it expires")
    return parser


def _add_serve_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--template", default=str(DEFAULT_TEMPLATE), help="path to template.yaml")
    parser.add_argument("--port", type=int, default=None, help="listen port (default: $PORT or 3000)")
    parser.add_argument("--host", default="127.0.0.1")


def _example_route(routes: Sequence[HttpRoute]) -> HttpRoute | None:
    """The curl example's route: a POST on a collection that needs a ``…:create`` scope."""
    posts = [route for route in routes if route.method == "POST" and "{" not in route.path]
    creating = [route for route in posts if any(scope.endswith(":create") for scope in route.scopes)]
    return next(iter(creating or posts), None)


def _banner(runner: LocalRunner) -> str:
    assert runner.template is not None and runner.resources is not None and runner.emulator is not None
    token = mint(BANNER_TENANT, "admin", ALL_SCOPES, ttl=BANNER_TOKEN_TTL_S, sub="local-admin")
    aws = runner.emulator.endpoint_url + ("  (embedded moto)" if runner.emulator.embedded else "")
    lines = [
        "Clientele local runner",
        f"  API        {runner.url}",
        f"  AWS        {aws}",
        f"  table      {runner.resources.table}",
        f"  bucket     {runner.resources.bucket}",
        f"  details    {runner.url}/_local/aws",
        "",
        f"Admin token for tenant {BANNER_TENANT} (every scope, valid 12 h):",
        f"  export TOKEN={token}",
    ]
    route = _example_route(runner.template.http_routes())
    if route is not None:
        lines += [
            "",
            "Try:",
            f'  curl -s -X {route.method} {runner.url}{route.path} -H "Authorization: Bearer $TOKEN" '
            f"-H 'Content-Type: application/json' -d {shlex.quote(EXAMPLE_BODY)}",
        ]
    lines += ["", "Ctrl-C stops it."]
    return "\n".join(lines)


def serve(args: argparse.Namespace) -> int:
    log_format = "%(asctime)s %(name)s %(message)s"
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format=log_format, datefmt="%H:%M:%S")
    logging.getLogger("localdev").setLevel(logging.INFO)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():  # a second Ctrl-C: leave now, whatever is still winding down
            os._exit(128 + signum)
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    runner = LocalRunner(args.template, args.port, args.host)
    try:
        runner.start()
    except (TemplateError, EnvironmentConflict) as error:
        print(f"localdev: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
        print(f"localdev: {args.host}:{runner.port} is already in use; set PORT", file=sys.stderr)
        return 2
    try:
        print(_banner(runner), flush=True)
        while not stop.wait(0.2):
            pass
        print("stopping…", file=sys.stderr, flush=True)
    finally:
        runner.stop()
    print("stopped", file=sys.stderr, flush=True)
    # An orderly stop that was asked for (Ctrl-C, SIGTERM) is a success: `make serve` ends quietly.
    return 0


def token(args: argparse.Namespace) -> int:
    print(mint(args.tenant, args.role, args.scope, args.organization_id, args.sub, args.ttl))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if not arguments or arguments[0] not in {"serve", "token", "-h", "--help"}:
        arguments.insert(0, "serve")
    args = _parser().parse_args(arguments)
    return token(args) if args.command == "token" else serve(args)
