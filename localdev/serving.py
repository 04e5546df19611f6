"""A socketserver in a daemon thread, stopped cleanly: shared by the gateway and the embedded emulator."""

import socketserver
import threading

# A short poll interval keeps stop() (and test teardown) quick.
_POLL_INTERVAL_S = 0.05


class BackgroundServer:
    def __init__(self, server: socketserver.BaseServer, name: str) -> None:
        self.server: socketserver.BaseServer | None = server
        self._thread: threading.Thread | None = threading.Thread(
            target=server.serve_forever, args=(_POLL_INTERVAL_S,), name=name, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
