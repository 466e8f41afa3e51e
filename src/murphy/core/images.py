"""Accept photos from the public: only real JPEG, PNG and WebP, with revealing metadata removed.

The format is decided by the magic bytes and then the whole container is walked; the
file name and the declared content type are never trusted. Anything else, and anything
malformed or truncated, is refused with `ImageRefused`, whose message is a sentence for
the person who sent the file.

Metadata that can reveal where a photo was taken or who took it (EXIF with its GPS
tags, XMP, IPTC, comments, text chunks, timestamps) is removed by dropping whole
segments or chunks: the compressed image data is copied byte for byte, never decoded or
re-encoded, so there is no quality loss and no image library is needed at run time.
What a decoder needs to show the right colours is kept (JFIF, ICC profiles, Adobe APP14).

Pure and dependency-free. Every walk is a loop over the input (no recursion), does a
bounded amount of work per byte and keeps at most one cleaned copy of the file in memory.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

__all__ = ["CleanImage", "ImageRefused", "clean", "dimensions", "sniff"]

JPEG = "image/jpeg"
PNG = "image/png"
WEBP = "image/webp"

_MIB = 1024 * 1024
# Real photos have tens of segments or chunks, animations and split image data a few
# thousand; the cap keeps the per-part work on hostile files small.
_MAX_PARTS = 100_000
_EXTENSIONS = {JPEG: "jpg", PNG: "png", WEBP: "webp"}
_KINDS = {JPEG: "JPEG", PNG: "PNG", WEBP: "WebP"}


class ImageRefused(ValueError):
    """The upload is not an image Murphy accepts; the message says why, for people."""


@dataclass(frozen=True)
class CleanImage:
    """An accepted image, with what was removed from it.

    `data` is the image with metadata stripped (or the untouched upload when the reporter
    agreed to keep its metadata); `stripped` names what was removed, in the order it was
    found and without repeats, e.g. ``("EXIF", "XMP")``, for the timeline and the audit.
    """

    data: bytes
    media_type: str
    extension: str
    stripped: tuple[str, ...]


def sniff(data: bytes) -> str | None:
    """Return the media type that the magic bytes of `data` announce, or None.

    This only looks at the first bytes; `clean` is what checks the whole file.
    """
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(_PNG_SIGNATURE):
        return PNG
    if len(data) >= 12 and data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return WEBP
    return None


def clean(data: bytes, *, keep_metadata: bool = False, max_bytes: int = 10 * _MIB) -> CleanImage:
    """Check that `data` is a whole JPEG, PNG or WebP image and strip its metadata.

    The structure is always checked in full. With `keep_metadata` the original bytes
    are returned unchanged and `stripped` is empty; otherwise the metadata segments or
    chunks are dropped without touching the image data. Data appended after a JPEG's
    end (an Ultra HDR gain map, or a hidden file) is always cut off, and then the
    metadata goes too, whatever `keep_metadata` says. Raises `ImageRefused` (and
    nothing else) when the file is empty, larger than `max_bytes`, not one of the three
    formats, or damaged.
    """
    if not data:
        raise ImageRefused("the file is empty")
    if len(data) > max_bytes:
        raise ImageRefused(f"the file is larger than the {_mib(max_bytes)} MiB limit")
    media_type = sniff(data)
    if media_type is None:
        raise ImageRefused("the file is not a JPEG, PNG or WebP image")
    walk = _WALKERS[media_type]
    cleaned, stripped = walk(bytes(data))
    if keep_metadata and APPENDED not in stripped:
        # The original. Something appended after a JPEG is never kept: then the picture
        # is stored cleaned, metadata and all (the list says so).
        cleaned, stripped = bytes(data), []
    return CleanImage(
        data=cleaned,
        media_type=media_type,
        extension=_EXTENSIONS[media_type],
        stripped=tuple(dict.fromkeys(stripped)),
    )


def dimensions(image: CleanImage) -> tuple[int, int]:
    """The width and height in pixels of an image `clean` accepted, read from its header
    (the JPEG frame header, the PNG IHDR chunk, the WebP VP8, VP8L or VP8X header)."""
    data = image.data
    if image.media_type == PNG:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if image.media_type == JPEG:
        return _jpeg_dimensions(data)
    return _webp_dimensions(data)


def _jpeg_dimensions(data: bytes) -> tuple[int, int]:
    marker, pos = _jpeg_marker(data, 2)
    while marker not in _SOF:
        marker, pos = _jpeg_marker(data, _jpeg_segment_end(data, pos))
    frame = data[pos + 2 : pos + 7]  # precision, height, width
    return int.from_bytes(frame[3:5], "big"), int.from_bytes(frame[1:3], "big")


def _webp_dimensions(data: bytes) -> tuple[int, int]:
    fourcc, head = data[12:16], data[20:30]
    if fourcc == b"VP8X":
        return int.from_bytes(head[4:7], "little") + 1, int.from_bytes(head[7:10], "little") + 1
    if fourcc == b"VP8L":
        bits = int.from_bytes(head[1:5], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return int.from_bytes(head[6:8], "little") & 0x3FFF, int.from_bytes(
        head[8:10], "little"
    ) & 0x3FFF


def _mib(size: int) -> str:
    """`size` in MiB for people: "10", "0.5", and two significant digits below 0.01."""
    text = f"{size / _MIB:.2f}".rstrip("0").rstrip(".")
    return text if text != "0" else f"{size / _MIB:.2g}"


def _count_part(media_type: str, count: int) -> int:
    """Count one more segment or chunk, refusing files made of absurdly many."""
    if count >= _MAX_PARTS:
        raise ImageRefused(
            f"the {_KINDS[media_type]} image is made of too many parts to be a real photo"
        )
    return count + 1


def _truncated(media_type: str) -> ImageRefused:
    return ImageRefused(f"the {_KINDS[media_type]} image is incomplete (the file is cut short)")


def _damaged(media_type: str, why: str) -> ImageRefused:
    return ImageRefused(f"the {_KINDS[media_type]} image is damaged ({why})")


def _trailing(media_type: str) -> ImageRefused:
    return ImageRefused(
        f"the {_KINDS[media_type]} image has extra data after its end, which is not allowed"
    )


# --- JPEG ------------------------------------------------------------------------------

_SOI, _EOI, _SOS, _COM = 0xD8, 0xD9, 0xDA, 0xFE
APPENDED = "appended data"  # what followed a JPEG's end (an HDR gain map, a hidden file)
_APP0, _APP1, _APP2, _APP13, _APP14 = 0xE0, 0xE1, 0xE2, 0xED, 0xEE
_SOF = frozenset((0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF))
# Markers with no length that may not appear between segments: TEM, RST0-7, SOI and the
# 0x00 of byte stuffing.
_JPEG_BAD_MARKERS = frozenset((0x00, 0x01, 0xD0, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, _SOI))
# In entropy-coded data 0xFF is followed by 0x00 (stuffing), a restart marker or more
# 0xFF (fill); anything else is the next marker. A fixed two-byte pattern: linear time.
_MARKER_IN_SCAN = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
_FILL = re.compile(rb"\xff+")
_XMP_PREFIXES = (b"http://ns.adobe.com/xap/1.0/\x00", b"http://ns.adobe.com/xmp/extension/\x00")
# The application segments a decoder needs for the right colours, kept when they carry
# what they are meant to: JFIF, an ICC profile, the Adobe colour transform.
_JPEG_KEEP = {_APP0: b"JFIF\x00", _APP2: b"ICC_PROFILE\x00", _APP14: b"Adobe"}


def _jpeg_metadata(marker: int, payload: bytes) -> str | None:
    """The name of the metadata in this segment if it is to be dropped, else None."""
    if marker == _COM:
        return "comment"
    if marker == _APP1:
        if payload.startswith(b"Exif\x00"):
            return "EXIF"
        if payload.startswith(_XMP_PREFIXES):
            return "XMP"
        return "APP1"
    if marker == _APP13:
        return "IPTC" if payload.startswith(b"Photoshop 3.0\x00") else "APP13"
    if marker in _JPEG_KEEP:
        if payload.startswith(_JPEG_KEEP[marker]):
            return None
        if marker == _APP0 and payload.startswith(b"JFXX\x00"):
            return "thumbnail"
        return f"APP{marker - _APP0}"
    if _APP0 <= marker <= 0xEF:
        return f"APP{marker - _APP0}"
    return None


def _jpeg_check_header(marker: int, payload: bytes, seen_frame: bool) -> None:
    """Check the few fields that fix the length of frame and scan headers."""
    if marker in _SOF:
        if len(payload) < 6 or len(payload) != 6 + 3 * payload[5]:
            raise _damaged(JPEG, "bad frame header")
    elif marker == _SOS:
        if not seen_frame:
            raise _damaged(JPEG, "image data before the frame header")
        if len(payload) < 1 or len(payload) != 4 + 2 * payload[0] or payload[0] == 0:
            raise _damaged(JPEG, "bad scan header")


def _jpeg_marker(data: bytes, pos: int) -> tuple[int, int]:
    """Read the marker at `pos` (after any 0xFF fill bytes); return it and the next offset."""
    if pos >= len(data):
        raise _truncated(JPEG)
    fill = _FILL.match(data, pos)
    if fill is None:
        raise _damaged(JPEG, "a segment does not start with a marker")
    pos = fill.end()
    if pos >= len(data):
        raise _truncated(JPEG)
    marker = data[pos]
    if marker in _JPEG_BAD_MARKERS:
        raise _damaged(JPEG, "unexpected marker")
    return marker, pos + 1


def _jpeg_segment_end(data: bytes, pos: int) -> int:
    """The offset just past the segment whose two-byte length is at `pos`."""
    if pos + 2 > len(data):
        raise _truncated(JPEG)
    length = int.from_bytes(data[pos : pos + 2], "big")
    if length < 2:
        raise _damaged(JPEG, "bad segment length")
    if pos + length > len(data):
        raise _truncated(JPEG)
    return pos + length


def _clean_jpeg(data: bytes) -> tuple[bytes, list[str]]:
    """Walk the segments from SOI to EOI, dropping metadata and copying scans unchanged."""
    out: list[bytes] = [data[:2]]
    stripped: list[str] = []
    seen_frame = seen_scan = False
    count = 0
    marker, pos = _jpeg_marker(data, 2)
    while marker != _EOI:
        count = _count_part(JPEG, count)
        end = _jpeg_segment_end(data, pos)
        payload = data[pos + 2 : end]
        _jpeg_check_header(marker, payload, seen_frame)
        seen_frame = seen_frame or marker in _SOF
        name = _jpeg_metadata(marker, payload)
        if name is not None:
            stripped.append(name)
        else:
            if marker == _SOS:
                seen_scan = True
                found = _MARKER_IN_SCAN.search(data, end)
                if found is None:
                    raise _truncated(JPEG)
                end = found.start()
            out.append(data[pos - 2 : end])  # 0xFF, the marker, the segment, any scan data
        marker, pos = _jpeg_marker(data, end)
    if not seen_scan:
        raise _damaged(JPEG, "there is no image data")
    if data.count(0, pos) != len(data) - pos:
        # Data after the end: an Ultra HDR gain map or a depth map (many phones write
        # them), or a file hidden behind the picture. The picture is complete without it.
        stripped.append(APPENDED)
    out.append(b"\xff\xd9")
    return b"".join(out), stripped


# --- PNG -------------------------------------------------------------------------------

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_MAX_LENGTH = 2**31 - 1
_PNG_TEXT = frozenset((b"tEXt", b"zTXt", b"iTXt"))
_PNG_TEXT_NAMES = {
    b"xml:com.adobe.xmp": "XMP",
    b"raw profile type exif": "EXIF",
    b"raw profile type app1": "EXIF",
    b"raw profile type xmp": "XMP",
    b"raw profile type iptc": "IPTC",
    b"raw profile type 8bim": "IPTC",
}


def _png_metadata(ctype: bytes, payload: memoryview) -> str | None:
    """The name of the metadata in this chunk if it is to be dropped, else None."""
    if ctype == b"eXIf":
        return "EXIF"
    if ctype == b"tIME":
        return "timestamp"
    if ctype in _PNG_TEXT:
        keyword = bytes(payload[:80]).split(b"\x00", 1)[0].lower()
        return _PNG_TEXT_NAMES.get(keyword, "text")
    return None


def _png_check_order(ctype: bytes, index: int, length: int, seen_idat: bool) -> None:
    """IHDR comes first and only first; IEND is empty and follows image data."""
    if (index == 0) != (ctype == b"IHDR"):
        raise _damaged(PNG, "the header chunk is missing or misplaced")
    if ctype == b"IHDR" and length != 13:
        raise _damaged(PNG, "bad header chunk")
    if ctype == b"IEND" and (length != 0 or not seen_idat):
        raise _damaged(PNG, "there is no image data" if not seen_idat else "bad end chunk")


def _clean_png(data: bytes) -> tuple[bytes, list[str]]:
    """Walk the chunks from IHDR to IEND, checking every CRC and dropping metadata."""
    view = memoryview(data)
    size = len(data)
    out: list[bytes] = [_PNG_SIGNATURE]
    stripped: list[str] = []
    seen_idat = False
    pos = len(_PNG_SIGNATURE)
    index = 0
    while True:
        _count_part(PNG, index)
        if pos + 12 > size:
            raise _truncated(PNG)
        length = int.from_bytes(data[pos : pos + 4], "big")
        ctype = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if length > _PNG_MAX_LENGTH:
            raise _damaged(PNG, "bad chunk length")
        if end > size:
            raise _truncated(PNG)
        if not ctype.isalpha():
            raise _damaged(PNG, "bad chunk type")
        if zlib.crc32(view[pos + 4 : end - 4]) != int.from_bytes(data[end - 4 : end], "big"):
            raise _damaged(PNG, "a checksum does not match")
        _png_check_order(ctype, index, length, seen_idat)
        seen_idat = seen_idat or ctype == b"IDAT"
        name = _png_metadata(ctype, view[pos + 8 : end - 4])
        if name is None:
            out.append(data[pos:end])
        else:
            stripped.append(name)
        pos = end
        index += 1
        if ctype == b"IEND":
            break
    if pos != size:
        raise _trailing(PNG)
    return b"".join(out), stripped


# --- WebP ------------------------------------------------------------------------------

_VP8X_EXIF, _VP8X_XMP = 0x08, 0x04
_WEBP_METADATA = {b"EXIF": "EXIF", b"XMP ": "XMP"}
_WEBP_FIRST = frozenset((b"VP8 ", b"VP8L", b"VP8X"))
_WEBP_IMAGE = frozenset((b"VP8 ", b"VP8L", b"ANMF"))


def _webp_check_chunk(fourcc: bytes, length: int, head: bytes, index: int) -> None:
    """The first chunk says the layout; VP8, VP8L and VP8X have fixed-size starts.

    `head` is the start of the chunk's payload, `length` the payload's full size.
    """
    if any(c < 0x20 or c > 0x7E for c in fourcc):
        raise _damaged(WEBP, "bad chunk name")
    if index == 0 and fourcc not in _WEBP_FIRST:
        raise _damaged(WEBP, "the first chunk is not an image header")
    if index > 0 and fourcc == b"VP8X":
        raise _damaged(WEBP, "the extended header is misplaced")
    if fourcc == b"VP8X" and length != 10:
        raise _damaged(WEBP, "bad extended header")
    if fourcc == b"VP8 " and (length < 10 or head[3:6] != b"\x9d\x01\x2a"):
        raise _damaged(WEBP, "bad lossy image data")
    if fourcc == b"VP8L" and (length < 5 or head[0] != 0x2F):
        raise _damaged(WEBP, "bad lossless image data")


def _clean_webp(data: bytes) -> tuple[bytes, list[str]]:
    """Walk the RIFF chunks, dropping EXIF and XMP and clearing their VP8X flags."""
    size = len(data)
    riff_size = int.from_bytes(data[4:8], "little")
    if riff_size + 8 > size:
        raise _truncated(WEBP)
    if riff_size + 8 < size:
        raise _trailing(WEBP)
    out: list[bytes] = []
    stripped: list[str] = []
    seen_image = False
    pos = 12
    index = 0
    while pos < size:
        _count_part(WEBP, index)
        if pos + 8 > size:
            raise _truncated(WEBP)
        fourcc = data[pos : pos + 4]
        length = int.from_bytes(data[pos + 4 : pos + 8], "little")
        end = pos + 8 + length + (length & 1)  # odd-sized chunks are padded to even
        if end > size:
            raise _truncated(WEBP)
        head = data[pos + 8 : pos + 8 + min(length, 10)]
        _webp_check_chunk(fourcc, length, head, index)
        seen_image = seen_image or fourcc in _WEBP_IMAGE
        if fourcc in _WEBP_METADATA:
            stripped.append(_WEBP_METADATA[fourcc])
        elif fourcc == b"VP8X":
            flags = head[0] & ~(_VP8X_EXIF | _VP8X_XMP)
            out.append(data[pos : pos + 8] + bytes((flags,)) + data[pos + 9 : end])
        else:
            out.append(data[pos:end])
        pos = end
        index += 1
    if not seen_image:
        raise _damaged(WEBP, "there is no image data")
    body = b"".join(out)
    return b"RIFF" + (len(body) + 4).to_bytes(4, "little") + b"WEBP" + body, stripped


_WALKERS = {JPEG: _clean_jpeg, PNG: _clean_png, WEBP: _clean_webp}
