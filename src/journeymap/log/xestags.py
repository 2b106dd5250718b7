"""The tags of an XES document found by NumPy over its bytes: kind, name, level, and key and value of attributes.

The document is cut at every '<' into pieces: a tag, then the text up to the next '<' (white space
in XES). Tags of the usual XES form are read by array arithmetic, with no Python step per tag:
`<NAME key="K" value="V"/>` (also `" />`, as pm4py writes, or `">` with children), `<NAME>`,
`<NAME/>`, `</NAME>`, with NAME one of the names XES uses (`_NAMES`), key before value, double
quotes, one space. Every other piece (the log's own tag, extensions, single quotes, other spacing,
a prefix, a comment) is read by a regular expression in Python; when more than one piece in 20 is
of that kind, the document is left to our reader (`Unsure`), which then reads it about as fast.

Few passes go over all the bytes (finding '<' and '"', counting bytes below 0x20, looking for '&'
and EF); every other check is on the pieces, keys and values: what is not verified byte by byte as
the usual form is decoded (and so checked as UTF-8 and for the characters and references XML
allows). What XML forbids and this scan does not read makes it `Unsure` rather than guess: text
between tags, a '<' inside a comment, a processing instruction or CDATA past the declaration, a
namespace prefix not declared on the root, a prefixed attribute, the same attribute twice, an end
tag not matching its start, a second root, a root not closed, a character or reference XML does not
allow.

The document is scanned in parts of some megabytes, each from a '<' to the next part's: half of
them in the calling thread, half in one worker (NumPy releases the GIL), so that a part's arrays
stay in cache and the next part of that thread reuses their memory. Memory a process has not
touched before costs a page fault per 4 kB (system time, mostly those, was a quarter to a third of
the CPU time of a process's first reading of a 72 MB log on the shared test machine), hence few
arrays over the whole document: keys are coded within each part, and values become one array of
Arrow string views into the document, without a copy.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["EVENT", "LOG", "SCALAR_TYPES", "TRACE", "Tags", "Unsure", "read_tags", "xml_text"]

# Scalar attribute types of the XES standard (journeymap.log.xes reads the same); <list> and <container>
# carry no single value.
SCALAR_TYPES = ("string", "date", "int", "float", "boolean", "id")
# What a tag's local name means to the table.
OTHER, SCALAR, EVENT, TRACE, LOG = 0, 1, 2, 3, 4
# Names read without Python, with their meaning: each and the byte after it fit one 8-byte word.
_NAMES = {**dict.fromkeys(SCALAR_TYPES, SCALAR), "event": EVENT, "trace": TRACE, "log": LOG,
          "list": OTHER, "values": OTHER, "global": OTHER}
# Pieces read in Python: past this many our reader is about as fast, and the document is its.
_GENERIC_SHARE = 0.05
_GENERIC_FLOOR = 20_000
_PART_BYTES = 4 << 20  # the document is scanned in parts of about this size, two at a time
# The document: the bytes of a file, or the buffer xesfast decompresses gzip into.
Document = bytes | bytearray
_ROOT = re.compile(rb"<[^?!]")  # the first tag that is neither the declaration, a comment nor a DOCTYPE
_SPACE = np.zeros(256, dtype=bool)
_SPACE[list(b" \t\r\n")] = True
_NAME_END = np.zeros(256, dtype=bool)
_NAME_END[list(b" \t\r\n/>")] = True
# The low n bytes of a word, for n from 0 to 8.
_MASKS = np.array([0] + [(1 << (8 * n)) - 1 for n in range(1, 8)] + [(1 << 64) - 1], dtype=np.uint64)
_ONES, _HIGH = np.uint64(0x0101010101010101), np.uint64(0x8080808080808080)
_KEY = int.from_bytes(b' key="', "little")
_VALUE = int.from_bytes(b'" value=', "little")
_NAME = r"[A-Za-z_][\w.\-]*(?::[A-Za-z_][\w.\-]*)?"
_SPACES = r"[ \t\r\n]"
_START_TAG = re.compile(rf"<({_NAME})((?:{_SPACES}+{_NAME}{_SPACES}*={_SPACES}*(?:\"[^\"<]*\"|'[^'<]*'))*)"
                        rf"{_SPACES}*(/?)>{_SPACES}*", re.ASCII)
_END_TAG = re.compile(rf"</({_NAME}){_SPACES}*>{_SPACES}*", re.ASCII)
_ATTRIBUTE = re.compile(rf"({_NAME}){_SPACES}*={_SPACES}*(?:\"([^\"]*)\"|'([^']*)')", re.ASCII)
_COMMENT = re.compile(r"<!--(?:[^-]|-(?!-))*-->[ \t\r\n]*")
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_BAD_REFERENCE = re.compile(r"&(?!(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);)")
_REFERENCE = re.compile(r"&(?:(amp|lt|gt|quot|apos)|#([0-9]+)|#x([0-9a-fA-F]+));")
_PREDEFINED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_NORMALISED = str.maketrans({"\t": " ", "\n": " "})


_Item = TypeVar("_Item")
_Done = TypeVar("_Done")


class Unsure(Exception):
    """The fast reader cannot promise our reader's answer for this file; the message says why."""


@dataclass(frozen=True)
class Tags:
    """Every element tag of the document in order (comments and the declaration left out), and the attributes.

    `depth` is the element's level (the root 0), `meaning` what its local name is to the table
    (SCALAR, EVENT, ...), `opens` a start tag with children to follow, `closes` an end tag, neither
    an empty element. Attributes with both a key and a value, in document order: their tag,
    their key as a code into `key_names`, and their value as our reader reads it.
    """

    depth: np.ndarray
    meaning: np.ndarray
    opens: np.ndarray
    closes: np.ndarray
    attribute_tag: np.ndarray
    key_code: np.ndarray
    key_names: list[str]
    values: pl.Series


def read_tags(data: Document, cell_bytes: int) -> Tags:
    """The tags of `data` (a document whose prolog xesfast has checked), or `Unsure`."""
    doc = np.frombuffer(data, dtype=np.uint8)
    if len(doc) >= 1 << 31:
        raise Unsure("2 GB or more")  # Arrow's views hold 32-bit offsets
    first, last, root = data.find(b"<"), data.rfind(b"<"), _ROOT.search(data)
    if first < 0 or last == first or last + 1 >= len(doc) or root is None:
        raise Unsure("no markup, or a document cut after a '<'")
    # The first piece (the declaration, or the root) and the root are read in Python: the root's
    # attributes declare the namespaces.
    force = (first, root.start())
    local = threading.local()

    def scan_part(bounds: tuple[int, int]) -> _Scan:
        # One buffer of marks per thread, reused part after part: fresh memory costs a page fault per 4 kB.
        size = bounds[1] - bounds[0]
        marks = getattr(local, "marks", None)
        if marks is None or len(marks) < size:
            marks = local.marks = np.empty(size, dtype=bool)
        return _scan(doc, data, bounds, force, marks[:size])

    with ThreadPoolExecutor(1) as pool:
        scan = _Scan.joined(_in_two(pool, scan_part, _parts(data, first)))
    # The values as one Arrow array (Polars checks every buffer an array holds, once per array).
    values = _view_array(_views(doc, scan.value_start, scan.value_end), data)
    start, stop = scan.start, scan.stop
    if scan.longest >= cell_bytes // 2:
        raise Unsure("a tag or value near the cell limit")
    closes, meaning, generic = scan.closes, scan.meaning, scan.generic
    generic_at = np.flatnonzero(generic)
    if len(generic_at) > max(_GENERIC_FLOOR, _GENERIC_SHARE * len(start)):
        raise Unsure(f"{len(generic_at):,} tags not in the usual form")
    control = scan.control
    control += sum(data.count(byte, int(start[i]), int(stop[i])) for i in generic_at for byte in (b"\t", b"\n", b"\r"))
    names = {name: i for i, name in enumerate(_NAMES)}
    found = [_generic_piece(data, int(start[i]), int(stop[i]), i == 0, names) for i in generic_at]
    opens = ~closes & ~scan.empty
    element = np.ones(len(start), dtype=bool)
    qualified = scan.name_id.copy()
    if len(generic_at):
        element[generic_at] = [piece is not None for piece in found]
        tags = [(i, piece) for i, piece in zip(generic_at, found) if piece is not None]
        at = np.array([i for i, _ in tags], dtype=np.int64)
        qualified[at] = [piece.name for _, piece in tags]
        meaning[at] = [piece.meaning for _, piece in tags]
        closes[at] = [piece.closes for _, piece in tags]
        opens[at] = [piece.opens for _, piece in tags]
        _check_namespaces([piece for _, piece in tags])

    keep = np.flatnonzero(element)
    depth = _depths(opens[keep], closes[keep], qualified[keep])
    position = np.full(len(start), -1, dtype=np.int32)
    position[keep] = np.arange(len(keep), dtype=np.int32)
    return _with_attributes(data, doc, depth, meaning[keep], opens[keep], closes[keep], position, scan,
                            generic_at, found, control, values)


def _in_two(pool: ThreadPoolExecutor, work: Callable[[_Item], _Done], items: list[_Item]) -> list[_Done]:
    """`work` done on each item, every other one in the pool's thread and the rest in this one (NumPy releases
    the GIL). Not two threads of the pool: a thread's memory, once let go, is the next allocation's of that thread.
    """
    there = [pool.submit(work, item) for item in items[1::2]]
    here = [work(item) for item in items[0::2]]
    return [here[i // 2] if i % 2 == 0 else there[i // 2].result() for i in range(len(items))]


def _parts(data: Document, first: int) -> list[tuple[int, int]]:
    """The document from its first '<' in parts of about `_PART_BYTES`, each from a '<' to the next part's.

    Each part is scanned on its own: its arrays stay small enough for the allocator to reuse, and in cache.
    """
    bounds = [first]
    for at in range(first + _PART_BYTES, len(data), _PART_BYTES):
        cut = data.find(b"<", max(at, bounds[-1] + 1))
        if cut < 0:
            break
        bounds.append(cut)
    bounds.append(len(data))
    return list(zip(bounds[:-1], bounds[1:]))


@dataclass
class _Scan:
    """What the arrays tell of each piece (`generic`: to be read in Python), and the attributes of the usual form."""

    start: np.ndarray  # each piece's '<'
    stop: np.ndarray  # and the next '<' (or the end)
    closes: np.ndarray
    empty: np.ndarray
    name_id: np.ndarray
    meaning: np.ndarray
    generic: np.ndarray
    attribute_at: np.ndarray  # pieces that are attributes of the usual form (in the part), and their bytes:
    value_start: np.ndarray
    value_end: np.ndarray
    raw_keys: list[bytes]  # the keys as written, first seen first
    key_index: np.ndarray  # each attribute's, into raw_keys
    control: int  # tabs and line ends in the white space after the tags read here
    marked: int  # bytes below 0x20 in this part of the document
    longest: int  # the longest piece

    @classmethod
    def joined(cls, parts: list[_Scan]) -> _Scan:
        """The parts as one, their arrays let go one by one as they are joined (the parts in memory, not twice)."""
        offsets = np.cumsum([0] + [len(part.start) for part in parts[:-1]], dtype=np.int32)
        raw_keys: dict[bytes, int] = {}
        for part, offset in zip(parts, offsets):
            part.attribute_at += offset
            recode = np.array([raw_keys.setdefault(raw, len(raw_keys)) for raw in part.raw_keys], dtype=np.int32)
            part.key_index = recode[part.key_index]

        def glue(name: str) -> np.ndarray:
            joined = np.concatenate([getattr(part, name) for part in parts])
            for part in parts:
                setattr(part, name, None)
            return joined

        return _Scan(glue("start"), glue("stop"), glue("closes"), glue("empty"), glue("name_id"), glue("meaning"),
                     glue("generic"), glue("attribute_at"), glue("value_start"), glue("value_end"), list(raw_keys),
                     glue("key_index"), sum(part.control for part in parts), sum(part.marked for part in parts),
                     max(part.longest for part in parts))


def _scan(doc: np.ndarray, data: Document, bounds: tuple[int, int], force: tuple[int, ...], marks: np.ndarray) -> _Scan:
    """The pieces of one part of the document (from a '<' to the next part's) read by array arithmetic.

    `marks` is room for one boolean per byte of the part.
    """
    region = slice(*bounds)
    start = _positions(doc, region, 0x3C, marks)
    stop = np.append(start[1:], np.int32(region.stop))  # each piece ends at the next '<'
    closes = doc[start + 1] == 0x2F  # '/'
    name_at = start + 1 + closes
    word = _words(doc, name_at)
    name_end = name_at + _name_length(word)
    name_id, meaning = _known_names(word, name_end - name_at)
    known = name_id >= 0
    # '<NAME>', '</NAME>', '<NAME/>', '<NAME />': the tag ends at its name, or one or two bytes later.
    b0, b1, b2 = (doc[np.minimum(name_end + k, len(doc) - 1)] for k in (0, 1, 2))
    bare, slashed, spaced = b0 == 0x3E, (b0 == 0x2F) & (b1 == 0x3E), (b0 == 0x20) & (b1 == 0x2F) & (b2 == 0x3E)
    plain = known & (meaning != SCALAR)  # an attribute's tag is read below, with its key and value
    empty = ~closes & plain & (slashed | spaced)
    tag_end = np.where(bare & ((closes & known) | plain), name_end,
                       np.where(empty & slashed, name_end + 1, np.where(empty, name_end + 2, -1)))
    at, spans = _attribute_spans(doc, region, name_end, stop, known & ~closes & (meaning == SCALAR), marks)
    tag_end[at] = spans[4]
    empty[at] = doc[spans[4] - 1] == 0x2F
    generic = tag_end < 0
    for forced in force:
        if region.start <= forced < region.stop:
            index = int(np.searchsorted(start, forced))
            generic[index] = True
            kept = at != index
            at, spans = at[kept], tuple(part[kept] for part in spans)
    key_start, key_end, value_start, value_end = spans[:4]
    # The keys coded here, in parallel: few distinct ones, each decoded once when the parts are joined.
    keys = pc.dictionary_encode(_view_array(_views(doc, key_start, key_end), data))
    control = int(np.count_nonzero(np.less(doc[region], 0x20, out=marks)))
    return _Scan(start, stop, closes, empty, name_id, meaning, generic, at, value_start, value_end,
                 keys.dictionary.to_pylist(), keys.indices.to_numpy(), _check_text(doc, tag_end, stop, ~generic),
                 control, int((stop - start).max()))


def _words(doc: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The eight bytes from each position as one little-endian number (zero bytes past the end)."""
    size = len(doc)
    if size < 8:
        doc, size = np.concatenate([doc, np.zeros(8, dtype=np.uint8)]), size + 8
    every = np.ndarray((size - 7,), dtype="<u8", buffer=doc, strides=(1,))  # a word at every byte, no copy
    words = every[np.clip(at, 0, size - 8)]
    for i in np.flatnonzero(at > size - 8):  # the last few bytes
        words[i] = int.from_bytes(doc[int(at[i]):int(at[i]) + 8].tobytes().ljust(8, b"\0"), "little")
    return words


def _positions(doc: np.ndarray, region: slice, byte: int, marks: np.ndarray) -> np.ndarray:
    """Where `byte` is in this region of the document, as 32-bit positions (half the memory of NumPy's own)."""
    found = np.flatnonzero(np.equal(doc[region], byte, out=marks))
    found += region.start
    return found.astype(np.int32)


def _name_length(word: np.ndarray) -> np.ndarray:
    """Bytes up to the first white space, '/' or '>' in each word (8: none in its eight bytes).

    Eight bytes at once: a byte below 0x21 (white space), or equal to '/' or '>', sets its top bit
    (the usual bit trick; a borrow may set bits above the first such byte, never below it).
    """
    below = (word - _ONES * np.uint64(0x21)) & ~word & _HIGH
    slash, close = word ^ (_ONES * np.uint64(0x2F)), word ^ (_ONES * np.uint64(0x3E))
    found = below | ((slash - _ONES) & ~slash & _HIGH) | ((close - _ONES) & ~close & _HIGH)
    lowest = found & (~found + np.uint64(1))  # 2 ** (8 * n + 7) for the first such byte n
    exponent = np.frexp(lowest.astype(np.float64))[1]  # 8 * n + 8
    return np.where(found == 0, 8, (exponent - 8) // 8).astype(np.int32)


def _known_names(word: np.ndarray, length: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each tag's name as an index into `_NAMES` (-1: another name, read in Python) and its meaning."""
    codes = np.array([int.from_bytes(name.encode(), "little") for name in _NAMES], dtype=np.uint64)
    order = np.argsort(codes)
    masked = word & _MASKS[length]
    found = order[np.minimum(np.searchsorted(codes[order], masked), len(codes) - 1)]
    name_id = np.where((codes[found] == masked) & (length >= 1) & (length <= 7), found, -1).astype(np.int32)
    meanings = np.array(list(_NAMES.values()), dtype=np.int8)
    return name_id, np.where(name_id >= 0, meanings[name_id], OTHER).astype(np.int8)


def _attribute_spans(doc: np.ndarray, region: slice, name_end: np.ndarray, stop: np.ndarray,
                     candidate: np.ndarray, marks: np.ndarray) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """The pieces of the form `<NAME key="K" value="V"/>`: key start and end, value start and end, the tag's '>'."""
    at = np.flatnonzero(candidate).astype(np.int32)
    key_start = name_end[at] + 6
    fits = (_words(doc, name_end[at]) & np.uint64((1 << 48) - 1)) == np.uint64(_KEY)
    quotes = _positions(doc, region, 0x22, marks)
    if len(quotes) < 3:
        return np.zeros(0, dtype=np.int32), tuple(np.zeros(0, dtype=np.int32) for _ in range(5))
    which = np.minimum(np.searchsorted(quotes, key_start), len(quotes) - 3)
    key_end = quotes[which]  # the first '"' after the key's: the key holds none
    fits &= (key_end >= key_start) & (_words(doc, key_end) == np.uint64(_VALUE)) & (quotes[which + 1] == key_end + 8)
    value_start, value_end = key_end + 9, quotes[which + 2]
    # The value's quote ends the tag: '">', '"/>' or '" />'; the piece goes on to the next '<'.
    b1, b2, b3 = (doc[np.minimum(value_end + k, len(doc) - 1)] for k in (1, 2, 3))
    tag_end = np.where(b1 == 0x3E, value_end + 1, np.where((b1 == 0x2F) & (b2 == 0x3E), value_end + 2,
                       np.where((b1 == 0x20) & (b2 == 0x2F) & (b3 == 0x3E), value_end + 3, -1)))
    fits &= (tag_end >= 0) & (tag_end < stop[at])
    return at[fits], tuple(part[fits] for part in (key_start, key_end, value_start, value_end, tag_end))


def _check_text(doc: np.ndarray, tag_end: np.ndarray, stop: np.ndarray, read: np.ndarray) -> int:
    """Only white space from the end of each tag read here to the next '<' (XES has no text between tags).

    Returns how many tabs and line ends that white space holds.
    """
    begin, end = tag_end[read] + 1, stop[read]
    longest = int((end - begin).max()) if len(begin) else 0
    control = 0
    for offset in range(min(longest, 64)):  # a few bytes of indentation after each tag: byte by byte
        between = doc[(begin + offset)[begin + offset < end]]
        if not _SPACE[between].all():
            raise Unsure("text between elements")
        control += int(np.count_nonzero(between < 0x20))
    if longest > 64:  # and the rest of longer runs of white space
        long = end > begin + 64
        between = np.concatenate([doc[b:e] for b, e in zip(begin[long] + 64, end[long])])
        if not _SPACE[between].all():
            raise Unsure("text between elements")
        control += int(np.count_nonzero(between < 0x20))
    return control


@dataclass(frozen=True)
class _Piece:
    """A tag read in Python: its qualified name (an id), meaning, kind, namespaces, and key and value."""

    name: int
    meaning: int
    opens: bool
    closes: bool
    prefix: str
    declares: dict[str, str]
    key: str | None  # decoded
    value: str | None  # as written


def _generic_piece(data: Document, begin: int, end: int, first: bool, names: dict[str, int]) -> _Piece | None:
    """One piece read by regular expression: None for a comment or the declaration; `Unsure` for other non-tags."""
    try:
        text = data[begin:end].decode()
    except UnicodeDecodeError:
        raise Unsure("bytes that are not UTF-8") from None
    if _FORBIDDEN.search(text):
        raise Unsure("a character XML does not allow")
    if text.startswith("<!--") and _COMMENT.fullmatch(text):
        return None  # a comment may hold any '&'
    if _BAD_REFERENCE.search(text):
        raise Unsure("an entity reference that is neither predefined nor a character")
    if text.startswith("<?xml") and first:
        return None  # the declaration, read by the prolog's check
    if text.startswith("</"):
        if (match := _END_TAG.fullmatch(text)) is None:
            raise Unsure("a malformed end tag")
        name = match.group(1)
        return _Piece(names.setdefault(name, len(names)), _meaning(name), False, True, _prefix(name), {}, None, None)
    if (match := _START_TAG.fullmatch(text)) is None:
        raise Unsure("a malformed tag, a name not read here, a processing instruction or CDATA")
    name, attributes, empty = match.groups()
    found: dict[str, str] = {}
    for attribute in _ATTRIBUTE.finditer(attributes):
        key = attribute.group(1)
        if key in found:
            raise Unsure("an attribute twice in one tag")
        found[key] = attribute.group(2) if attribute.group(2) is not None else attribute.group(3)
    if any(":" in key and not key.startswith("xmlns:") for key in found):
        raise Unsure("a prefixed attribute")
    declares = {key[6:]: xml_text(value) for key, value in found.items() if key.startswith("xmlns:")}
    meaning = _meaning(name)
    key, value = (found.get("key"), found.get("value")) if meaning == SCALAR else (None, None)
    if key is not None:
        key = xml_text(key)
    if value is not None:
        xml_text(value)  # checked now; decoded with the others (`Tags.values`)
    return _Piece(names.setdefault(name, len(names)), meaning, not empty, False, _prefix(name), declares, key, value)


def _meaning(name: str) -> int:
    return _NAMES.get(name.rpartition(":")[2], OTHER)


def _prefix(name: str) -> str:
    return name.partition(":")[0] if ":" in name else ""


def _check_namespaces(pieces: list[_Piece]) -> None:
    """Prefixes declared on the root only, and used only so (every prefix bound, as expat requires)."""
    declared = pieces[0].declares if pieces else {}
    if "" in declared.values() or any(piece.declares for piece in pieces[1:]):
        raise Unsure("a namespace declared below the root, or declared empty")
    if any(piece.prefix and piece.prefix not in declared for piece in pieces):
        raise Unsure("an undeclared namespace prefix")


def _depths(opens: np.ndarray, closes: np.ndarray, name: np.ndarray) -> np.ndarray:
    """Each element's level; `Unsure` unless every end tag closes the open element of its name, once."""
    level = np.cumsum(opens.astype(np.int32) - closes, dtype=np.int32)
    depth = level - opens  # a start tag's level is the one before it, an end tag's the one after
    if not len(level) or level.min() < 0 or level[-1] != 0:
        raise Unsure("an end tag without its start, or a document not closing its root")
    if np.count_nonzero(depth == 0) != (2 if opens[0] else 1):
        raise Unsure("a second root element")
    # The tags of one level, in order, alternate start and end in a well-formed document (the
    # levels of the others keep the counts even); an end closes the start just before it on its level.
    paired = np.flatnonzero(opens | closes)
    order = paired[np.argsort(depth[paired].astype(np.int16), kind="stable")]
    if not (closes[order[1::2]].all() and np.array_equal(name[order[0::2]], name[order[1::2]])):
        raise Unsure("an end tag not matching its start")
    return depth


def _with_attributes(data: Document, doc: np.ndarray, depth: np.ndarray, meaning: np.ndarray, opens: np.ndarray,
                     closes: np.ndarray, position: np.ndarray, scan: _Scan, generic_at: np.ndarray,
                     found: list[_Piece | None], control: int, values: pa.Array) -> Tags:
    """The tags with their attributes: keys coded, values as text, both without a copy of each string."""
    extra = [(int(position[i]), piece) for i, piece in zip(generic_at, found)
             if piece is not None and piece.key is not None and piece.value is not None]
    names: dict[str, int] = {}
    recode = [names.setdefault(_key_text(raw), len(names)) for raw in scan.raw_keys]
    code = np.array(recode, dtype=np.int32)[scan.key_index] if recode else np.zeros(0, np.int32)
    binary = pl.from_arrow(values)
    assert isinstance(binary, pl.Series)
    tag = position[scan.attribute_at]
    inspect = _to_inspect(data, doc, scan.value_start, scan.value_end, control != scan.marked)
    if extra:
        tag = np.concatenate([tag, [i for i, _ in extra]])
        code = np.concatenate([code, [names.setdefault(piece.key or "", len(names)) for _, piece in extra]])
        binary = binary.append(pl.Series([(piece.value or "").encode() for _, piece in extra], dtype=pl.Binary))
        inspect = np.concatenate([inspect, np.arange(len(scan.attribute_at), len(scan.attribute_at) + len(extra))])
        order = np.argsort(tag, kind="stable")
        tag, code, binary = tag[order], code[order], binary.gather(order)
        inspect = np.flatnonzero(np.isin(order, inspect))
    try:
        text = binary.cast(pl.String)
    except pl.exceptions.ComputeError:
        raise Unsure("bytes that are not UTF-8") from None
    if len(inspect):
        text = text.scatter(inspect, [xml_text(value) for value in text.gather(inspect).to_list()])
    return Tags(depth, meaning, opens, closes, tag, code, list(names), text)


def _views(doc: np.ndarray, begin: np.ndarray, end: np.ndarray) -> np.ndarray:
    """The bytes from `begin` to `end` as Arrow binary views into the document (no copy), two 64-bit words each.

    A view is 16 bytes: the length, then up to 12 bytes inline, or else the first 4 bytes, the
    buffer (0: the document) and the offset.
    """
    length = (end - begin).astype(np.uint64)
    views = np.empty((len(begin), 2), dtype=np.uint64)  # little-endian: the length in the low half
    views[:, 0] = length | ((_words(doc, begin) & _MASKS[np.minimum(length, 4)]) << np.uint64(32))
    inline = _words(doc, begin + 4) & _MASKS[np.clip(length.astype(np.int64) - 4, 0, 8)]
    views[:, 1] = np.where(length <= 12, inline, begin.astype(np.uint64) << np.uint64(32))
    return views


def _view_array(views: np.ndarray, data: Document) -> pa.Array:
    return pa.Array.from_buffers(pa.binary_view(), len(views), [None, pa.py_buffer(views), pa.py_buffer(data)])


def _key_text(raw: bytes) -> str:
    try:
        return xml_text(raw.decode())
    except UnicodeDecodeError:
        raise Unsure("bytes that are not UTF-8") from None


def _to_inspect(data: Document, doc: np.ndarray, begin: np.ndarray, end: np.ndarray, control: bool) -> np.ndarray:
    """The values (rows) holding a reference, a control character or white space to normalise, or U+FFFx.

    Found by the positions of '&' and of the byte EF, when there are any; control characters (tab and
    line ends included) only when the document holds more of them than the white space between tags
    and the pieces read in Python (`control`): the tags of the usual form hold none outside values.
    """
    found = []
    for byte in (b"&", b"\xef"):
        if data.find(byte) >= 0:
            found.append(np.flatnonzero(doc == byte[0]))
    if control:
        found.append(np.flatnonzero(doc < 0x20))
    if not found or not len(begin):
        return np.zeros(0, dtype=np.int64)
    where = np.concatenate(found)
    row = np.searchsorted(begin, where, side="right") - 1
    inside = (row >= 0) & (where < end[np.maximum(row, 0)])
    return np.unique(row[inside])


def xml_text(raw: str) -> str:
    """An attribute value as XML reads it: line ends and white space normalised, references replaced (or `Unsure`)."""
    if _FORBIDDEN.search(raw) or _BAD_REFERENCE.search(raw):
        raise Unsure("a character or reference XML does not allow")
    text = raw.replace("\r\n", "\n").replace("\r", "\n").translate(_NORMALISED)
    return _REFERENCE.sub(_character, text) if "&" in text else text


def _character(match: re.Match[str]) -> str:
    named, decimal, hexadecimal = match.groups()
    if named:
        return _PREDEFINED[named]
    number = int(decimal) if decimal else int(hexadecimal, 16)
    if not (number in (0x9, 0xA, 0xD) or 0x20 <= number <= 0xD7FF or 0xE000 <= number <= 0xFFFD
            or 0x10000 <= number <= 0x10FFFF):
        raise Unsure("a reference to a character XML does not allow")
    return chr(number)
