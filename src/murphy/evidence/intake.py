"""Taking a file in and giving it out. In: its bytes streamed into the blob store as they
arrive, its first bytes checked against its declared type, the store's size limit
enforced on the way; a refused file leaves nothing behind. Out: streamed from the store."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from fastapi.responses import StreamingResponse

from murphy.core.blobs import BlobStore, Stored, TooLarge
from murphy.core.errors import PayloadTooLarge
from murphy.evidence import rules
from murphy.evidence.schemas import EvidenceOut


async def receive(chunks: AsyncIterator[bytes], store: BlobStore, media_type: str) -> Stored:
    """Write the stream to a new blob; refused (and removed) if its head is not `media_type`
    or it outgrows the store's limit."""
    writer = store.writer()
    head = b""
    try:
        async for chunk in chunks:
            if len(head) < rules.SNIFF_BYTES:
                head += chunk[: rules.SNIFF_BYTES - len(head)]
                if len(head) >= rules.SNIFF_BYTES:
                    rules.check_content(media_type, head)
            writer.write(chunk)
        if len(head) < rules.SNIFF_BYTES:
            rules.check_content(media_type, head)
        return writer.finish()
    except TooLarge as exc:
        raise PayloadTooLarge(f"the file is too large: {exc}; split it or ask an admin") from None
    except Exception:
        writer.abort()
        raise


def stream(blobs: BlobStore, key: str, found: EvidenceOut, *, download: bool) -> StreamingResponse:
    """The blob as a response: its type, length, digest and a safe file name."""
    disposition = "attachment" if download else "inline"
    name = (found.filename or "evidence").encode("ascii", "replace").decode().replace('"', "'")
    headers = {
        "Content-Disposition": f'{disposition}; filename="{name}"',
        "Content-Length": str(found.size or 0),
        "Digest": f"sha-256={found.sha256}",
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }

    def chunks() -> Iterator[bytes]:
        yield from blobs.read(key)

    return StreamingResponse(chunks(), media_type=found.media_type, headers=headers)
