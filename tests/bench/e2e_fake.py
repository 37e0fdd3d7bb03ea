"""The fake SMS provider in a process of its own, for ``bench_e2e``: its CPU is not the driver's.

Run: ``python -m tests.bench.e2e_fake PORT LATENCY``. Besides the provider's routes
(``tests.fakes.sms_provider``) it answers ``GET /_receipts?since=N``: the requests from the
N-th on, as ``[arrived_at, key, text, status]`` lists, so the benchmark times action → SMS and
counts repeated keys (a second request for the same SMS).
"""

from __future__ import annotations

import json
import sys
from urllib.parse import parse_qs

import uvicorn

from tests.fakes.sms_provider import FakeSmsProvider, Receive, Scope, Send


class WithReceipts:
    def __init__(self, fake: FakeSmsProvider) -> None:
        self.fake = fake

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/_receipts":
            since = int(parse_qs(scope["query_string"].decode()).get("since", ["0"])[0])
            rows = [[r.at, r.key, r.text, r.status] for r in self.fake.requests[since:]]
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": json.dumps(rows).encode()})
            return
        await self.fake(scope, receive, send)


def main(port: int, latency: float) -> None:
    app = WithReceipts(FakeSmsProvider(latency=latency))
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_config=None,
        lifespan="off",
        access_log=False,
        backlog=4096,
    )
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main(int(sys.argv[1]), float(sys.argv[2]))
