"""Evidence upload: a large video streamed to the real server, hashed on the way, and the
server's memory while it happens.

    python -m bench.evidence [--db sqlite|postgresql|both] [--mb 200] [--rounds 3]

For each database: a fresh database, `murphy db upgrade`, the bench organization, an
incident, then the real server (`bench.server`, one worker, as `murphy serve` runs it)
with its own evidence directory. One small warm-up upload, then `--rounds` uploads of an
`--mb` MB MP4 (an `ftyp` header and pseudo-random bytes, generated while sent, with a
Content-Length as a phone sends it). For each: the time and MB/s, the digest the server
returned against the one computed while sending, and the server's resident memory before
and at its peak (VmHWM). Then the file is downloaded back and hashed. For the ratio, the
same bytes are hashed and written to a file in this process (what the server cannot beat).
Prints a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench import generate
from bench.run import DEFAULT_PG, Options, Server, fresh_database, murphy_cli
from murphy.core.db import Database

MB = 1024 * 1024
HEADER = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"


def video(size: int, seed: int) -> tuple[Iterator[bytes], Any]:
    """The chunks of a `size`-byte MP4 and the SHA-256 object they feed as they go."""
    digest = hashlib.sha256()
    block = random.Random(seed).randbytes(MB)

    def chunks() -> Iterator[bytes]:
        sent = 0
        while sent < size:
            chunk = (HEADER + block)[: min(MB, size - sent)] if sent == 0 else block
            chunk = chunk[: size - sent]
            digest.update(chunk)
            sent += len(chunk)
            yield chunk

    return chunks(), digest


def upload(port: int, token: str, number: str, size: int, seed: int) -> dict[str, Any]:
    """Send one file; the response and the digest computed while sending."""
    chunks, digest = video(size, seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    path = f"/api/v1/incidents/{number}/evidence/files?filename=cctv-{seed}.mp4"
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "video/mp4",
        "Content-Length": str(size),
    }
    started = time.perf_counter()
    conn.request("POST", path, body=chunks, headers=headers)
    response = conn.getresponse()
    body = json.loads(response.read() or b"{}")
    seconds = time.perf_counter() - started
    conn.close()
    if response.status != 201:
        raise SystemExit(f"upload refused: {response.status} {body}")
    return {"seconds": seconds, "out": body, "sent_sha256": digest.hexdigest()}


def download(port: int, token: str, url: str) -> tuple[float, str, int]:
    """Fetch a file back: seconds, its SHA-256 and size."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.perf_counter()
    conn.request("GET", url, headers={"Authorization": f"Bearer {token}"})
    response = conn.getresponse()
    digest, size = hashlib.sha256(), 0
    while chunk := response.read(MB):
        digest.update(chunk)
        size += len(chunk)
    conn.close()
    return time.perf_counter() - started, digest.hexdigest(), size


def local_write(size: int, directory: Path) -> float:
    """Seconds to hash the same bytes and write them to a file here (fsync'd)."""
    chunks, _ = video(size, 0)
    started = time.perf_counter()
    h = hashlib.sha256()
    with (directory / "local.bin").open("wb") as f:
        for chunk in chunks:
            h.update(chunk)
            f.write(chunk)
        f.flush()
        os.fsync(f.fileno())
    return time.perf_counter() - started


def run_one(kind: str, opts: Options, size: int, rounds: int) -> dict[str, Any]:
    """Everything for one database."""
    with fresh_database(kind, opts) as url:
        murphy_cli(url, "db", "upgrade")
        db = Database(url, pool_size=2)
        generate.ensure_world(db)
        token = generate.create_token(db, name="evidence-bench")
        db.dispose()
        work = Path(tempfile.mkdtemp(prefix="murphy-evidence-bench-"))
        os.environ["MURPHY_EVIDENCE_DIR"] = str(work / "store")
        server = Server(url, work / "server.log")
        server.start()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
            body = json.dumps({"title": "Van broken into in the car park", "site": "HQ"})
            conn.request(
                "POST",
                "/api/v1/incidents",
                body=body,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
            number = json.loads(conn.getresponse().read())["number"]
            upload(server.port, token, number, MB, 1)  # warm-up
            before = server.rss_mb()
            runs = [upload(server.port, token, number, size, 10 + i) for i in range(rounds)]
            after = server.rss_mb()
            for r in runs:
                if r["out"]["sha256"] != r["sent_sha256"] or r["out"]["size"] != size:
                    raise SystemExit("the server's digest differs from the one sent")
            back = download(server.port, token, runs[0]["out"]["url"])
            if back[1] != runs[0]["sent_sha256"] or back[2] != size:
                raise SystemExit("the file downloaded back differs")
        finally:
            server.stop()
        local = statistics.median(local_write(size, work) for _ in range(rounds))
    upload_s = statistics.median(r["seconds"] for r in runs)
    return {
        "database": kind,
        "mb": size / MB,
        "upload_s": upload_s,
        "upload_mb_s": size / MB / upload_s,
        "download_mb_s": size / MB / back[0],
        "local_mb_s": size / MB / local,
        "rss_before": before["rss"],
        "peak_before": before["peak"],
        "rss_after": after["rss"],
        "peak_after": after["peak"],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.evidence", description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--mb", type=int, default=200, help="size of the video, MB")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    args = parser.parse_args(argv)
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    opts = Options.databases_only(args.pg_url)
    rows = [run_one(kind, opts, args.mb * MB, args.rounds) for kind in kinds]
    print(
        "| database | file | upload (median) | upload MB/s | hash + write here MB/s | ratio "
        "| download MB/s | server RSS before | peak before | peak after |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(
            f"| {r['database']} | {r['mb']:.0f} MB | {r['upload_s']:.2f} s | "
            f"{r['upload_mb_s']:.0f} | {r['local_mb_s']:.0f} | "
            f"{r['upload_mb_s'] / r['local_mb_s']:.2f} | {r['download_mb_s']:.0f} | "
            f"{r['rss_before']:.0f} MiB | {r['peak_before']:.0f} MiB | {r['peak_after']:.0f} MiB |"
        )


if __name__ == "__main__":
    main()
