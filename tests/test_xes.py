"""Tests for the streaming XES reader in journeymap.log.xes."""

from __future__ import annotations

import gzip
from pathlib import Path

import polars as pl
import pytest

from journeymap.core.errors import JourneyError
from journeymap.log.limits import Limits
from journeymap.log.xes import read_xes, scan_xes

REAL_DATA = Path(__file__).resolve().parent / "data" / "real"  # in the repository, CC BY 4.0
HELPDESK = REAL_DATA / "helpdesk.xes.gz"

XES_NS = 'xmlns="http://www.xes-standard.org/"'

# Two traces; the second has no concept:name and no region. Log-level attributes, globals and
# classifiers sit before the traces and must not leak into the table.
SAMPLE = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1.0" xes.features="nested-attributes" {ns}>
  <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
  <global scope="event"><string key="concept:name" value="__INVALID__"/></global>
  <classifier name="Activity" keys="concept:name"/>
  <string key="origin" value="log level"/>
  <trace>
    <string key="concept:name" value="A"/>
    <string key="region" value="north"/>
    <event>
      <string key="concept:name" value="Register"/>
      <date key="time:timestamp" value="2024-01-01T09:00:00.000+01:00"/>
      <string key="org:resource" value="Ann"/>
      <int key="cost" value="10"/>
      <float key="weight" value="1.5"/>
      <boolean key="urgent" value="true"/>
      <id key="ref" value="e-1"/>
    </event>
    <event>
      <string key="concept:name" value="Check"/>
      <date key="time:timestamp" value="2024-01-01T10:30:00.000+01:00"/>
      <string key="note" value="outer">
        <string key="inner" value="nested"/>
      </string>
      <list key="items"><values><string key="x" value="1"/></values></list>
      <container key="box"><string key="y" value="2"/></container>
    </event>
  </trace>
  <trace>
    <event>
      <string key="concept:name" value="Register"/>
      <date key="time:timestamp" value="2024-01-02T08:00:00Z"/>
      <string key="org:resource" value="Bob"/>
    </event>
  </trace>
</log>
"""

SAMPLE_COLUMNS = [
    "case:concept:name",
    "concept:name",
    "time:timestamp",
    "org:resource",
    "cost",
    "weight",
    "urgent",
    "ref",
    "note",
    "case:region",
]


def _write(tmp_path: Path, text: str, name: str = "log.xes", compress: bool = False) -> Path:
    """Write ``text`` to ``tmp_path / name``, gzip-compressed if asked."""
    path = tmp_path / name
    data = text.encode("utf-8")
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


@pytest.fixture()
def sample(tmp_path: Path) -> pl.DataFrame:
    """The namespaced sample log, read back."""
    return read_xes(_write(tmp_path, SAMPLE.format(ns=XES_NS)))


class TestColumns:
    """Column names, order, types and values."""

    def test_column_order(self, sample: pl.DataFrame) -> None:
        """Case id first, then event attributes by first appearance, then other case attributes."""
        assert sample.columns == SAMPLE_COLUMNS

    def test_all_columns_are_strings(self, sample: pl.DataFrame) -> None:
        """Every column, whatever its XES type, comes back as a string column."""
        assert all(dtype == pl.String for dtype in sample.dtypes)

    def test_typed_values_kept_as_text(self, sample: pl.DataFrame) -> None:
        """int, float, boolean, id and date values keep their literal text."""
        first = sample.row(0, named=True)
        assert first["cost"] == "10"
        assert first["weight"] == "1.5"
        assert first["urgent"] == "true"
        assert first["ref"] == "e-1"
        assert first["time:timestamp"] == "2024-01-01T09:00:00.000+01:00"

    def test_trace_attribute_repeated_on_each_event(self, sample: pl.DataFrame) -> None:
        """A trace attribute becomes a case: column, repeated on each of the trace's events."""
        assert sample["case:concept:name"].to_list() == ["A", "A", "trace-2"]
        assert sample["case:region"].to_list() == ["north", "north", None]

    def test_missing_attribute_is_null(self, sample: pl.DataFrame) -> None:
        """An attribute an event lacks is null in that row, not an empty string."""
        assert sample["org:resource"].to_list() == ["Ann", None, "Bob"]
        assert sample["cost"].to_list() == ["10", None, None]

    def test_nested_attributes_ignored(self, sample: pl.DataFrame) -> None:
        """Children of attributes, lists and containers add no columns; parents keep their value."""
        assert sample["note"].to_list() == [None, "outer", None]
        for key in ("inner", "items", "box", "x", "y"):
            assert key not in sample.columns

    def test_log_level_elements_ignored(self, sample: pl.DataFrame) -> None:
        """Log attributes, globals and classifiers do not become columns or values."""
        assert "origin" not in sample.columns
        assert "__INVALID__" not in sample["concept:name"].to_list()

    def test_trace_without_name_gets_ordinal_id(self, tmp_path: Path) -> None:
        """A trace without concept:name is named trace-<n> by its 1-based position in the file."""
        text = (
            "<log>"
            "<trace><string key='concept:name' value='c1'/>"
            "<event><string key='concept:name' value='a'/></event></trace>"
            "<trace><event><string key='concept:name' value='b'/></event></trace>"
            "<trace><event><string key='concept:name' value='c'/></event></trace>"
            "</log>"
        )
        df = read_xes(_write(tmp_path, text))
        assert df["case:concept:name"].to_list() == ["c1", "trace-2", "trace-3"]

    def test_duplicate_key_last_wins(self, tmp_path: Path) -> None:
        """A key repeated inside one event keeps the last value and does not shift other rows."""
        text = (
            "<log><trace><string key='concept:name' value='c'/>"
            "<event><string key='k' value='1'/><string key='k' value='2'/></event>"
            "<event><string key='k' value='3'/></event>"
            "</trace></log>"
        )
        df = read_xes(_write(tmp_path, text))
        assert df["k"].to_list() == ["2", "3"]


class TestFormats:
    """Namespaces and compression."""

    def test_without_namespace_same_result(self, tmp_path: Path, sample: pl.DataFrame) -> None:
        """A log without the XES namespace reads exactly like the namespaced one."""
        plain = read_xes(_write(tmp_path, SAMPLE.format(ns=""), name="plain.xes"))
        assert plain.equals(sample)

    def test_gzip(self, tmp_path: Path, sample: pl.DataFrame) -> None:
        """A gzip-compressed .xes.gz reads like the plain file."""
        packed = read_xes(_write(tmp_path, SAMPLE.format(ns=XES_NS), "log.xes.gz", compress=True))
        assert packed.equals(sample)

    def test_gzip_detected_by_content(self, tmp_path: Path, sample: pl.DataFrame) -> None:
        """Gzip data is recognised by its magic bytes even when the name says plain .xes."""
        packed = read_xes(_write(tmp_path, SAMPLE.format(ns=XES_NS), "odd.xes", compress=True))
        assert packed.equals(sample)

    def test_plain_file_with_gz_suffix(self, tmp_path: Path, sample: pl.DataFrame) -> None:
        """Uncompressed data named .xes.gz is still read as plain XML."""
        plain = read_xes(_write(tmp_path, SAMPLE.format(ns=XES_NS), "odd.xes.gz"))
        assert plain.equals(sample)

    def test_other_namespace(self, tmp_path: Path, sample: pl.DataFrame) -> None:
        """Any default namespace on the log element is accepted, not only the standard one."""
        ns = 'xmlns="http://code.deckfour.org/xes"'
        other = read_xes(_write(tmp_path, SAMPLE.format(ns=ns), name="other.xes"))
        assert other.equals(sample)


class TestOrder:
    """Rows follow the file."""

    def test_rows_in_file_order(self, tmp_path: Path) -> None:
        """Row order equals event order in the file, across and within traces, unsorted by time."""
        events = [
            ("c2", "late", "2024-03-01"),
            ("c2", "early", "2024-01-01"),
            ("c1", "mid", "2024-02-01"),
        ]
        traces = "".join(
            f"<trace><string key='concept:name' value='{case}'/><event>"
            f"<string key='concept:name' value='{act}'/><date key='time:timestamp' value='{ts}'/>"
            "</event></trace>"
            for case, act, ts in events
        )
        df = read_xes(_write(tmp_path, f"<log {XES_NS}>{traces}</log>"))
        assert df.select("case:concept:name", "concept:name", "time:timestamp").rows() == events

    def test_trace_attribute_after_events(self, tmp_path: Path) -> None:
        """A trace attribute written after the trace's events still applies to all of them."""
        text = (
            "<log><trace>"
            "<event><string key='concept:name' value='a'/></event>"
            "<event><string key='concept:name' value='b'/></event>"
            "<string key='concept:name' value='late-id'/>"
            "</trace></log>"
        )
        df = read_xes(_write(tmp_path, text))
        assert df["case:concept:name"].to_list() == ["late-id", "late-id"]


class TestChunks:
    """Rows are handed to polars in chunks; the result must not depend on the chunk size."""

    TEXT = (
        "<log>"
        "<trace><string key='concept:name' value='A'/><string key='region' value='n'/>"
        "<event><string key='concept:name' value='a1'/><int key='cost' value='1'/></event>"
        "<event><string key='concept:name' value='a2'/></event></trace>"
        "<trace><string key='concept:name' value='B'/>"
        "<event><string key='concept:name' value='b1'/></event></trace>"
        "<trace><string key='concept:name' value='C'/><string key='tier' value='gold'/>"
        "<event><string key='concept:name' value='c1'/><string key='extra' value='x'/></event>"
        "</trace></log>"
    )

    def test_small_chunks_match_one_chunk(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Columns first seen in a later chunk are null-filled earlier and keep global order."""
        path = _write(tmp_path, self.TEXT)
        whole = read_xes(path)
        monkeypatch.setattr("journeymap.log.xes._CHUNK_ROWS", 1)
        chunked = read_xes(path)
        assert chunked.equals(whole)
        assert whole.columns == [
            "case:concept:name",
            "concept:name",
            "cost",
            "extra",
            "case:region",
            "case:tier",
        ]
        assert whole["case:tier"].to_list() == [None, None, None, "gold"]
        assert whole["cost"].to_list() == ["1", None, None, None]


class TestErrors:
    """Readable ValueErrors for broken or empty files."""

    def test_truncated_file_names_line(self, tmp_path: Path) -> None:
        """A truncated file raises ValueError naming the file and the line of the break."""
        text = SAMPLE.format(ns=XES_NS)
        path = _write(tmp_path, text[: text.index("<event>", text.index("Check")) - 40], "cut.xes")
        pattern = r"^cut\.xes: not valid XES at line \d+, column \d+"
        with pytest.raises(ValueError, match=pattern) as info:
            read_xes(path)
        assert "truncated" in str(info.value)

    def test_mismatched_tag_line_number(self, tmp_path: Path) -> None:
        """A syntax error reports the exact line and expat's reason."""
        text = "<log>\n<trace>\n<event>\n</trace>\n</log>\n"
        pattern = r"^bad\.xes: not valid XES at line 4, column 2 \(mismatched tag\)"
        with pytest.raises(ValueError, match=pattern):
            read_xes(_write(tmp_path, text, "bad.xes"))

    def test_truncated_gzip(self, tmp_path: Path) -> None:
        """A gzip stream cut short raises ValueError, not EOFError."""
        path = _write(tmp_path, SAMPLE.format(ns=XES_NS), "cut.xes.gz", compress=True)
        path.write_bytes(path.read_bytes()[:-30])
        with pytest.raises(ValueError, match=r"^cut\.xes\.gz: "):
            read_xes(path)

    def test_empty_file(self, tmp_path: Path) -> None:
        """An empty file raises the no-events error."""
        path = tmp_path / "empty.xes"
        path.write_bytes(b"")
        with pytest.raises(ValueError, match=r"^empty\.xes: the XES file contains no events\.$"):
            read_xes(path)

    def test_empty_gzip(self, tmp_path: Path) -> None:
        """A gzip file holding nothing raises the no-events error."""
        path = _write(tmp_path, "", "empty.xes.gz", compress=True)
        pattern = r"^empty\.xes\.gz: the XES file contains no events\.$"
        with pytest.raises(ValueError, match=pattern):
            read_xes(path)

    def test_log_without_events(self, tmp_path: Path) -> None:
        """A well-formed log whose traces hold no events raises the no-events error."""
        text = f"<log {XES_NS}><trace><string key='concept:name' value='c'/></trace></log>"
        with pytest.raises(ValueError, match=r"^none\.xes: the XES file contains no events\.$"):
            read_xes(_write(tmp_path, text, "none.xes"))


class TestHostileXml:
    """Entity tricks in an XES file are refused, not expanded or followed."""

    def test_entity_bomb_is_refused(self, tmp_path: Path) -> None:
        """Nested entities that would expand to a billion characters stop with a sentence naming the place."""
        entities = "".join(f'<!ENTITY e{i} "{f"&e{i - 1};" * 10}">' for i in range(1, 10))
        text = (f'<?xml version="1.0"?><!DOCTYPE log [<!ENTITY e0 "lol">{entities}]>'
                "<log><trace><event><string key='concept:name' value='&e9;'/></event></trace></log>")
        with pytest.raises(JourneyError, match=r"^lol\.xes: declares entities; XES needs none"):
            read_xes(_write(tmp_path, text, "lol.xes"))

    def test_external_entity_is_not_read(self, tmp_path: Path) -> None:
        """An entity pointing at a local file is an error, and the file's content appears nowhere."""
        secret = tmp_path / "secret.txt"
        secret.write_text("top secret")
        text = (f'<?xml version="1.0"?><!DOCTYPE log [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
                "<log><trace><event><string key='concept:name' value='&x;'/></event></trace></log>")
        with pytest.raises(JourneyError) as caught:
            read_xes(_write(tmp_path, text, "ext.xes"))
        assert "declares entities" in str(caught.value) and "top secret" not in str(caught.value)

    def test_a_doctype_without_entities_reads(self, tmp_path: Path) -> None:
        """A bare DOCTYPE is harmless and the log reads."""
        text = ('<?xml version="1.0"?><!DOCTYPE log><log><trace><string key="concept:name" value="c"/>'
                "<event><string key='concept:name' value='a'/></event></trace></log>")
        assert read_xes(_write(tmp_path, text, "doc.xes"))["concept:name"].to_list() == ["a"]


@pytest.fixture(scope="module")
def helpdesk() -> pl.DataFrame:
    """The real helpdesk log, read once."""
    return read_xes(HELPDESK)


class TestHelpdesk:
    """The real helpdesk log from the repository's test data."""

    def test_counts(self, helpdesk: pl.DataFrame) -> None:
        """The log has 21,348 events in 4,580 cases and 14 activities, as pm4py reports."""
        assert helpdesk.height == 21_348
        assert helpdesk["case:concept:name"].n_unique() == 4_580
        assert helpdesk["concept:name"].n_unique() == 14

    def test_columns(self, helpdesk: pl.DataFrame) -> None:
        """The standard and domain columns are present, with the case id first and no nulls."""
        assert helpdesk.columns[0] == "case:concept:name"
        for col in ("concept:name", "time:timestamp", "org:resource", "seriousness"):
            assert col in helpdesk.columns
        assert helpdesk.null_count().row(0) == (0,) * helpdesk.width

    def test_first_event(self, helpdesk: pl.DataFrame) -> None:
        """The first row is the first event in the file, with its raw timestamp text."""
        first = helpdesk.row(0, named=True)
        assert first["case:concept:name"] == "Case 1"
        assert first["concept:name"] == "Assign seriousness"
        assert first["time:timestamp"] == "2012-10-09T14:50:17+00:00"


def _event(value: str) -> str:
    return f"<event><string key='concept:name' value='{value}'/></event>"


class TestBounded:
    """Depth, value length and column count are capped while the file is read; events outside a trace are counted."""

    def test_event_outside_a_trace_is_counted(self) -> None:
        """An event directly under <log> is no row of any case, and is counted as set aside."""
        text = f"<log>{_event('stray')}<trace><string key='concept:name' value='c'/>{_event('a')}</trace></log>"
        table = scan_xes(text.encode(), "stray.xes")
        assert table.frame["concept:name"].to_list() == ["a"]
        assert table.skipped == {"outside any trace": 1}

    def test_only_events_outside_traces_say_so(self) -> None:
        with pytest.raises(JourneyError, match=r"^o\.xes: the XES file contains no events \(2 events outside any "
                                               r"trace\)\.$"):
            read_xes(f"<log>{_event('x')}{_event('y')}</log>".encode(), "o.xes")

    def test_deep_nesting_is_refused_at_its_level(self) -> None:
        """5,000 nested containers stop at the depth limit with a sentence, not a recursion error."""
        text = "<log><trace>" + "<container key='k'>" * 5000 + "</container>" * 5000 + "</trace></log>"
        with pytest.raises(JourneyError, match=r"^deep\.xes: nests elements too deeply \(<container> at level 101\) "
                                               r"\(the limit is 100 levels\); .*JOURNEYMAP_MAX_XML_DEPTH=200"):
            read_xes(text.encode(), "deep.xes")

    def test_depth_limit_can_be_raised(self) -> None:
        text = "<log><trace>" + "<container key='k'>" * 150 + "</container>" * 150 + _event("a") + "</trace></log>"
        assert read_xes(text.encode(), "deep.xes", limits=Limits(xml_depth=200)).height == 1

    def test_long_value_is_refused_before_it_is_read_whole(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A 4 MB value over a 1 MB limit is refused naming the line; under a raised limit it reads whole."""
        text = "<log><trace>\n" + _event("v" * (4 << 20)) + "</trace></log>"
        with pytest.raises(JourneyError, match=r"^long\.xes, line 2: has a value or tag too long to read \(the "
                                               r"limit is 1,024 KB\); .*JOURNEYMAP_MAX_CELL_KB=2048"):
            read_xes(text.encode(), "long.xes")
        monkeypatch.setenv("JOURNEYMAP_MAX_CELL_KB", "8192")
        assert read_xes(text.encode(), "long.xes")["concept:name"].str.len_bytes().to_list() == [4 << 20]

    def test_long_value_fed_in_growing_pieces_reads_the_same(self) -> None:
        """Values that span many pieces of input (pieces double while a token is open) arrive intact."""
        values = ["x" * 300_000, "y" * 70_000, "z"]
        text = "<log><trace>" + "".join(_event(v) for v in values) + "</trace></log>"
        assert read_xes(text.encode(), "v.xes")["concept:name"].to_list() == values

    def test_too_many_attribute_keys_is_refused(self) -> None:
        keys = "".join(f"<string key='k{i}' value='v'/>" for i in range(50))
        text = f"<log><trace><event>{keys}</event></trace></log>"
        with pytest.raises(JourneyError, match=r"^wide\.xes: has too many different attribute keys \(columns\) "
                                               r"\(the limit is 20 columns\)"):
            read_xes(text.encode(), "wide.xes", limits=Limits(columns=20))

    def test_whitespace_between_elements_costs_no_memory(self) -> None:
        """Megabytes of whitespace (a text node ElementTree would keep) are skipped by the parser."""
        text = "<log>" + " " * (8 << 20) + f"<trace>{_event('a')}</trace></log>"
        assert read_xes(text.encode(), "ws.xes").height == 1
