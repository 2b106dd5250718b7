"""Text files as Excel, Windows and Unix write them: their encoding, line endings and delimiter.

`utf8_text` turns a file's bytes into UTF-8 without a byte-order mark: UTF-8 (with or without BOM)
passes as it is; UTF-16/32 with a BOM (Excel's "Unicode Text") and UTF-16 without one are decoded;
bytes that are not valid UTF-8 are decoded in the encoding charset-normalizer finds, Windows-1252
preferred where it reads them as well as any other (it is what Excel on Windows writes in the West).
Old-Mac line endings (a lone CR) become LF. `sniff_delimiter` finds the delimiter over several lines.
"""

from __future__ import annotations

import codecs
import csv
import io

import numpy as np

__all__ = ["utf8_text", "sniff_delimiter", "lines_above_header", "DELIMITERS"]

DELIMITERS = (",", ";", "\t", "|")
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF8, "utf-8"),
         (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_CHECK_PIECE = 16 << 20  # UTF-8 validity is checked piece by piece, so no second copy of a big file is made
_SAMPLE_BYTES = 64 << 10  # bytes of non-ASCII lines charset-normalizer gets to judge
_SNIFF_BYTES = 64 << 10
_SNIFF_LINES = 50
_TITLE_LINES = 20  # lines a title and blank lines above the header may take
_WESTERN = "cp1252"
_LATIN_PAGES = ("cp1252", "cp1250", "cp1254", "cp1257", "iso8859_15")


def utf8_text(data: bytes) -> tuple[bytes, str]:
    """The file's text as UTF-8 bytes without BOM and with LF or CRLF line ends, and the encoding it had."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            body = data[len(bom):]
            if encoding == "utf-8" and _is_utf8(body):
                return _line_ends(body), "utf-8-sig"
            if encoding != "utf-8":
                return _line_ends(body.decode(encoding, errors="replace").encode("utf-8")), encoding
            data = body  # a UTF-8 BOM on bytes that are not UTF-8: judge the rest on its own
            break
    wide = _utf16_without_bom(data)
    if wide:
        return _line_ends(data.decode(wide, errors="replace").encode("utf-8")), wide
    if _is_utf8(data):
        return _line_ends(data), "utf-8"
    encoding = _guess_encoding(data)
    return _line_ends(data.decode(encoding, errors="replace").encode("utf-8")), encoding


def sniff_delimiter(data: bytes) -> str:
    """The delimiter (comma, semicolon, tab or pipe) that splits the first lines into the same number of fields.

    Each candidate splits the first lines with quotes respected; the one whose field count is the
    same on most lines (and more than one field) wins, a wider split breaking ties. A file of one
    column reads as comma-separated.
    """
    sample = data[:_SNIFF_BYTES].decode("utf-8", errors="replace")
    if len(data) > _SNIFF_BYTES:  # the last line of the sample is cut short
        sample = sample[: sample.rfind("\n") + 1] or sample
    best, best_score = ",", (0.0, 0)
    for delimiter in DELIMITERS:
        if delimiter not in sample:
            continue
        try:
            counts = [len(row) for row in _first_rows(sample, delimiter)]
        except csv.Error:
            continue
        if not counts or counts[0] < 2:
            continue
        agree = sum(1 for count in counts if count == counts[0]) / len(counts)
        score = (round(agree, 2), counts[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


def lines_above_header(data: bytes, sep: str | None = None) -> int:
    """How many lines a title takes above the header, as reports exported from ticketing and ERP systems
    open ("Incident report - exported 2024-12-01", a blank line, then the table); 0 for a file whose
    first line is its header.

    The table is told by its width: with the delimiter (`sep`, or each candidate) under which most
    rows (quotes respected, across lines too) have one number of fields, the header is the first row
    of that many, within the first 20 lines; every row above it has one value at most (a title, a
    blank line), and most rows from it on have that many. A first line of two values or more under any
    delimiter is a header, whatever the rows below it look like (rows ending in a delimiter, decimal
    commas in a semicolon file)."""
    sample = data[:_SNIFF_BYTES].decode("utf-8", errors="replace")
    if len(data) > _SNIFF_BYTES:  # the last line of the sample is cut short
        sample = sample[: sample.rfind("\n") + 1] or sample
    candidates = [sep] if sep else DELIMITERS
    first = next((line for line in sample.split("\n") if line.strip()), "")
    if any(_filled(first, delimiter) >= 2 for delimiter in candidates):
        return 0  # a first line of two values or more is a header under some delimiter, never a title
    best, best_score = 0, (0, 0)
    for delimiter in candidates:
        rows = _row_widths(sample, delimiter)
        wide = [count for count, _, _ in rows if count >= 2]
        if not wide:
            continue
        width = max(set(wide), key=lambda count: (wide.count(count), count))
        header = next(i for i, (count, _, _) in enumerate(rows) if count == width)
        below = [count for count, _, _ in rows[header:] if count]
        agree = sum(count == width for count in below)
        above = rows[header - 1][1] if header else 0  # the line the row above the header ends on
        titles = all(filled <= 1 for _, _, filled in rows[:header])  # not a header whose rows end in a delimiter
        if titles and agree >= 0.8 * len(below) and (agree, width) > best_score:
            best, best_score = above, (agree, width)
    return best if best <= _TITLE_LINES else 0


def _filled(line: str, delimiter: str) -> int:
    """The values of one line that are not blank, quotes respected."""
    try:
        return sum(1 for value in next(csv.reader([line], delimiter=delimiter), []) if value.strip())
    except csv.Error:
        return 1


def _row_widths(sample: str, delimiter: str) -> list[tuple[int, int, int]]:
    """(fields, the line it ends on, fields not blank) of the sample's first rows, a blank line 0 fields."""
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
    rows = []
    try:
        for row in reader:
            filled = sum(1 for value in row if value.strip())
            rows.append((len(row) if filled else 0, reader.line_num, filled))
            if len(rows) >= _SNIFF_LINES + _TITLE_LINES:
                break
    except csv.Error:
        pass  # rows read up to a broken one are enough to judge
    return rows


def _first_rows(sample: str, delimiter: str) -> list[list[str]]:
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
    rows = []
    for row in reader:
        if row:
            rows.append(row)
        if len(rows) >= _SNIFF_LINES:
            break
    return rows


def _is_utf8(data: bytes) -> bool:
    if data.isascii():
        return True
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for start in range(0, len(data), _CHECK_PIECE):
            decoder.decode(data[start:start + _CHECK_PIECE])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' for text whose every other byte is zero (ASCII written as UTF-16)."""
    head = data[:4096]
    if len(head) < 4 or b"\0" not in head:
        return None
    head = head[: len(head) // 2 * 2]
    even, odd = head[0::2], head[1::2]
    half = len(head) // 2
    if odd.count(0) > 0.4 * half and even.count(0) < 0.05 * half:
        return "utf-16-le"
    if even.count(0) > 0.4 * half and odd.count(0) < 0.05 * half:
        return "utf-16-be"
    return None


def _guess_encoding(data: bytes) -> str:
    """The encoding charset-normalizer finds for lines with non-ASCII bytes; Windows-1252 on a tie."""
    from charset_normalizer import from_bytes

    sample = _non_ascii_lines(data)
    # Accented letters of a Latin-script code page stand alone between ASCII letters (Pr\xfcfung);
    # Cyrillic, Greek or CJK text is runs of such bytes. A short sample of the first reads as
    # anything without complaint ("Sm\xf8rrebr\xf8d" as Big5, "Pr\xfcfung" as cp775), so lone
    # bytes narrow the guess to the Latin code pages Windows and Excel write.
    latin = list(_LATIN_PAGES) if _lone_high_bytes(sample) >= 0.8 else None
    results = list(from_bytes(sample, steps=1, chunk_size=len(sample), cp_isolation=latin, explain=False))
    if not results:
        return _WESTERN
    # Short samples often fit several code pages equally well; charset-normalizer then lists the
    # one it met first (often cp1250), while Excel on a Western Windows writes cp1252.
    least = min(result.chaos for result in results)
    tied = [result for result in results if result.chaos <= least + 0.01]
    for result in tied:
        if _WESTERN in (result.encoding, *result.could_be_from_charset):
            return _decodes(data, _WESTERN)
    return _decodes(data, tied[0].encoding)


def _lone_high_bytes(sample: bytes) -> float:
    """Share of the bytes over 0x7F that have no such byte on either side."""
    high = np.frombuffer(sample, dtype=np.uint8) >= 0x80
    if not high.any():
        return 0.0
    before = np.concatenate(([False], high[:-1]))
    after = np.concatenate((high[1:], [False]))
    return float((high & ~before & ~after).sum() / high.sum())


def _decodes(data: bytes, encoding: str) -> str:
    """`encoding` if it decodes all the bytes, else Latin-1 (which decodes any)."""
    try:
        codecs.getincrementaldecoder(encoding)().decode(data, final=True)
    except (UnicodeDecodeError, LookupError):
        return "latin-1"
    return encoding


def _non_ascii_lines(data: bytes) -> bytes:
    """The first line plus lines holding non-ASCII bytes, up to about 64 KB, for the encoding guess."""
    high = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) >= 0x80)
    pieces, size, end = [data[: data.find(b"\n") + 1 or 200]], 0, -1
    for position in high[:4096]:
        if position <= end:
            continue
        start = data.rfind(b"\n", 0, position) + 1
        end = data.find(b"\n", position)
        end = len(data) if end < 0 else end
        pieces.append(data[start:end + 1])
        size += end + 1 - start
        if size >= _SAMPLE_BYTES:
            break
    return b"".join(pieces)


def _line_ends(data: bytes) -> bytes:
    """LF line ends for a file that ends its lines with a lone CR (old Mac OS)."""
    head = data[:_SNIFF_BYTES]
    if b"\r" in head and b"\n" not in head:
        return data.replace(b"\r", b"\n")
    return data
