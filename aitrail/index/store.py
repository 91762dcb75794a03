"""The event index on disk: one SQLite file per chain in AITRAIL_HOME/index/<chain id>.sqlite (WAL).

Tables
  sources  one row per indexed contract address: its contract name (for decoding), the block it is read
           from, and `synced_to`, the checkpoint: every log of that address up to that block is stored.
  logs     raw logs (topics and data), key (block, log index): a log is stored at most once. Indexed by
           (event, first indexed argument) and (event, second): the dataset, model or version id the
           audits filter on. The contract address is checked on the rows found: an index more costs
           every insert, and no audit filters on the third argument alone.
  blocks   the hash (and time) of every block a log was read from and of every range's last block: the
           reorg check compares them with the chain.
  tx_to    the `to` of a transaction, cached the first time an audit asks (final transactions never change).

A synced range's logs, block hashes and checkpoint are written in one transaction: killed at any point,
the file holds either the whole range or none of it, so the next sync neither skips nor repeats a log.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Generator, Iterable, Sequence
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS sources (
    address TEXT PRIMARY KEY, contract TEXT NOT NULL, from_block INTEGER NOT NULL, synced_to INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS logs (
    block INTEGER NOT NULL, log_index INTEGER NOT NULL, block_hash BLOB NOT NULL, tx_hash BLOB NOT NULL,
    address TEXT NOT NULL, topic0 BLOB, topic1 BLOB, topic2 BLOB, topic3 BLOB, data BLOB NOT NULL,
    PRIMARY KEY (block, log_index)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS logs_topic1 ON logs (topic0, topic1);
CREATE INDEX IF NOT EXISTS logs_topic2 ON logs (topic0, topic2);
CREATE TABLE IF NOT EXISTS blocks (number INTEGER PRIMARY KEY, hash BLOB NOT NULL, time INTEGER);
CREATE TABLE IF NOT EXISTS tx_to (tx_hash BLOB PRIMARY KEY, to_address TEXT NOT NULL);
"""

Row = tuple[Any, ...]
# (block, log index) packed as block * _PACK + log index: a block holds far fewer than 2**32 logs.
_PACK = 1 << 32


class IndexStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, isolation_level=None, timeout=60)
        self.db.execute("PRAGMA journal_mode=WAL")
        # FULL: a range reported synced is on disk even if the machine loses power right after.
        self.db.execute("PRAGMA synchronous=FULL")
        # 64 MiB of page cache: a range of 100,000 logs is inserted without re-reading index pages.
        self.db.execute("PRAGMA cache_size=-65536")
        self.db.executescript(SCHEMA)
        self._known_for: tuple[Any, int] | None = None

    def close(self) -> None:
        self.db.close()

    # --- sources and checkpoints ---

    def sources(self) -> dict[str, tuple[str, int, int]]:
        rows = self.db.execute("SELECT address, contract, from_block, synced_to FROM sources")
        return {a: (c, f, s) for a, c, f, s in rows}

    def add_source(self, address: str, contract: str, from_block: int) -> None:
        self.db.execute(
            "INSERT OR IGNORE INTO sources VALUES (?, ?, ?, ?)",
            (address, contract, from_block, from_block - 1),
        )

    def commit_range(
        self,
        addresses: Sequence[str],
        end: int,
        logs: Iterable[dict[str, Any]],
        blocks: dict[int, tuple[bytes, int | None]],
    ) -> int:
        """Store one range's logs and block hashes and move the checkpoint of `addresses` to `end`,
        all or nothing."""
        rows = []
        unhex = bytes.fromhex
        for log in logs:
            topics: list[bytes | None] = [unhex(t[2:]) for t in log["topics"]]
            topics += [None] * (4 - len(topics))
            rows.append(
                (
                    int(log["blockNumber"], 16),
                    int(log["logIndex"], 16),
                    unhex(log["blockHash"][2:]),
                    unhex(log["transactionHash"][2:]),
                    log["address"].lower(),
                    *topics[:4],
                    unhex(log["data"][2:]),
                )
            )
        cur = self.db.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            cur.executemany("INSERT INTO logs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            cur.executemany(
                "INSERT OR REPLACE INTO blocks VALUES (?, ?, ?)",
                [(n, h, t) for n, (h, t) in blocks.items()],
            )
            cur.executemany(
                "UPDATE sources SET synced_to = ? WHERE address = ?", [(end, a) for a in addresses]
            )
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        return len(rows)

    # --- reorgs ---

    def recorded_blocks(self, at_most: int) -> Generator[tuple[int, bytes], None, None]:
        """Stored block hashes from `at_most` down, newest first, read lazily: a reorg check usually
        needs only the first."""
        rows = self.db.execute(
            "SELECT number, hash FROM blocks WHERE number <= ? ORDER BY number DESC", (at_most,)
        )
        for number, digest in rows:
            yield int(number), bytes(digest)

    def roll_back_to(self, block: int) -> int:
        """Forget everything after `block` (the last block still on the chain); returns the logs dropped."""
        cur = self.db.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            dropped = cur.execute("DELETE FROM logs WHERE block > ?", (block,)).rowcount
            cur.execute("DELETE FROM blocks WHERE number > ?", (block,))
            cur.execute(
                "UPDATE sources SET synced_to = max(from_block - 1, ?) WHERE synced_to > ?", (block, block)
            )
            cur.execute("DELETE FROM tx_to WHERE tx_hash NOT IN (SELECT tx_hash FROM logs)")
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        return int(dropped)

    # --- reads ---

    def select(
        self,
        address: str,
        topic0: bytes,
        topics: dict[int, bytes],
        up_to: int | None = None,
        newest: int | None = None,
    ) -> list[Row]:
        """Matching rows in chain order; with `newest`, only the newest that many (still in chain order)."""
        where, params = self._where(address, topic0, topics, up_to)
        sql = (
            "SELECT block, log_index, block_hash, tx_hash, topic0, topic1, topic2, topic3, data, "
            f"(SELECT time FROM blocks WHERE number = block) FROM logs WHERE {where}"
        )
        if newest is None:
            return list(self.db.execute(sql + " ORDER BY block, log_index", params))
        rows = list(self.db.execute(sql + " ORDER BY block DESC, log_index DESC LIMIT ?", [*params, newest]))
        return rows[::-1]

    def count_where(self, address: str, topic0: bytes, topics: dict[int, bytes]) -> int:
        where, params = self._where(address, topic0, topics, None)
        return int(self.db.execute(f"SELECT count(*) FROM logs WHERE {where}", params).fetchone()[0])

    @staticmethod
    def _where(
        address: str, topic0: bytes, topics: dict[int, bytes], up_to: int | None
    ) -> tuple[str, list[Any]]:
        where = ["topic0 = ?", "address = ?"]
        params: list[Any] = [topic0, address.lower()]
        for position, value in sorted(topics.items()):
            where.append(f"topic{position} = ?")
            params.append(value)
        if up_to is not None:
            where.append("block <= ?")
            params.append(up_to)
        return " AND ".join(where), params

    def _known(self, address: str, subject: bytes, sources: Sequence[tuple[bytes, int]]) -> str:
        """The temporary table `known_accounts`, filled in SQL with the account topics of `sources`
        ((topic0, position of the account's topic) of events whose topic1 is the subject): the accounts
        that own, requested or hold the dataset, probed by the queries below with no Python row."""
        key = (address.lower(), subject, tuple(sources))
        if self._known_for == (key, self.db.total_changes):  # same set, nothing written since: reuse it
            return "(SELECT topic FROM temp.known_accounts)"
        cur = self.db.cursor()
        cur.execute("CREATE TEMP TABLE IF NOT EXISTS known_accounts (topic BLOB PRIMARY KEY) WITHOUT ROWID")
        cur.execute("DELETE FROM temp.known_accounts")
        for topic0, position in sources:
            if position not in (2, 3):
                raise ValueError(f"an account is read from topic 2 or 3, not {position}")
            cur.execute(
                f"INSERT OR IGNORE INTO temp.known_accounts SELECT topic{position} FROM logs "
                "WHERE topic0 = ? AND topic1 = ? AND address = ?",
                (topic0, subject, address.lower()),
            )
        self._known_for = (key, self.db.total_changes)
        return "(SELECT topic FROM temp.known_accounts)"

    def attempts(
        self,
        address: str,
        topic0: bytes,
        subject: bytes,
        known: Sequence[tuple[bytes, int]],
        strangers: bool,
        newest: int | None = None,
    ) -> tuple[int, list[Row]]:
        """Rows of an event indexed (subject, account, allowed), like AccessLogged: with `strangers`
        False the attempts the trail lists (allowed, or by an account `known` names, see _known), with
        True the others, the denied attempts of everybody else, which the caller summarises. The split
        is made here, in SQL: a dataset drowned in strangers' attempts costs its audit no Python work per
        row, and neither do its 50,000 grantees."""
        listed = f"(topic3 != ? OR topic2 IN {self._known(address, subject, known)})"
        where = f"topic0 = ? AND topic1 = ? AND address = ? AND {'NOT ' if strangers else ''}{listed}"
        params = [topic0, subject, address.lower(), bytes(32)]
        sql = (
            "SELECT block, log_index, block_hash, tx_hash, topic0, topic1, topic2, topic3, data, "
            f"(SELECT time FROM blocks WHERE number = block) FROM logs WHERE {where} "
        )
        if newest is None:
            rows = list(self.db.execute(sql + "ORDER BY block, log_index", params))
            return len(rows), rows
        count = int(self.db.execute(f"SELECT count(*) FROM logs WHERE {where}", params).fetchone()[0])
        rows = list(self.db.execute(sql + "ORDER BY block DESC, log_index DESC LIMIT ?", [*params, newest]))
        return count, rows[::-1]

    def stranger_summary(
        self, address: str, topic0: bytes, subject: bytes, known: Sequence[tuple[bytes, int]]
    ) -> tuple[int, list[bytes], Row | None]:
        """How many denied attempts by accounts outside those `known` names (see `attempts`), their
        distinct account topics, and the last such row (in chain order), counted in SQL."""
        where = (
            "topic0 = ? AND topic1 = ? AND address = ? AND topic3 = ? "
            f"AND topic2 NOT IN {self._known(address, subject, known)}"
        )
        params = [topic0, subject, address.lower(), bytes(32)]
        # One pass: per account its count and its last (block, log index), packed in one integer.
        groups = list(
            self.db.execute(
                f"SELECT topic2, count(*), max(block * {_PACK} + log_index) FROM logs WHERE {where} "
                "GROUP BY topic2",
                params,
            )
        )
        if not groups:
            return 0, [], None
        block, index = divmod(max(int(g[2]) for g in groups), _PACK)
        last = self.db.execute(
            "SELECT block, log_index, block_hash, tx_hash, topic0, topic1, topic2, topic3, data, "
            "(SELECT time FROM blocks WHERE number = block) FROM logs WHERE block = ? AND log_index = ?",
            (block, index),
        ).fetchone()
        return sum(int(g[1]) for g in groups), [bytes(g[0]) for g in groups], last

    def block_time(self, number: int) -> int | None:
        row = self.db.execute("SELECT time FROM blocks WHERE number = ?", (number,)).fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM logs").fetchone()[0])

    def tx_to(self, tx_hash: bytes) -> str | None:
        row = self.db.execute("SELECT to_address FROM tx_to WHERE tx_hash = ?", (tx_hash,)).fetchone()
        return None if row is None else str(row[0])

    def remember_tx_to(self, tx_hash: bytes, to: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO tx_to VALUES (?, ?)", (tx_hash, to))
