"""Photo uploads: format sniffing, metadata stripping without re-encoding, refusals, fuzzing.

Pillow is used here only to build real images and to decode what `clean` returns.
"""

from __future__ import annotations

import io
import time
import zlib
from collections.abc import Callable
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageCms, PngImagePlugin

from murphy.core.images import CleanImage, ImageRefused, clean, dimensions, sniff

MIB = 1024 * 1024
GPS_IFD = 0x8825
XMP_NS = b"http://ns.adobe.com/xap"
XMP_PACKET = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    b'xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="ReporterPhone 7"/>'
    b"</rdf:RDF></x:xmpmeta>"
)
SECRET = b"Taken at 12 Quiet Lane by J. Doe"


# --- builders ---------------------------------------------------------------------------


def picture(size: tuple[int, int] = (48, 32), mode: str = "RGB") -> Image.Image:
    """A deterministic image with varied pixels, so that pixel comparisons mean something."""
    width, height = size
    bands = len(mode)
    raw = bytes(
        (x * 7 + y * 13 + band * 71 + (x * y) % 17) % 256
        for y in range(height)
        for x in range(width)
        for band in range(bands)
    )
    return Image.frombytes(mode, size, raw)


def exif_with_gps() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Model X"  # Model
    exif[0x0132] = "2024:05:01 10:11:12"  # DateTime
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"  # GPSLatitudeRef
    gps[2] = (52.0, 31.0, 12.5)  # GPSLatitude
    gps[3] = "E"  # GPSLongitudeRef
    gps[4] = (13.0, 24.0, 36.0)  # GPSLongitude
    return exif


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def segment(marker: int, payload: bytes) -> bytes:
    return b"\xff" + bytes((marker,)) + (len(payload) + 2).to_bytes(2, "big") + payload


def insert_before_tables(jpeg: bytes, *segments: bytes) -> bytes:
    """Put extra segments right before the first quantisation table (after JFIF/EXIF)."""
    at = jpeg.index(b"\xff\xdb")
    return jpeg[:at] + b"".join(segments) + jpeg[at:]


def png_chunk(ctype: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(ctype + payload).to_bytes(4, "big")
    return len(payload).to_bytes(4, "big") + ctype + payload + crc


def png_chunk_types(png: bytes) -> list[bytes]:
    types, pos = [], 8
    while pos < len(png):
        length = int.from_bytes(png[pos : pos + 4], "big")
        types.append(png[pos + 4 : pos + 8])
        pos += 12 + length
    return types


def webp_chunks(webp: bytes) -> list[bytes]:
    fourccs, pos = [], 12
    while pos < len(webp):
        length = int.from_bytes(webp[pos + 4 : pos + 8], "little")
        fourccs.append(webp[pos : pos + 4])
        pos += 8 + length + (length & 1)
    return fourccs


def rewrap_riff(webp: bytes, riff_size: int) -> bytes:
    return webp[:4] + riff_size.to_bytes(4, "little") + webp[8:]


@cache
def jpeg_with_metadata() -> bytes:
    base = encode(picture(), "JPEG", quality=90, exif=exif_with_gps())
    xmp = segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + XMP_PACKET)
    comment = segment(0xFE, SECRET)
    return insert_before_tables(base, xmp, comment)


@cache
def png_with_metadata() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", SECRET.decode())
    info.add_text("Comment", "compressed secret " * 10, zip=True)
    info.add_itxt("XML:com.adobe.xmp", XMP_PACKET.decode())
    base = encode(picture(), "PNG", exif=exif_with_gps(), pnginfo=info)
    at = base.index(b"IDAT") - 4
    when = png_chunk(b"tIME", bytes((0x07, 0xE8, 5, 1, 10, 11, 12)))
    return base[:at] + when + base[at:]


@cache
def webp_with_metadata(lossless: bool = True) -> bytes:
    options: dict[str, object] = {"lossless": True} if lossless else {"quality": 80}
    return encode(picture(), "WEBP", exif=exif_with_gps(), xmp=XMP_PACKET, **options)


def assert_no_identifying_metadata(data: bytes) -> None:
    image = decode(data)
    assert dict(image.getexif()) == {}
    assert dict(image.getexif().get_ifd(GPS_IFD)) == {}
    assert b"Exif" not in data
    assert XMP_NS not in data
    assert b"ReporterPhone" not in data
    assert b"PhoneMaker" not in data
    assert SECRET not in data


# --- sniffing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\xff\xd8\xff\xe0rest", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\nrest", "image/png"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8L", "image/webp"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", None),
        (b"RIFF\x00\x00\x00\x00WEB", None),
        (b"GIF89a\x01\x00\x01\x00", None),
        (b"\xff\xd8", None),
        (b"%PDF-1.7", None),
        (b"", None),
    ],
)
def test_sniff_reads_the_magic_bytes(data: bytes, expected: str | None) -> None:
    assert sniff(data) == expected


def test_sniff_ignores_what_the_name_would_say() -> None:
    png = encode(picture(), "PNG")
    assert sniff(png) == "image/png"
    assert sniff(b"photo.jpg\n" + png) is None


# --- JPEG -------------------------------------------------------------------------------


def test_jpeg_exif_gps_xmp_and_comment_are_stripped() -> None:
    original = jpeg_with_metadata()
    assert dict(decode(original).getexif().get_ifd(GPS_IFD))  # the fixture does carry GPS
    assert XMP_NS in original
    assert SECRET in original

    result = clean(original)

    assert result == CleanImage(
        data=result.data,
        media_type="image/jpeg",
        extension="jpg",
        stripped=("EXIF", "XMP", "comment"),
    )
    assert_no_identifying_metadata(result.data)
    assert len(result.data) < len(original)


def test_jpeg_is_not_reencoded() -> None:
    original = jpeg_with_metadata()
    result = clean(original)
    before, after = decode(original), decode(result.data)
    assert after.size == before.size == (48, 32)
    assert after.tobytes() == before.tobytes()
    # Tables, frame header and entropy-coded data are the very same bytes.
    assert result.data[result.data.index(b"\xff\xdb") :] == original[original.index(b"\xff\xdb") :]


def test_jpeg_keeps_jfif_and_icc_profile() -> None:
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    original = encode(picture(), "JPEG", exif=exif_with_gps(), icc_profile=icc)
    result = clean(original)
    assert result.stripped == ("EXIF",)
    assert result.data.startswith(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00")
    assert decode(result.data).info["icc_profile"] == icc
    assert_no_identifying_metadata(result.data)


def test_cmyk_jpeg_keeps_the_adobe_segment() -> None:
    original = encode(picture(mode="CMYK"), "JPEG", quality=95, exif=exif_with_gps())
    assert b"Adobe" in original
    result = clean(original)
    assert result.stripped == ("EXIF",)
    assert b"Adobe" in result.data
    after = decode(result.data)
    assert after.mode == "CMYK"
    assert after.tobytes() == decode(original).tobytes()


def test_progressive_jpeg_keeps_its_pixels() -> None:
    original = encode(picture((64, 64)), "JPEG", progressive=True, exif=exif_with_gps())
    assert original.count(b"\xff\xda") > 1  # several scans, with tables in between
    result = clean(original)
    assert result.stripped == ("EXIF",)
    assert decode(result.data).tobytes() == decode(original).tobytes()
    assert_no_identifying_metadata(result.data)


def test_scan_data_is_copied_and_metadata_between_scans_is_dropped() -> None:
    frame = segment(0xC0, bytes((8, 0, 1, 0, 1, 1, 1, 0x11, 0)))
    scan = segment(0xDA, bytes((1, 1, 0x00, 0, 63, 0)))
    # Stuffed 0xFF00, restart markers and fill bytes are entropy-coded data, not segments.
    entropy = b"\x12\xff\x00\x34\xff\xd0\x56\xff\xff\xd1\x78\xff\x00"
    comment = segment(0xFE, SECRET)
    original = b"\xff\xd8" + frame + scan + entropy + comment + scan + entropy + b"\xff\xd9"
    result = clean(original)
    assert result.stripped == ("comment",)
    assert result.data == original.replace(comment, b"")


def test_jpeg_other_application_segments_are_dropped() -> None:
    base = encode(picture(), "JPEG")
    original = insert_before_tables(
        base,
        segment(0xE0, b"JFXX\x00\x10thumbnail-bytes"),
        segment(0xE2, b"MPF\x00II*\x00"),
        segment(0xE3, b"vendor notes"),
        segment(0xED, b"Photoshop 3.0\x008BIM\x04\x04" + SECRET),
        segment(0xEF, b"more vendor notes"),
        segment(0xE1, b"not exif, not xmp"),
    )
    result = clean(original)
    assert result.stripped == ("thumbnail", "APP2", "APP3", "IPTC", "APP15", "APP1")
    assert result.data == base
    assert SECRET not in result.data


def test_stripped_names_are_listed_once() -> None:
    base = encode(picture(), "JPEG")
    original = insert_before_tables(base, segment(0xFE, b"one"), segment(0xFE, b"two"))
    result = clean(original)
    assert result.stripped == ("comment",)
    assert result.data == base


def test_jpeg_trailing_zero_padding_is_allowed() -> None:
    base = encode(picture(), "JPEG")
    result = clean(base + b"\x00" * 32)
    assert result.data == base
    assert result.data.endswith(b"\xff\xd9")


@pytest.mark.parametrize("tail", [b"PK\x03\x04zip", b"\x00\x00\x01", b"\xff\xd8gain map"])
def test_jpeg_data_after_the_end_is_cut_off_even_when_metadata_is_kept(tail: bytes) -> None:
    base = encode(picture(), "JPEG")  # Ultra HDR photos carry a gain map there
    result = clean(base + tail)
    assert result.data == base and result.stripped == ("appended data",)
    kept = clean(base + tail, keep_metadata=True)  # never kept, even when asked
    assert kept.data == base and kept.stripped == ("appended data",)
    with_exif = clean(jpeg_with_metadata() + tail, keep_metadata=True)
    assert "appended data" in with_exif.stripped and "EXIF" in with_exif.stripped


def test_jpeg_fill_bytes_between_segments_are_accepted() -> None:
    base = encode(picture(), "JPEG")
    at = base.index(b"\xff\xdb")
    result = clean(base[:at] + b"\xff\xff\xff" + base[at:])
    assert result.data == base


# --- PNG --------------------------------------------------------------------------------


def test_png_metadata_chunks_are_stripped() -> None:
    original = png_with_metadata()
    assert dict(decode(original).getexif().get_ifd(GPS_IFD))
    types = png_chunk_types(original)
    assert {b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"} <= set(types)

    result = clean(original)

    assert result.media_type == "image/png"
    assert result.extension == "png"
    assert sorted(result.stripped) == ["EXIF", "XMP", "text", "timestamp"]
    kept = [t for t in types if t not in {b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"}]
    assert png_chunk_types(result.data) == kept
    assert_no_identifying_metadata(result.data)
    after = decode(result.data)
    assert after.size == (48, 32)
    assert after.tobytes() == picture().tobytes()
    assert not {"Author", "Comment", "XML:com.adobe.xmp"} & set(after.info)


def test_png_keeps_other_chunks_byte_for_byte() -> None:
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    original = encode(picture(), "PNG", icc_profile=icc, dpi=(300, 300))
    result = clean(original)
    assert result.data == original
    assert result.stripped == ()
    assert decode(result.data).info["icc_profile"] == icc


# --- WebP -------------------------------------------------------------------------------


def test_lossless_webp_exif_and_xmp_are_stripped() -> None:
    original = webp_with_metadata()
    assert {b"VP8X", b"EXIF", b"XMP "} <= set(webp_chunks(original))
    assert original[20] & 0x0C == 0x0C  # VP8X announces EXIF and XMP

    result = clean(original)

    assert result.media_type == "image/webp"
    assert result.extension == "webp"
    assert sorted(result.stripped) == ["EXIF", "XMP"]
    assert b"EXIF" not in webp_chunks(result.data)
    assert b"XMP " not in webp_chunks(result.data)
    assert result.data[20] & 0x0C == 0  # and no longer does
    assert result.data[20] | 0x0C == original[20] | 0x0C  # other flags are untouched
    assert int.from_bytes(result.data[4:8], "little") == len(result.data) - 8
    assert_no_identifying_metadata(result.data)
    after = decode(result.data)
    assert after.size == (48, 32)
    assert after.tobytes() == picture().tobytes()


def test_lossy_webp_decodes_to_the_same_pixels() -> None:
    original = webp_with_metadata(lossless=False)
    result = clean(original)
    assert sorted(result.stripped) == ["EXIF", "XMP"]
    assert decode(result.data).tobytes() == decode(original).tobytes()
    assert_no_identifying_metadata(result.data)


def test_simple_webp_without_metadata_is_unchanged() -> None:
    original = encode(picture(), "WEBP", lossless=True)
    result = clean(original)
    assert result.data == original
    assert result.stripped == ()


# --- keep_metadata ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "media_type", "extension"),
    [
        (jpeg_with_metadata, "image/jpeg", "jpg"),
        (png_with_metadata, "image/png", "png"),
        (webp_with_metadata, "image/webp", "webp"),
    ],
)
def test_keep_metadata_returns_the_original_bytes(
    build: Callable[[], bytes], media_type: str, extension: str
) -> None:
    original = build()
    result = clean(original, keep_metadata=True)
    assert result == CleanImage(original, media_type, extension, ())
    assert clean(original).data != original  # there was something to strip


def test_keep_metadata_still_checks_the_structure() -> None:
    broken = jpeg_with_metadata()[:-200]
    with pytest.raises(ImageRefused, match="incomplete"):
        clean(broken, keep_metadata=True)


# --- refusals ---------------------------------------------------------------------------


def bad_png_crc() -> bytes:
    png = bytearray(encode(picture(), "PNG"))
    at = png.index(b"IDAT") + 8
    png[at] ^= 0x01
    return bytes(png)


def gif() -> bytes:
    return encode(picture(), "GIF")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: b"", r"^the file is empty$"),
        (lambda: b"Dear Murphy,\nthe printer is on fire.\n", r"not a JPEG, PNG or WebP image"),
        (gif, r"^the file is not a JPEG, PNG or WebP image$"),
        (lambda: b"\xff\xd8", r"not a JPEG, PNG or WebP image"),
        (bad_png_crc, r"^the PNG image is damaged \(a checksum does not match\)$"),
        (lambda: jpeg_with_metadata()[:-10], r"^the JPEG image is incomplete"),
        (lambda: jpeg_with_metadata()[:300], r"^the JPEG image is incomplete"),
        (lambda: b"\xff\xd8\xff\xd9", r"JPEG image is damaged \(there is no image data\)"),
        (lambda: b"\xff\xd8\xff\xfe\x00\x01\xff\xd9", r"JPEG image is damaged \(bad segment"),
        (lambda: b"\xff\xd8\xff\xfe\x00\x04ab\x00\xd9", r"JPEG image is damaged"),
        (lambda: b"\xff\xd8\xff\xfe\x00\x40ab", r"^the JPEG image is incomplete"),
        (lambda: png_with_metadata()[:-12], r"^the PNG image is incomplete"),
        (lambda: png_with_metadata()[:40], r"^the PNG image is incomplete"),
        (lambda: encode(picture(), "PNG") + b"junk", r"PNG image has extra data after"),
        (
            lambda: b"\x89PNG\r\n\x1a\n" + png_chunk(b"IEND", b""),
            r"PNG image is damaged \(the header chunk",
        ),
        (
            lambda: encode(picture(), "PNG")[:33] + png_chunk(b"IEND", b""),
            r"PNG image is damaged \(there is no image data\)",
        ),
        (lambda: rewrap_riff(webp_with_metadata(), 4000), r"^the WebP image is incomplete"),
        (lambda: rewrap_riff(webp_with_metadata(), 100), r"WebP image has extra data after"),
        (lambda: webp_with_metadata() + b"\x00\x00", r"WebP image has extra data after"),
        (
            lambda: b"RIFF\x0c\x00\x00\x00WEBPEXIF\x00\x00\x00\x00",
            r"WebP image is damaged \(the first chunk is not an image header\)",
        ),
        (
            lambda: b"RIFF\x0c\x00\x00\x00WEBPVP8L\x10\x00\x00\x00",
            r"^the WebP image is incomplete",
        ),
    ],
)
def test_refusals_say_why(make: Callable[[], bytes], message: str) -> None:
    with pytest.raises(ImageRefused, match=message):
        clean(make())


def test_a_refusal_is_a_value_error_with_a_sentence() -> None:
    with pytest.raises(ValueError, match=r"^the ") as caught:
        clean(b"hello")
    assert isinstance(caught.value, ImageRefused)


def test_too_large_is_refused_with_the_limit_in_mib() -> None:
    png = encode(picture(), "PNG")
    with pytest.raises(ImageRefused, match=r"^the file is larger than the 0.5 MiB limit$"):
        clean(png + b"\x00" * (MIB // 2), max_bytes=MIB // 2)
    with pytest.raises(ImageRefused, match=r"MiB limit"):
        clean(png, max_bytes=len(png) - 1)
    assert clean(png, max_bytes=len(png)).data == png


def test_default_limit_is_ten_mib() -> None:
    with pytest.raises(ImageRefused, match=r"^the file is larger than the 10 MiB limit$"):
        clean(b"\xff\xd8\xff" + b"\x00" * (10 * MIB))


def test_files_made_of_countless_tiny_segments_are_refused_quickly() -> None:
    base = encode(picture(), "JPEG")
    hostile = base[:2] + segment(0xFE, b"") * 200_000 + base[2:]
    started = time.perf_counter()
    with pytest.raises(ImageRefused, match="too many parts"):
        clean(hostile)
    assert time.perf_counter() - started < 2.0


# --- fuzzing ----------------------------------------------------------------------------


@cache
def progressive_jpeg() -> bytes:
    return encode(picture((16, 16)), "JPEG", progressive=True, comment=b"hi")


SEEDS: dict[str, Callable[[], bytes]] = {
    "jpeg": jpeg_with_metadata,
    "png": png_with_metadata,
    "webp": webp_with_metadata,
    "progressive": progressive_jpeg,
    "lossy-webp": lambda: webp_with_metadata(lossless=False),
}
MAGIC = [b"", b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"RIFF\x20\x00\x00\x00WEBP"]


def clean_or_refuse(data: bytes) -> CleanImage | ImageRefused:
    """The contract on any input: a consistent CleanImage or ImageRefused, nothing else;
    returns which, for the test to check against what it fed in."""
    try:
        result = clean(data)
    except ImageRefused as refused:
        assert str(refused).startswith("the ")
        with pytest.raises(ImageRefused):
            clean(data, keep_metadata=True)
        return refused
    assert sniff(result.data) == result.media_type
    assert len(result.data) <= len(data)
    again = clean(result.data)
    assert again.data == result.data
    assert again.stripped == ()
    kept = clean(data, keep_metadata=True).data
    assert kept == (result.data if "appended data" in result.stripped else data)
    return result


def fix_checksums(data: bytearray) -> None:
    """Make the RIFF size and PNG CRCs right again, so that mutations reach deeper."""
    if data.startswith(b"RIFF") and len(data) >= 8:
        data[4:8] = (len(data) - 8).to_bytes(4, "little")
    pos = 8
    while data.startswith(b"\x89PNG") and pos + 12 <= len(data):
        end = pos + 12 + int.from_bytes(data[pos : pos + 4], "big")
        if end > len(data):
            break
        data[end - 4 : end] = zlib.crc32(data[pos + 4 : end - 4]).to_bytes(4, "big")
        pos = end


@st.composite
def mangled_images(draw: st.DrawFn) -> bytes:
    """A valid image with a few bytes changed, ranges cut out or added, or the end cut off.

    Most edits land after the magic bytes, and the sizes and checksums that would give
    the edit away at once are usually fixed, so that the walkers get to see the damage.
    """
    data = bytearray(SEEDS[draw(st.sampled_from(sorted(SEEDS)))]())
    operations = draw(
        st.lists(st.sampled_from(["set", "delete", "insert", "truncate"]), min_size=1, max_size=6)
    )
    for operation in operations:
        start = 0 if draw(st.sampled_from(range(10))) == 7 else min(12, len(data))
        at = draw(st.integers(start, len(data)))
        if operation == "set" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif operation == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        elif operation == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif operation == "truncate":
            del data[at:]
    if draw(st.booleans()):
        fix_checksums(data)
    return bytes(data)


@given(st.binary(max_size=2048))
def test_random_bytes_are_cleaned_or_refused(data: bytes) -> None:
    outcome = clean_or_refuse(data)
    if sniff(data) is None:  # no image magic at all: refused for what it is
        assert isinstance(outcome, ImageRefused)
        assert str(outcome) in (
            "the file is empty",
            "the file is not a JPEG, PNG or WebP image",
        )


@given(st.sampled_from(MAGIC), st.binary(max_size=512))
def test_random_bytes_behind_magic_are_cleaned_or_refused(magic: bytes, rest: bytes) -> None:
    data = magic + rest
    outcome = clean_or_refuse(data)
    kind = sniff(data)
    if isinstance(outcome, CleanImage):  # accepted only as the kind its magic says
        assert outcome.media_type == kind
    elif kind is not None and len(data) > len(magic):  # refused, naming that kind
        assert any(name in str(outcome) for name in ("JPEG", "PNG", "WebP"))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(mangled_images())
def test_mangled_images_are_cleaned_or_refused(data: bytes) -> None:
    clean_or_refuse(data)


@given(st.sampled_from(sorted(SEEDS)), st.data())
def test_every_truncation_is_refused(name: str, data: st.DataObject) -> None:
    image = SEEDS[name]()
    cut = data.draw(st.integers(1, len(image) - 1))
    with pytest.raises(ImageRefused):
        clean(image[:cut])


@pytest.mark.parametrize(
    ("fmt", "options"),
    [
        ("PNG", {}),
        ("JPEG", {}),
        ("JPEG", {"progressive": True}),
        ("WEBP", {}),
        ("WEBP", {"lossless": True}),
        ("WEBP", {"exif": b"Exif\x00\x00II*\x00\x08\x00\x00\x00\x00\x00"}),  # VP8X
    ],
)
@pytest.mark.parametrize("size", [(321, 123), (1, 16383), (4000, 3000)])
def test_dimensions_come_from_the_header(
    fmt: str, options: dict[str, object], size: tuple[int, int]
) -> None:
    out = io.BytesIO()
    Image.new("RGB", size, "white").save(out, fmt, **options)
    assert dimensions(clean(out.getvalue())) == size
