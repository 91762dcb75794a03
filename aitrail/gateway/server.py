"""The gateway's HTTP service (aiohttp): SIWE login, then one checked, recorded, streamed delivery a request.

Routes::

    GET  /siwe/nonce          a fresh single-use nonce and the domain and chain id a message must bind
    POST /siwe/login          {"message", "signature"} -> {"token", "address", "expires"}
    GET  /datasets/{id}       Authorization: Bearer TOKEN; optional Range: bytes=START-[END]

At every data request, in this order: the id is parsed (400), the token checked (401), the address's
rate limit applied (429 + Retry-After), the dataset must be one handed to this gateway (404); then the
attempt is recorded on-chain (`recordGatewayAccess`, decided by the registry at that block: 503 when
the chain cannot be reached, since no answer means no data), a denial answers 403 with the reason and
the recording transaction, and an allowed request streams plaintext decrypted segment by segment.

Why aiohttp: its streaming responses write with back-pressure (`await write` waits for the socket), so
each transfer holds one 1 MiB segment and one IPFS block whatever the file size, and it was already a
pinned dependency. Blocking work (web3 transactions, store reads, AES-GCM) runs in a bounded thread pool.

A request in flight when its grant ends is finished, not cut: access is decided and recorded once per
request, a request is bounded by the file size, and a second check mid-stream would make the on-chain
record (one per request) disagree with what was delivered. The next request is refused.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from aiohttp import web

from aitrail import crypto, dagpb
from aitrail._files import write_private
from aitrail.cid import CID
from aitrail.errors import (
    AitrailError,
    BlockCorruptedError,
    ChainError,
    DecryptionError,
    SiweError,
    StorageError,
)
from aitrail.flows.gateway import REASONS, ServedDataset, served_datasets
from aitrail.flows.session import Session
from aitrail.gateway import siwe
from aitrail.storage.local import LocalStore
from aitrail.unixfs import read_file_from

log = logging.getLogger("aitrail.gateway")

MAX_HEADER_BYTES = 8192
WRITE_PIECE = 128 * 1024
READERS = 4
NONCE_TTL = 600.0
MAX_SESSION = 24 * 3600.0
_ID = re.compile(r"^[0-9]{1,12}$")
_RANGE = re.compile(r"^bytes=([0-9]{1,15})-([0-9]{0,15})$")


@dataclass
class Limits:
    streams: int = 64  # transfers at once; more wait their turn
    rate: float = 5.0  # data requests per second per address (token bucket refill)
    burst: int = 10  # bucket size
    stream_rate: int = 0  # bytes per second per transfer, 0 = unlimited
    cached_segments: int = 32  # decrypted 1 MiB segments kept for concurrent readers (memory bound)
    denials_per_minute: int = 60  # recorded denials gateway-wide (each costs the gateway gas)


class NonceBook:
    """Gateway-issued nonces, each usable once, even across a restart: issued and used nonces are
    appended to a 0600 file in the gateway's home, fsynced before the answer goes out. A nonce expires
    NONCE_TTL after issue; expired ones, used or not, are forgotten (a message naming one is refused
    as not issued), so memory and the file stay bounded by the nonces of the last NONCE_TTL."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.issued: dict[str, float] = {}  # nonce -> issue time, not used yet
        self.used: dict[str, float] = {}  # nonce -> issue time, used
        self._lock = threading.Lock()
        self._pruned = time.time()
        if path.is_file():
            for line in path.read_text().splitlines():
                kind, nonce, stamp = [*line.split(" "), "", ""][:3]
                try:
                    issued = float(stamp)
                except ValueError:
                    continue  # a line torn by a crash mid-append
                if kind == "issued":
                    self.issued[nonce] = issued
                elif kind == "used":
                    self.used[nonce] = issued
        for nonce in self.used:
            self.issued.pop(nonce, None)
        self._prune()

    def _prune(self) -> None:
        """Forget expired nonces and rewrite the file with the live ones (at start, then once a TTL)."""
        now = time.time()
        self.issued = {n: t for n, t in self.issued.items() if now - t < NONCE_TTL}
        self.used = {n: t for n, t in self.used.items() if now - t < NONCE_TTL}
        lines = [f"issued {n} {t}" for n, t in self.issued.items()] + [
            f"used {n} {t}" for n, t in self.used.items()
        ]
        write_private(self.path, "".join(line + "\n" for line in lines).encode())
        self._pruned = now

    def _append(self, line: str) -> None:
        with open(self.path, "a") as out:
            out.write(line + "\n")
            out.flush()
            os.fsync(out.fileno())

    def issue(self) -> str:
        nonce = secrets.token_hex(16)
        with self._lock:
            if time.time() - self._pruned > NONCE_TTL:
                self._prune()
            self.issued[nonce] = time.time()
            self._append(f"issued {nonce} {self.issued[nonce]}")
        return nonce

    def use(self, nonce: str) -> None:
        with self._lock:
            if nonce in self.used:
                raise SiweError(f"nonce {nonce} was already used (replayed message)")
            issued = self.issued.pop(nonce, None)
            if issued is None:
                raise SiweError(f"nonce {nonce} was not issued by this gateway (or has expired)")
            if time.time() - issued >= NONCE_TTL:
                raise SiweError(f"nonce {nonce} is older than {int(NONCE_TTL)} s")
            self.used[nonce] = issued
            self._append(f"used {nonce} {issued}")


class SegmentCache:
    """The last `capacity` decrypted segments, shared by every transfer: researchers reading the same
    dataset at once cost one read and one decryption per segment, not one each. A segment being read is
    awaited by the others (no second read); one that failed is forgotten, so a retry reads it again."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: OrderedDict[tuple[str, int], Future[bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def claim(self, key: tuple[str, int]) -> tuple[Future[bytes], bool]:
        """The segment's future, and whether the caller must produce it (nobody has it or is reading it)."""
        with self._lock:
            future = self._items.get(key)
            if future is not None:
                self._items.move_to_end(key)
                return future, False
            future = self._items[key] = Future()
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)
            return future, True

    def fill(self, key: tuple[str, int], future: Future[bytes], produce: Callable[[], bytes]) -> None:
        try:
            future.set_result(produce())
        except BaseException as exc:
            future.set_exception(exc)
            with self._lock:
                if self._items.get(key) is future:
                    del self._items[key]


class RateLimiter:
    """A token bucket per address: `burst` requests at once, then `rate` per second."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, who: str) -> float:
        """0 if allowed now, else the seconds until a request would be."""
        now = time.monotonic()
        if len(self._buckets) > 10_000:  # forget addresses whose bucket has refilled: memory stays bounded
            full = self.burst / self.rate
            self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < full}
        tokens, last = self._buckets.get(who, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        if tokens < 1.0:
            self._buckets[who] = (tokens, now)
            return (1.0 - tokens) / self.rate
        self._buckets[who] = (tokens - 1.0, now)
        return 0.0


@dataclass
class _Opened:
    served: ServedDataset
    opener: crypto.SegmentOpener


def _error(status: int, message: str, **extra: Any) -> web.Response:
    body = {"error": message, **extra}
    headers = {"X-Aitrail-Record-Tx": str(extra["tx"])} if "tx" in extra else None
    return web.json_response(body, status=status, headers=headers)


@dataclass
class Gateway:
    session: Session
    domain: str
    home: Path
    limits: Limits = field(default_factory=Limits)

    def __post_init__(self) -> None:
        self.nonces = NonceBook(self.home / "gateway-nonces")
        self.tokens: dict[str, tuple[str, float]] = {}
        self.rate = RateLimiter(self.limits.rate, self.limits.burst)
        self.login_rate = RateLimiter(self.limits.rate, self.limits.burst)
        self.denial_budget = RateLimiter(
            self.limits.denials_per_minute / 60.0, self.limits.denials_per_minute
        )
        self.streams = asyncio.Semaphore(self.limits.streams)
        # Chain calls and sign-in bookkeeping (mostly waiting on I/O), apart from the segment readers.
        self.pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="gateway")
        self.readers = ThreadPoolExecutor(max_workers=READERS, thread_name_prefix="gateway-read")
        self._chain_lock = threading.Lock()  # one sender: transactions go out one at a time
        self._served: dict[int, ServedDataset] = {}
        self._opened: dict[int, _Opened] = {}
        self._refreshed_at = -1
        # A verified copy of the ciphertext blocks in the gateway's own home, filled on first read: the
        # IPFS node's RPC (one HTTP request per 256 KiB block) would otherwise bound every transfer.
        # Ciphertext only; every read re-hashes the block, a corrupt cached one is dropped and re-fetched.
        self.cache = LocalStore(self.home / "gateway-cache")
        self.segments = SegmentCache(self.limits.cached_segments)

    async def _blocking(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.pool, fn, *args)

    # --- served datasets -------------------------------------------------------------------------

    def refresh(self) -> None:
        """Re-read this gateway's authorisations (a dataset handed over since the start)."""
        with self._chain_lock:
            block = self._latest_block()  # read first: the events read next reach at least this block
            self._served = served_datasets(self.session)
            self._refreshed_at = block

    def _latest_block(self) -> int:
        registry = self.session.suite.datasets
        return int(registry.sender.rpc(lambda: registry.w3.eth.block_number))

    def _opened_dataset(self, dataset_id: int) -> _Opened | None:
        # A dataset handed over since the last read came in a newer block: re-read then, and only then, so
        # it is served at once and a stream of requests for unserved ids costs one eth_blockNumber each.
        if dataset_id not in self._served and self._latest_block() != self._refreshed_at:
            self.refresh()
        served = self._served.get(dataset_id)
        if served is None:
            return None
        cached = self._opened.get(dataset_id)
        if cached is not None and cached.served is served:
            return cached
        root = served.record.cid
        size = (
            dagpb.decode_unixfs(dagpb.decode_node(self.get_block(root)).data or b"").filesize
            if root.codec == 0x70
            else len(self.get_block(root))
        )
        # The first leaf holds the whole header (leaves are 256 KiB; a one-block file is at least 38 bytes).
        header = next(read_file_from(self.get_block, root, 0), b"")[: crypto.HEADER_SIZE]
        opened = _Opened(served, crypto.SegmentOpener(served.data_key, header, int(size or 0), str(root)))
        self._opened[dataset_id] = opened
        return opened

    def get_block(self, cid: CID) -> bytes:
        if self.cache.has(cid):
            try:
                return self.cache.get_block(cid)
            except BlockCorruptedError:
                log.warning("cached block %s is corrupted; fetching it again", cid)
                self.cache.delete_block(cid)
        block = self.session.store.get_block(cid)  # verified against its CID by the store
        self.cache.put_block(cid, block)
        return block

    def _read_segment(self, opened: _Opened, index: int) -> bytes:
        """One segment's plaintext, read from the blocks that hold it alone, authenticated."""
        opener = opened.opener
        offset = crypto.HEADER_SIZE + index * opener.sealed_size
        want = opener.sealed_length(index)
        pending = bytearray()
        for block in read_file_from(self.get_block, opened.served.record.cid, offset):
            pending += block
            if len(pending) >= want:
                break
        if len(pending) < want:
            raise DecryptionError(str(opened.served.record.cid), f"truncated in segment {index}")
        return opener.open(index, bytes(pending[:want]))

    async def _segment(self, opened: _Opened, index: int) -> bytes:
        """A segment from the shared cache; only its first asker reads it, on the small reader pool (the
        work is CPU-bound hashing and AES: more threads than cores would only hold more buffers), and
        every other asker waits in the event loop, holding no thread."""
        key = (str(opened.served.record.cid), index)
        future, mine = self.segments.claim(key)
        if mine:
            produce = partial(self._read_segment, opened, index)
            asyncio.get_running_loop().run_in_executor(self.readers, self.segments.fill, key, future, produce)
        return await asyncio.wrap_future(future)

    # --- chain -----------------------------------------------------------------------------------

    def _record(self, dataset_id: int, researcher: str) -> tuple[bool, int, str]:
        with self._chain_lock:
            allowed, reason, receipt = self.session.suite.datasets.record_gateway_access(
                dataset_id, researcher
            )
        return allowed, reason, receipt["transactionHash"].to_0x_hex()

    # --- handlers --------------------------------------------------------------------------------

    async def nonce(self, request: web.Request) -> web.Response:
        # Unauthenticated and written to disk: limited per remote address like data requests are.
        wait = self.login_rate.take(request.remote or "")
        if wait:
            retry = max(1, int(wait + 0.999))
            return web.json_response(
                {"error": f"too many sign-in attempts from {request.remote}; retry in {retry} s"},
                status=429,
                headers={"Retry-After": str(retry)},
            )
        nonce = await self._blocking(self.nonces.issue)
        return web.json_response(
            {
                "nonce": nonce,
                "domain": self.domain,
                "chainId": self.session.chain_id,
                "statement": siwe.STATEMENT,
            }
        )

    async def login(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
            text, signature = str(body["message"]), str(body["signature"])
        except (json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError):
            return _error(400, "the login body must be JSON with 'message' and 'signature'")
        now = datetime.now(UTC)
        try:
            message = siwe.verify(
                text, signature, domain=self.domain, chain_id=self.session.chain_id, now=now
            )
            await self._blocking(self.nonces.use, message.nonce)
        except SiweError as exc:
            return _error(401, f"sign-in refused: {exc}")
        token = secrets.token_urlsafe(32)
        expires = min(message.expiration_time.timestamp(), time.time() + MAX_SESSION)
        self.tokens[token] = (message.address, expires)
        return web.json_response({"token": token, "address": message.address, "expires": int(expires)})

    def _authenticated(self, request: web.Request) -> str | None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        entry = self.tokens.get(token) if scheme == "Bearer" else None
        if entry is None or entry[1] <= time.time():
            self.tokens.pop(token, None)
            return None
        return entry[0]

    async def dataset(self, request: web.Request) -> web.StreamResponse:
        raw_id = request.match_info["id"]
        if not _ID.match(raw_id) or int(raw_id) == 0:
            return _error(400, f"malformed dataset id {raw_id[:40]!r}: a positive decimal number")
        dataset_id = int(raw_id)
        who = self._authenticated(request)
        if who is None:
            return _error(401, "not signed in (or the session expired): POST /siwe/login first")
        wait = self.rate.take(who)
        if wait:
            retry = max(1, int(wait + 0.999))
            return web.json_response(
                {"error": f"rate limit of {who} reached; retry in {retry} s"},
                status=429,
                headers={"Retry-After": str(retry)},
            )
        byte_range = request.headers.get("Range")
        try:
            opened = await self._blocking(self._opened_dataset, dataset_id)
        except ChainError as exc:
            return _error(503, f"cannot check the chain, so nothing is served: {exc}")
        except AitrailError as exc:
            return _error(502, f"dataset {dataset_id} cannot be read: {exc}")
        if opened is None:
            return _error(404, f"dataset {dataset_id} is not served by this gateway")
        try:
            # Economic guard: signing in costs a fresh key nothing, recording costs the gateway gas. A
            # denial the registry's view already predicts spends from a gateway-wide budget; beyond it the
            # request is refused unrecorded (429), so throwaway keys cannot drain the gateway's funds.
            # Allowed requests are always recorded; the view is not trusted for them (the record decides).
            if not await self._blocking(self.session.suite.datasets.has_access, dataset_id, who):
                wait = self.denial_budget.take("*")
                if wait:
                    retry = max(1, int(wait + 0.999))
                    return web.json_response(
                        {
                            "error": f"{who} has no access to dataset {dataset_id}, and this gateway's "
                            f"budget of recorded denials is spent; not recorded, retry in {retry} s"
                        },
                        status=429,
                        headers={"Retry-After": str(retry)},
                    )
            allowed, reason, tx = await self._blocking(self._record, dataset_id, who)
        except ChainError as exc:
            return _error(503, f"cannot check the chain, so nothing is served: {exc}")
        if not allowed:
            return _error(
                403,
                f"{who} may not fetch dataset {dataset_id}: {REASONS.get(reason, reason)}",
                tx=tx,
                reason=reason,
            )
        size = opened.opener.plain_size
        start, end = 0, size - 1
        if byte_range is not None:
            match = _RANGE.match(byte_range.strip())
            if not match:
                return _error(
                    400, f"unsupported Range {byte_range[:60]!r}: one range, bytes=START-[END]", tx=tx
                )
            start = int(match.group(1))
            end = min(size - 1, int(match.group(2))) if match.group(2) else size - 1
            if start >= size or end < start:
                return _error(
                    416, f"range start {start} is outside the {size} bytes of dataset {dataset_id}", tx=tx
                )
        async with self.streams:
            return await self._stream(request, opened, dataset_id, start, end, tx, byte_range is not None)

    async def _stream(
        self,
        request: web.Request,
        opened: _Opened,
        dataset_id: int,
        start: int,
        end: int,
        tx: str,
        partial: bool,
    ) -> web.StreamResponse:
        first_index, _, skip = opened.opener.locate(start)
        last_index = opened.opener.locate(end)[0] if end >= start else first_index - 1
        try:
            first = await self._segment(opened, first_index) if last_index >= first_index else b""
        except (StorageError, DecryptionError) as exc:
            return _error(502, f"dataset {dataset_id}: {exc}", tx=tx)
        size = opened.opener.plain_size
        response = web.StreamResponse(status=206 if partial else 200)
        response.content_length = end - start + 1
        response.content_type = "application/octet-stream"
        response.headers["Accept-Ranges"] = "bytes"
        response.headers["X-Aitrail-Record-Tx"] = tx
        response.headers["X-Aitrail-Name"] = opened.served.name
        if partial:
            response.headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        await response.prepare(request)
        limit = self.limits.stream_rate
        began = time.monotonic()
        sent, remaining = 0, end - start + 1
        try:
            for index in range(first_index, last_index + 1):
                plain = first if index == first_index else await self._segment(opened, index)
                # A view, not a copy, of the shared segment; written in pieces so that a slow reader's
                # socket buffer holds one piece, not a whole segment (memory per transfer stays small).
                chunk = memoryview(plain)[skip : skip + remaining]
                skip = 0
                remaining -= len(chunk)
                for at in range(0, len(chunk), WRITE_PIECE):
                    await response.write(chunk[at : at + WRITE_PIECE])
                sent += len(chunk)
                if limit:
                    ahead = sent / limit - (time.monotonic() - began)
                    if ahead > 0:
                        await asyncio.sleep(ahead)
        except (StorageError, DecryptionError) as exc:
            # Headers are out: the only honest signal left is a cut connection, before any bad byte.
            log.error("dataset %s: transfer cut at byte %d: %s", dataset_id, start + sent, exc)
            if request.transport is not None:
                request.transport.abort()
            return response
        await response.write_eof()
        return response


@web.middleware
async def _json_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """aiohttp's own refusals (no such route, wrong method) as the same one-line JSON errors."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return _error(exc.status, f"{exc.reason}: {request.path[:80]!r}")


@web.middleware
async def _header_limit(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    size = sum(len(k) + len(v) + 4 for k, v in request.raw_headers)
    if size > MAX_HEADER_BYTES:
        return _error(413, f"request headers of {size} bytes exceed this gateway's {MAX_HEADER_BYTES}")
    return await handler(request)


def make_app(gateway: Gateway) -> web.Application:
    # aiohttp's own header limits are raised above ours, so an oversized header meets our one-line 413
    # rather than the parser's generic 400 (the parser still bounds what one request can make us hold).
    app = web.Application(
        middlewares=[_header_limit, _json_errors],
        client_max_size=64 * 1024,
        handler_args={"max_field_size": 8 * MAX_HEADER_BYTES, "max_line_size": 8 * MAX_HEADER_BYTES},
    )
    app.router.add_get("/siwe/nonce", gateway.nonce)
    app.router.add_post("/siwe/login", gateway.login)
    app.router.add_get("/datasets/{id}", gateway.dataset)
    return app


def serve(gateway: Gateway, host: str, port: int, ready: Callable[[str], None] = lambda _: None) -> None:
    """Run until SIGINT/SIGTERM."""
    gateway.refresh()
    app = make_app(gateway)
    ready(f"gateway {gateway.session.address} serving {sorted(gateway._served)} on http://{host}:{port}")
    web.run_app(app, host=host, port=port, print=None)
