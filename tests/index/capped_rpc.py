"""A JSON-RPC proxy in front of a real Anvil that refuses eth_getLogs the way public providers do.

It is a stand-in for Infura/Alchemy/QuickNode (which this machine cannot reach): every call is forwarded
to Anvil unchanged, except an eth_getLogs whose block range is wider than `max_blocks` (answered with
QuickNode's or Alchemy's block-range error) or whose answer holds more than `max_results` logs (answered
with Infura's -32005, or Alchemy's "Log response size exceeded", each with a suggested range as they give
one). It records every eth_getLogs range it was asked for, and can slow each one down (`delay`) so a test
can kill a sync mid-way.

Two more provider behaviours Anvil cannot produce itself, injected (stand-ins, named as such):
`removed_copies` adds to each answer a copy of every log marked `"removed": true` (what a node returns
for a log of a block reorganised away while it answers), and `no_finalized` answers the `finalized` block
tag with the error of a node that does not know it.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

from aiohttp import ClientSession, web

STYLES = ("infura", "alchemy", "quicknode")


class CappedRpc:
    def __init__(
        self, upstream: str, max_blocks: int, max_results: int, style: str = "infura", delay: float = 0.0
    ) -> None:
        assert style in STYLES
        self.upstream, self.max_blocks, self.max_results = upstream, max_blocks, max_results
        self.style, self.delay = style, delay
        self.removed_copies = False
        self.no_finalized = False
        self.ranges: list[tuple[int, int]] = []  # every eth_getLogs range asked for
        self.refused: list[tuple[int, int, str]] = []
        self.url = ""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def __enter__(self) -> CappedRpc:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    async def _start(self) -> None:
        self._client = ClientSession()
        app = web.Application()
        app.router.add_post("/", self._handle)
        app.on_cleanup.append(lambda _: self._client.close())
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def _forward(self, body: dict[str, Any]) -> dict[str, Any]:
        async with self._client.post(self.upstream, json=body) as response:
            answer: dict[str, Any] = await response.json(content_type=None)
            return answer

    async def _latest(self) -> int:
        answer = await self._forward({"jsonrpc": "2.0", "id": 0, "method": "eth_blockNumber", "params": []})
        return int(answer["result"], 16)

    async def _handle(self, request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        if (
            self.no_finalized
            and body.get("method") == "eth_getBlockByNumber"
            and body["params"][0] == "finalized"
        ):
            return web.json_response(
                {
                    "jsonrpc": "2.0",
                    "id": body.get("id"),
                    "error": {"code": -32602, "message": "invalid block tag"},
                }
            )
        if body.get("method") != "eth_getLogs":
            return web.json_response(await self._forward(body))
        query = body["params"][0]
        lo = int(query.get("fromBlock", "0x0"), 16)
        to = query.get("toBlock", "latest")
        hi = await self._latest() if to == "latest" else int(to, 16)
        self.ranges.append((lo, hi))
        if self.delay:
            await asyncio.sleep(self.delay)
        if hi - lo + 1 > self.max_blocks:
            return self._error(body, self._range_error(lo), lo, hi, "blocks")
        answer = await self._forward(body)
        if "result" in answer and len(answer["result"]) > self.max_results:
            # Providers suggest a range that would have fit: up to the block before the cap was reached.
            last = int(answer["result"][self.max_results]["blockNumber"], 16)
            return self._error(body, self._result_error(lo, max(lo, last - 1)), lo, hi, "results")
        if self.removed_copies and "result" in answer:
            ghosts = [
                {**log, "removed": True, "logIndex": hex(int(log["logIndex"], 16) + 1000)}
                for log in answer["result"]
            ]
            answer["result"] = answer["result"] + ghosts
        return web.json_response(answer)

    def _error(self, body: dict[str, Any], error: dict[str, Any], lo: int, hi: int, why: str) -> web.Response:
        self.refused.append((lo, hi, why))
        return web.json_response({"jsonrpc": "2.0", "id": body.get("id"), "error": error})

    def _range_error(self, lo: int) -> dict[str, Any]:
        if self.style == "alchemy":
            return {
                "code": -32600,
                "message": f"You can make eth_getLogs requests with up to a {self.max_blocks} block range. "
                "Based on your parameters, this block range should work: "
                f"[{hex(lo)}, {hex(lo + self.max_blocks - 1)}]",
            }
        return {"code": -32614, "message": f"eth_getLogs is limited to a {self.max_blocks} range"}

    def _result_error(self, lo: int, fits_to: int) -> dict[str, Any]:
        if self.style == "alchemy":
            return {
                "code": -32602,
                "message": "Log response size exceeded. You can make eth_getLogs requests with up to a 2K "
                "block range and no limit on the response size, or you can request any block range with a "
                f"cap of 10K logs in the response. Based on your parameters, this block range should work: "
                f"[{hex(lo)}, {hex(fits_to)}]",
            }
        return {
            "code": -32005,
            "message": f"query returned more than {self.max_results} results. Try with this block range "
            f"[{hex(lo)}, {hex(fits_to)}].",
            "data": {"from": hex(lo), "to": hex(fits_to), "limit": self.max_results},
        }


def wait_until(predicate: Any, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)
