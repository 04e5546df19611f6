"""Wires the local stack together: emulator, resources, environment, functions, gateway, pollers."""

import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from localdev.authorizer import JwtAuthorizer
from localdev.emulator import Emulator, connect_or_start
from localdev.functions import Functions, add_to_sys_path, prepare_environment
from localdev.gateway import Gateway
from localdev.poller import SqsPoller
from localdev.resources import AwsClients, LocalResources, create_resources
from localdev.streams import StreamPoller
from localdev.template import DEFAULT_REGION, Template
from localdev.tokens import local_secret

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TEMPLATE = REPO_ROOT / "template.yaml"
DEFAULT_PORT = 3000
VISIBILITY_ENV = "LOCAL_SQS_VISIBILITY_TIMEOUT"
# A poller finishes its current long poll (1 s) once its function's environments are gone.
_POLLERS_STOP_S = 3.0


class LocalRunner:
    """The whole local stack in this process.

    ``LocalRunner(port=0).start()`` serves on a free port; ``.url`` tells where. It sets the
    functions' variables in ``os.environ`` (they share the process) and puts the previous
    values back on ``stop()``.
    """

    def __init__(
        self,
        template_path: str | Path | None = None,
        port: int | None = None,
        host: str = "127.0.0.1",
        *,
        warm: bool = True,
        visibility_timeout: int | None = None,
    ) -> None:
        self.template_path = Path(template_path) if template_path else DEFAULT_TEMPLATE
        self.port = port if port is not None else int(os.environ.get("PORT") or DEFAULT_PORT)
        self.host = host
        self.warm = warm
        env_visibility = os.environ.get(VISIBILITY_ENV)
        if visibility_timeout is None and env_visibility:
            visibility_timeout = int(env_visibility)
        self.visibility_timeout = visibility_timeout
        self.template: Template | None = None
        self.emulator: Emulator | None = None
        self.resources: LocalResources | None = None
        self.functions: Functions | None = None
        self.gateway: Gateway | None = None
        self.pollers: list[SqsPoller | StreamPoller] = []
        self._saved_environ: dict[str, str] | None = None

    @property
    def url(self) -> str:
        if self.gateway is None:
            raise RuntimeError("runner is not started")
        return self.gateway.url

    @property
    def region(self) -> str:
        return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION

    def local_info(self) -> dict[str, Any]:
        if self.resources is None or self.emulator is None:
            return {}
        return {**self.resources.describe(), "endpoint_url": self.emulator.endpoint_url}

    def start(self) -> "LocalRunner":
        self._saved_environ = dict(os.environ)
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        region = self.region
        # boto3 needs some credentials even for an emulator; real ones in the environment win.
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
        self.template = Template.load(self.template_path, region=region)
        self.emulator = connect_or_start()
        if self.emulator.embedded:
            # Imported here: moto is only loaded (~0.5 s) when this process serves it.
            from localdev import moto_patches

            moto_patches.install()
        endpoint = self.emulator.endpoint_url
        visibility = self.visibility_timeout
        self.resources = create_resources(self.template, endpoint, region, visibility_timeout=visibility)
        specs = self.template.functions(self.template.resolver(self.resources.physical))
        prepare_environment(specs, endpoint, region)
        # Integrations may call loopback fakes (API.md §13); only here, never in the template.
        os.environ.setdefault("ALLOW_LOOPBACK_INTEGRATIONS", "true")
        add_to_sys_path(self.template.layer_dirs().values())
        self.functions = Functions(specs, region, self.template.layer_dirs().values())
        self.gateway = Gateway(
            self.template.http_routes(),
            self.functions.invoke,
            authorizer=JwtAuthorizer(local_secret()),
            local_info=self.local_info,
            kill=self.functions.kill,
            host=self.host,
            port=self.port,
        ).start()
        sqs = AwsClients.create(endpoint, region).sqs
        for source in self.template.sqs_event_sources():
            if not source.enabled:
                continue
            poller = SqsPoller(
                source,
                self.resources.queues[source.queue_id],
                self.resources.queue_arns[source.queue_id],
                self.functions.invoke,
                sqs=sqs,
                region=region,
            )
            self.pollers.append(poller.start())
        self._start_stream_pollers(endpoint, region)
        if self.warm:
            # Cold starts paid in the background: the gateway answers meanwhile.
            threading.Thread(target=self.functions.warm, name="warm-functions", daemon=True).start()

    def _start_stream_pollers(self, endpoint: str, region: str) -> None:
        """Each DynamoDB event source of the template reads its table's stream, as Lambda would."""
        if self.resources is None or self.functions is None or self.template is None:
            raise RuntimeError("resources and functions come first")
        session = boto3.session.Session(region_name=region)
        # Account-based endpoints (botocore's default for DynamoDB Streams) are not what emulators serve.
        streams = session.client(
            "dynamodbstreams", endpoint_url=endpoint, config=Config(account_id_endpoint_mode="disabled")
        )
        sqs = session.client("sqs", endpoint_url=endpoint)
        for source in self.template.stream_event_sources():
            if not source.enabled:
                continue
            failure_queue = self.resources.queues.get(source.on_failure_queue_id or "")
            poller = StreamPoller(
                source,
                self.resources.physical[source.table_id].attributes["StreamArn"],
                self.functions.invoke,
                streams=streams,
                sqs=sqs,
                failure_queue_url=failure_queue,
                region=region,
            )
            self.pollers.append(poller.start())

    def stop(self) -> None:
        """Stop everything within a few seconds, whatever is running: traffic first, then the
        environments (killed, so callers fail at once), then the pollers and the emulator."""
        for poller in self.pollers:
            poller.request_stop()
        if self.gateway is not None:
            self.gateway.stop()
            self.gateway = None
        if self.functions is not None:
            self.functions.stop()
            self.functions = None
        # Joined before the emulator goes, so that no poll fails against a vanished endpoint.
        deadline = time.monotonic() + _POLLERS_STOP_S
        for poller in self.pollers:
            poller.stop(timeout=max(0.0, deadline - time.monotonic()))
        self.pollers = []
        if self.emulator is not None:
            self.emulator.stop()
            self.emulator = None
        if self._saved_environ is not None:
            os.environ.clear()
            os.environ.update(self._saved_environ)
            self._saved_environ = None

    def __enter__(self) -> "LocalRunner":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
