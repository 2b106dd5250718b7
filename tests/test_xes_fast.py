"""The fast XES reader (journeymap.log.xesfast) against our expat reader: the same table, or it stands aside.

Generated logs cover attributes of every type, missing timestamps, lifecycle transitions, nested
attributes, lists and containers, repeated keys, trace attributes after the events, traces without
names, events without attributes, values with markup characters, references, line ends and tabs to
normalise and non-ASCII text, both quotes, '/>' and ' />', comments, CRLF line ends and several
encodings; each log is read once by the scan as it is and once with every tag read in Python. For
each, whatever the fast reader answers must be our reader's answer, and `scan_xes` (fast reader
first, ours when it stands aside) must answer as ours does, refusals included. Plain logs (UTF-8,
every event and trace with attributes) must be answered by the fast reader itself.
"""

from __future__ import annotations

import contextlib
import gzip
import os
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hostile_files import CATALOGUE
from journeymap.core.errors import JourneyError
from journeymap.log import xesfast, xestags
from journeymap.log.limits import Limits
from journeymap.log.xes import scan_xes
from journeymap.log.xestags import Unsure

HELPDESK = Path(__file__).resolve().parent / "data" / "real" / "helpdesk.xes.gz"
TYPES = ("string", "date", "int", "float", "boolean", "id")
SAMPLE_VALUES = {"string": ["Register", "Check", "Ann", "caf\u00e9", "a & b", "x > y", '"q"', "it's", "\u65e5\u672c",
                            "tab\there", "two  spaces", "", " edge ",
                            "two\nlines", "cr\r\nlf", "\u00e9t\u00e9 \U0001f600"],
                 "date": ["2024-01-01T09:00:00.000+01:00", "2024-01-02T08:00:00Z", "2024-03-05T10:00:00"],
                 "int": ["10", "-3", "007"], "float": ["1.5", "1.50", "-0.0", "1e3"],
                 "boolean": ["true", "false", "TRUE"], "id": ["e-1", "3f2a-77"]}
KEYS = ["concept:name", "time:timestamp", "lifecycle:transition", "org:resource", "cost", "note", "region",
        "case:extra", "amount"]


def _escape(text: str, quote: str, draw: st.DrawFn, *, char_refs: bool) -> str:
    """Text as an attribute value in `quote`s: markup characters as entities or character references."""
    out = []
    for char in text:
        if char in "&<" or char == quote or (char == ">" and draw(st.booleans())):
            out.append(f"&#{ord(char)};" if char_refs else {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                                                            "'": "&apos;"}[char])
        elif char == "\t" and draw(st.booleans()):
            out.append("&#9;")  # kept as a tab; a literal tab becomes a space (attribute-value normalisation)
        else:
            out.append(char)
    return "".join(out)


@st.composite
def attribute(draw: st.DrawFn, *, prefix: str, plain: bool, depth: int = 0) -> str:
    kind = draw(st.sampled_from(TYPES))
    key = draw(st.sampled_from(KEYS if not plain else [k for k in KEYS if not k.startswith("case:")]))
    value = draw(st.sampled_from(SAMPLE_VALUES[kind]))
    if not plain and kind == "string" and draw(st.integers(0, 9)) == 0:
        value += "<tag>"  # a '<' written as '&lt;': the fast reader leaves it to ours
    quote = draw(st.sampled_from(['"', "'"]))
    parts = [f"key={quote}{_escape(key, quote, draw, char_refs=False)}{quote}",
             f"value={quote}{_escape(value, quote, draw, char_refs=draw(st.booleans()))}{quote}"]
    if draw(st.integers(0, 14)) == 0:
        parts.pop(draw(st.integers(0, 1)))  # a key without a value or a value without a key: not an attribute
    if draw(st.booleans()):
        parts.reverse()
    tag = f"{prefix}{kind}"
    children = ""
    if depth < 2 and draw(st.integers(0, 5)) == 0:  # nested attributes: no columns of their own
        children = "".join(draw(st.lists(attribute(prefix=prefix, plain=plain, depth=depth + 1), max_size=2)))
    if depth < 2 and draw(st.integers(0, 12)) == 0:
        children += (f"<{prefix}list key='items'><{prefix}values><{prefix}string key='x' value='1'/>"
                     f"</{prefix}values></{prefix}list><{prefix}container key='box'><{prefix}int key='y' "
                     f"value='2'/></{prefix}container>")
    space = draw(st.sampled_from([" ", "\n    ", "\t"]))
    attrs = space.join(parts)
    closing = draw(st.sampled_from(["/>", " />"]))  # pm4py writes the second
    return f"<{tag} {attrs}>{children}</{tag}>" if children else f"<{tag} {attrs}{closing}"


@st.composite
def event(draw: st.DrawFn, *, prefix: str, plain: bool) -> str:
    attrs = draw(st.lists(attribute(prefix=prefix, plain=plain), min_size=1 if plain else 0, max_size=6))
    if plain:  # at least one attribute with both key and value: the event is a row the fast reader sees
        attrs.append(f"<{prefix}string key='concept:name' value='{draw(st.sampled_from(['a', 'b', 'c']))}'/>")
    if draw(st.booleans()):
        attrs.append(
            f"<{prefix}string key='lifecycle:transition' value='{draw(st.sampled_from(['start', 'complete']))}'/>"
        )
    if draw(st.integers(0, 3)):  # sometimes no timestamp
        attrs.append(f"<{prefix}date key='time:timestamp' value='2024-01-{draw(st.integers(1, 28)):02d}T10:00:00'/>")
    order = draw(st.permutations(attrs))
    if not order and draw(st.booleans()):
        return f"<{prefix}event{draw(st.sampled_from(['/', ' /']))}>"  # an event without attributes: a row of nulls
    return f"<{prefix}event>" + "".join(order) + f"</{prefix}event>"


@st.composite
def trace(draw: st.DrawFn, *, prefix: str, plain: bool) -> str:
    before = draw(st.lists(attribute(prefix=prefix, plain=plain), max_size=2))
    if draw(st.integers(0, 3)):
        before.insert(0, f"<{prefix}string key='concept:name' value='case {draw(st.integers(0, 99))}'/>")
    events = draw(st.lists(event(prefix=prefix, plain=plain), min_size=1 if plain else 0, max_size=5))
    after = draw(st.lists(attribute(prefix=prefix, plain=plain), max_size=1))
    if plain and not before and not after and not events:
        events = [draw(event(prefix=prefix, plain=plain))]
    if not plain and draw(st.integers(0, 15)) == 0:
        before.append("<!-- a comment <with markup> -->")
    sep = draw(st.sampled_from(["", "\n  "]))
    return f"<{prefix}trace>{sep}" + sep.join(before + events + after) + f"{sep}</{prefix}trace>"


@st.composite
def xes_document(draw: st.DrawFn, *, plain: bool = False) -> bytes:
    """A generated XES document as bytes, in one of several encodings."""
    encoding = "utf-8" if plain else draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "iso-8859-1", "utf-16"]))
    prefix = "" if plain or draw(st.integers(0, 7)) else "xes:"
    namespace = draw(st.sampled_from(['', ' xmlns="http://www.xes-standard.org/"', ' xmlns="http://code.deckfour.org/xes"']))
    if prefix:
        namespace = ' xmlns:xes="http://www.xes-standard.org/"'
    declared = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "iso-8859-1": "ISO-8859-1", "utf-16": "UTF-16"}[encoding]
    header = draw(st.sampled_from([f'<?xml version="1.0" encoding="{declared}"?>\n', '<?xml version="1.0"?>\n', ""]))
    if encoding in ("iso-8859-1", "utf-16") and not header:
        header = f'<?xml version="1.0" encoding="{declared}"?>\n'
    head = (f'<{prefix}extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>'
            f'<{prefix}global scope="event"><{prefix}string key="concept:name" value="__INVALID__"/></{prefix}global>'
            f'<{prefix}classifier name="Activity" keys="concept:name"/><{prefix}string key="origin" value="log"/>')
    body = draw(st.lists(trace(prefix=prefix, plain=plain), min_size=1, max_size=6))
    if not plain and draw(st.integers(0, 10)) == 0:
        body.insert(
            draw(st.integers(0, len(body))),
            f"<{prefix}event><{prefix}string key='concept:name' value='stray'/></{prefix}event>",
        )
    newline = "\n" if plain else draw(st.sampled_from(["\n", "\r\n"]))
    text = (f"{header}<{prefix}log xes.version='1.0'{namespace}>{newline}{head}{newline}"
            + newline.join(body) + f"{newline}</{prefix}log>{newline}")
    if encoding == "iso-8859-1":
        text = text.encode("latin-1", errors="replace").decode("latin-1")
    return text.encode(encoding, errors="replace" if encoding == "iso-8859-1" else "strict")


def _ours(data: bytes, limits: Limits | None = None) -> tuple[str, object, object]:
    with mock.patch.dict(os.environ, {xesfast.READER_ENV: "python"}):
        return _answer(data, limits)


def _answer(data: bytes, limits: Limits | None = None) -> tuple[str, object, object]:
    try:
        table = scan_xes(data, "gen.xes", limits=limits)
    except JourneyError as error:
        return "refused", str(error), None
    return "read", table.frame, table.skipped


def _same(left: tuple[str, object, object], right: tuple[str, object, object]) -> bool:
    if left[0] != right[0]:
        return False
    if left[0] == "refused":
        return left[1] == right[1]
    a, b = left[1], right[1]
    assert isinstance(a, pl.DataFrame) and isinstance(b, pl.DataFrame)
    return a.columns == b.columns and a.equals(b) and left[2] == right[2]


def _fast(data: bytes, limits: Limits | None = None) -> pl.DataFrame:
    limits = (limits or Limits()).resolved()
    return xesfast.fast_table(data, int(limits.xml_depth), int(limits.columns), limits.cell_bytes).frame


@contextlib.contextmanager
def _in_python(on: bool) -> Iterator[None]:
    """With `on`, patch the scan to read every tag in Python (as it reads the tags not in the usual form)."""
    if not on:
        yield
        return

    def unknown(word: np.ndarray, length: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.full(len(word), -1), np.zeros(len(word), dtype=np.int8)

    with mock.patch.object(xestags, "_GENERIC_SHARE", 1.0), mock.patch.object(xestags, "_known_names", unknown):
        yield


SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                          HealthCheck.data_too_large])


@SETTINGS
@given(data=xes_document(), in_python=st.booleans())
def test_any_log_reads_as_our_reader_reads_it(data: bytes, in_python: bool) -> None:
    """Whatever the fast reader answers is ours; with it first, scan_xes answers (or refuses) as ours does."""
    ours = _ours(data)
    with _in_python(in_python):
        try:
            fast = _fast(data)
        except Unsure:
            fast = None
        if fast is not None:
            assert ours[0] == "read" and _same(("read", fast, {}), ours), (fast, ours)
        assert _same(_answer(data), ours)


@SETTINGS
@given(data=xes_document(plain=True), in_python=st.booleans())
def test_plain_logs_are_read_by_the_fast_reader(data: bytes, in_python: bool) -> None:
    """UTF-8 logs whose events and traces all have attributes: the fast reader answers, and as ours does."""
    ours = _ours(data)
    with _in_python(in_python):
        fast = _fast(data)  # raises Unsure, failing the test, if the fast reader stands aside
    assert _same(("read", fast, {}), ours)


@SETTINGS
@given(data=xes_document(), part_bytes=st.integers(1, 200))
def test_parts_of_any_size_read_as_one(data: bytes, part_bytes: int) -> None:
    """The document scanned in parts of a few bytes (cut at a '<' past each multiple): the answer of one part."""
    try:
        whole = _fast(data)
    except Unsure as error:
        whole = str(error)
    with mock.patch.object(xestags, "_PART_BYTES", part_bytes):
        try:
            parts = _fast(data)
        except Unsure as error:
            parts = str(error)
    assert type(whole) is type(parts) and (parts == whole if isinstance(whole, str) else parts.equals(whole))


def test_a_large_log_read_in_two_halves_reads_as_ours() -> None:
    """A log of 30,000 traces (the two halves of the scan meet inside a trace): the table is our reader's."""
    more = '<event><string key="k" value="v"/></event>' * 3
    traces = "".join(f"<trace><string key=\"concept:name\" value=\"c{i}\"/><event><string key=\"concept:name\" "
                     f"value=\"{'ab'[i % 2]}\"/><date key=\"time:timestamp\" value=\"2024-01-01T10:00:{i % 60:02d}\"/>"
                     f"<int key=\"n\" value=\"{i}\" /></event>{more}</trace>\n" for i in range(30_000))
    data = f"<?xml version='1.0'?>\n<log>{traces}</log>\n".encode()
    assert _fast(data).equals(_ours(data)[1])


def test_gzip_reads_as_the_plain_document() -> None:
    """Gzip, one member or two (the trailer then states the last member's size only): the plain document's table."""
    rows = "".join(f"<trace><string key='concept:name' value='c{i}'/><event><string key='concept:name' value='a'/>"
                   f"</event></trace>" for i in range(2_000))
    data = f"<?xml version='1.0'?>\n<log>{rows}</log>\n".encode()
    limits = Limits().resolved()
    plain = _fast(data)
    for packed in (gzip.compress(data), gzip.compress(data[:1_000]) + gzip.compress(data[1_000:])):
        table = xesfast.fast_scan(packed, "x.xes.gz", limits.decompressed_bytes, limits)
        assert table is not None and table.frame.equals(plain) and plain.height == 2_000


def test_helpdesk_reads_the_same() -> None:
    """The real helpdesk log: the fast reader answers, with exactly our reader's table."""
    data = gzip.decompress(HELPDESK.read_bytes())
    fast = _fast(data)
    ours = _ours(HELPDESK.read_bytes())
    assert ours[0] == "read" and _same(("read", fast, {}), ours)
    assert fast.height == 21_348


@pytest.mark.parametrize("hostile", [h for h in CATALOGUE if ".xes" in h.name], ids=lambda h: h.id)
def test_hostile_logs_are_left_to_our_reader(hostile, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every hostile XES file of the catalogue: the fast reader stands aside, so ours gives its sentence."""
    for key, value in hostile.env.items():
        monkeypatch.setenv(key, value)
    limits = Limits().resolved()
    assert xesfast.fast_scan(hostile.make(), hostile.name, limits.decompressed_bytes, limits) is None


class TestStandsAside:
    """Files the fast reader leaves to ours, each for its own reason."""

    BASE = "<log><trace><string key='concept:name' value='c'/><event><string key='concept:name' value='a'/>" \
           "</event></trace>{extra}</log>"

    @pytest.mark.parametrize("text, reason", [
        ("<log><trace><string key='concept:name' value='c'/><event><string key='concept:name' value='a'/></event>",
         "not closing its root"),
        ('<?xml version="1.0"?><!DOCTYPE log><log><trace><event><string key="k" value="v"/></event></trace></log>',
         "DOCTYPE"),
        ("<log><trace><event><string key='k' value='a&#1;b'/></event></trace></log>", "XML does not allow"),
        ('<log><trace><event><string key="k" value="a&#1;b"/></event></trace></log>', "XML does not allow"),
        ("<log><trace><event><string key='k' value='a\x01b'/></event></trace></log>", "XML does not allow"),
        ('<log><trace><event><string key="k" value="a\x01b"/></event></trace></log>', "XML does not allow"),
        ('<log><trace><event><string key="k" value="\uffff"/></event></trace></log>', "XML does not allow"),
        ('<log><trace><event><string key="k" value="a&foo;b"/></event></trace></log>', "reference XML does not"),
        ("<log><trace><event>&foo;<string key='k' value='v'/></event></trace></log>", "text between elements"),
        ('<log><trace><event>text<string key="k" value="v"/></event></trace></log>', "text between elements"),
        (("<log><event><string key='k' value='stray'/></event><trace><event><string key='k' value='v'/></event>"
         "</trace></log>"), "outside a trace"),
        (("<log><trace><string key='region' value='n'/><event><string key='case:region' value='e'/></event></trace>"
         "</log>"), "named like a case column"),
        ("<other><trace><event><string key='k' value='v'/></event></trace></other>", "no <log> root"),
        ('<log><trace><event><string key="k" value="v"/></event></trace></log><log/>', "a second root"),
        ('<log><trace><event><string key="k" value="v"/></trace></event></log>', "not matching its start"),
        ('<log><trace><event><x:string key="k" value="v"/></event></trace></log>', "undeclared namespace prefix"),
        ('<log><trace><event><string key="k" value="v" key="w"/></event></trace></log>', "an attribute twice"),
        ('<log><trace><event><![CDATA[x]]><string key="k" value="v"/></event></trace></log>', "CDATA"),
        ('<log><trace><!-- a <b> --><event><string key="k" value="v"/></event></trace></log>', "malformed"),
        ('<log><trace><event><?pi x?><string key="k" value="v"/></event></trace></log>', "processing instruction"),
        ('<log><trace><event><string key="k" value="v"/></event></trace><', "cut after a '<'"),
    ])
    def test_reason(self, text: str, reason: str) -> None:
        with pytest.raises(Unsure, match=reason):
            _fast(text.encode())

    def test_deep_nesting_under_a_lowered_limit(self) -> None:
        """Ten nested containers in an event could pass a depth limit of 12: ours decides (and refuses)."""
        nest = "<container key='k'>" * 10 + "</container>" * 10
        text = f"<log><trace><event><string key='k' value='v'/>{nest}</event></trace></log>".encode()
        with pytest.raises(Unsure, match="depth limit"):
            _fast(text, Limits(xml_depth=12))
        assert _answer(text, Limits(xml_depth=12)) == _ours(text, Limits(xml_depth=12))
        assert _fast(text).height == 1  # under the default limit of 100 the fast reader answers

    def test_under_a_tight_memory_cap_our_reader_reads(self) -> None:
        text = self.BASE.format(extra="").encode()
        with mock.patch.object(xesfast, "_memory_allows", lambda need: False):
            assert xesfast.fast_scan(text, "x.xes", 1 << 30, Limits()) is None

    def test_a_fault_of_the_fast_reader_leaves_the_file_to_ours(self) -> None:
        text = self.BASE.format(extra="").encode()
        with mock.patch.object(xesfast, "read_tags", side_effect=IndexError("a bug")):
            assert xesfast.fast_scan(text, "x.xes", 1 << 30, Limits()) is None
            assert scan_xes(text, "x.xes").frame["concept:name"].to_list() == ["a"]

    def test_the_environment_variable_chooses_our_reader(self, monkeypatch: pytest.MonkeyPatch) -> None:
        text = self.BASE.format(extra="").encode()
        assert xesfast.fast_scan(text, "x.xes", 1 << 30, Limits()) is not None
        monkeypatch.setenv(xesfast.READER_ENV, "python")
        assert xesfast.fast_scan(text, "x.xes", 1 << 30, Limits()) is None
