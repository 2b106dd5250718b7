"""Text files as Excel, Windows and Unix write them: encodings, BOMs, delimiters and line endings."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journeymap.core.errors import JourneyError
from journeymap.log.readers import read_events, read_table
from journeymap.log.textfile import lines_above_header, sniff_delimiter, utf8_text

ROWS = [("C-1", "Prüfung", "2024-01-02 10:00"), ("C-1", "Übergabe an Büro", "2024-01-03 11:00"),
        ("C-2", "Café crème", "2024-01-04 12:00")]
ACTIVITIES = [row[1] for row in ROWS]


def text(sep: str = ",", newline: str = "\n") -> str:
    lines = [sep.join(("Case", "Activity", "Timestamp"))] + [sep.join(row) for row in ROWS]
    return newline.join(lines) + newline


class TestEncodings:
    @pytest.mark.parametrize("encoding, bom", [
        ("utf-8", b""), ("utf-8", codecs.BOM_UTF8),
        ("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE),
        ("utf-32-le", codecs.BOM_UTF32_LE),
        ("cp1252", b""), ("latin-1", b""),
    ])
    def test_each_encoding_reads_the_same(self, encoding: str, bom: bytes) -> None:
        """UTF-8 with or without BOM, UTF-16/32 with BOM, Windows-1252 and Latin-1 give the same events."""
        log = read_events(bom + text().encode(encoding), name="log.csv")
        assert log.roles.case == "Case"  # no BOM left in the first column's name
        assert log.frame["activity"].to_list() == ACTIVITIES

    @pytest.mark.parametrize("name", ["export.txt", "export.csv"])
    def test_excel_unicode_text(self, name: str) -> None:
        """Excel's "Unicode Text": UTF-16 LE with BOM, tab-separated, CRLF, saved as .txt or .csv."""
        data = codecs.BOM_UTF16_LE + text("\t", "\r\n").encode("utf-16-le")
        log = read_events(data, name=name)
        assert log.frame["activity"].to_list() == ACTIVITIES and log.frame.height == 3

    def test_utf16_without_bom(self) -> None:
        """UTF-16 without a BOM is recognised by its zero bytes."""
        assert read_events(text().encode("utf-16-le"), name="log.csv").frame["activity"].to_list() == ACTIVITIES

    def test_windows_1252_punctuation(self) -> None:
        """Curly quotes, dashes and the euro sign of cp1252 (bytes 0x80-0x9F) come out as written."""
        data = "case,activity,timestamp\nc1,Naïve “check” – 5 €,2024-01-01\n".encode("cp1252")
        assert read_events(data, name="log.csv").frame["activity"][0] == "Naïve “check” – 5 €"

    def test_valid_utf8_is_never_reinterpreted(self) -> None:
        """Bytes that are valid UTF-8 pass untouched (no detection guess over a correct file)."""
        data = text().encode("utf-8")
        assert utf8_text(data) == (data, "utf-8")

    def test_bom_file_from_disk_has_a_clean_first_name(self, tmp_path: Path) -> None:
        """A UTF-8 BOM file read from disk keeps its first column's name clean."""
        path = tmp_path / "bom.csv"
        path.write_bytes(codecs.BOM_UTF8 + text(";").encode())
        assert read_table(path, name="bom.csv").columns[0] == "Case"


class TestDelimiters:
    @pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
    def test_each_delimiter(self, sep: str) -> None:
        """Comma, semicolon, tab and pipe are found without being named."""
        log = read_events(text(sep).encode(), name="log.csv")
        assert log.frame["activity"].to_list() == ACTIVITIES

    def test_sniffed_over_several_lines_with_quotes(self) -> None:
        """Commas inside quoted values of a semicolon file do not win: every line splits the same by ';'."""
        data = b'case;activity;note\nc1;"Check, then file";"a, b, c"\nc1;Send;"x, y"\nc2;"Wait, again";z\n'
        assert sniff_delimiter(data) == ";"

    def test_header_alone_does_not_decide(self) -> None:
        """A header with a comma in a quoted name is split as its rows are."""
        data = b'"Case, id"\t"Activity"\ttime\nc1\tx\t2024-01-01\nc1\ty\t2024-01-02\n'
        assert sniff_delimiter(data) == "\t"

    def test_given_delimiter_wins(self) -> None:
        """--sep names the delimiter when sniffing would choose another."""
        data = b"a;b,c\n1;2,3\n4;5,6\n"
        assert read_table(data, name="x.csv", sep=";").columns == ["a", "b,c"]


class TestLineEndings:
    @pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
    def test_unix_windows_and_old_mac(self, newline: str) -> None:
        """LF, CRLF and a lone CR (old Mac OS) all end lines; no CR is left in a value."""
        log = read_events(text(",", newline).encode("cp1252"), name="log.csv")
        assert log.frame["activity"].to_list() == ACTIVITIES
        assert not any("\r" in value for value in log.frame["case"].to_list())


class TestTitleAboveHeader:
    """Reports exported from ticketing and ERP systems open with a title and a blank line over the table."""

    @pytest.mark.parametrize("sep", [",", ";", "\t"])
    @pytest.mark.parametrize("newline", ["\n", "\r\n"])
    def test_title_and_blank_line_are_left_out_and_said(self, sep: str, newline: str) -> None:
        data = ("Incident report - exported 2024-12-01 by admin" + newline + newline + text(sep, newline)).encode()
        log = read_events(data, name="report.csv")
        assert log.frame["activity"].to_list() == ACTIVITIES and log.skipped_rows == 0
        assert log.notes[0] == ("the 2 lines above the header on line 3 (a title: 'Incident report - exported "
                                "2024-12-01 by admin') were left out.")

    def test_line_numbers_count_the_title(self) -> None:
        """A broken row is named by its line in the file, the title's lines counted."""
        data = b"Export of all tickets\ncase,activity,timestamp\nc1,a,2024-01-01\nc1,b,\"2024-01-02\n"
        with pytest.raises(JourneyError, match=r"report\.csv, line 4"):
            read_events(data, name="report.csv")

    @pytest.mark.parametrize("data", [
        b"case_id,activity,timestamp\nc1,Apply,2026-01-01,\nc1,Review,2026-01-02,\n",  # rows end in a delimiter
        b'case,activity,timestamp\nC-0,"two\nlines",2024-01-01\nC-0,"semi;colon",2024-01-02\n',  # a value on 2 lines
        b"case;activity,x;timestamp\nc1;a,1;2024-01-01\nc1;b,2;2024-01-02\n",  # commas inside ';' fields
        b"Case;Activity;Timestamp;Amount\n0;A;2024-01-01 10:00;12,50;\n0;B;2024-01-02 10:00;3,10;\n",  # SAP-like
        b"Case\tActivity\tTimestamp\tName\n0\tA\t2024-01-01\tSmith, John\t\n0\tB\t2024-01-02\tDoe, Jane\n",
    ])
    def test_a_header_on_line_one_is_never_a_title(self, data: bytes) -> None:
        assert lines_above_header(data) == 0
        log = read_events(data, name="log.csv")
        assert log.frame.height == 2 and not any("above the header" in note for note in log.notes)

    @settings(max_examples=60, deadline=None)
    @given(title=st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters=",;\t|\"\r\n"),
                         min_size=1, max_size=80).filter(str.strip),
           blanks=st.integers(0, 3), sep=st.sampled_from([",", ";", "\t", "|"]))
    def test_any_title_over_any_table_reads_the_table(self, title: str, blanks: int, sep: str) -> None:
        """Whatever one-value title and blank lines stand above the table, the table reads as without them."""
        data = (title + "\n" * (blanks + 1) + text(sep)).encode()
        assert lines_above_header(data) == blanks + 1
        assert read_table(data, name="t.csv").equals(read_table(text(sep).encode(), name="t.csv"))

    def test_excel_delimiter_hint_is_followed(self) -> None:
        """Excel's "sep=;" first line names the delimiter (commas inside values stay in them) and is no title."""
        data = (b"sep=;\r\nCase;Activity;Timestamp\r\nC-1;Check, then file;2024-01-02 10:00\r\n"
                b"C-1;Send;2024-01-03 11:00\r\n")
        log = read_events(data, name="excel.csv")
        assert log.frame["activity"].to_list() == ["Check, then file", "Send"]
        assert log.notes[0] == "its first line, Excel's delimiter hint 'sep=;', was followed and left out."

    def test_one_case_is_one_case_in_the_table(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """The command line's table counts in words that agree: "1 case, 2 events"."""
        from journeymap.cli.main import main

        path = tmp_path / "one.csv"
        path.write_bytes(b"sep=;\nCase;Activity;Timestamp\nC-1;Check;2024-01-02 10:00\nC-1;Send;2024-01-03 11:00\n")
        assert main(["metrics", str(path), "--format", "table"]) == 0
        captured = capsys.readouterr()
        assert "\n1 case, 2 events, 0 rows skipped\n" in captured.out and "delimiter hint 'sep=;'" in captured.err

    def test_quotes_inside_a_quoted_header_name_are_one(self) -> None:
        """A quoted header name with doubled quotes in it reads as Note "x", as its values do."""
        data = b'case,activity,timestamp,"Note ""x"""\nc1,a,2024-01-01 10:00,"say ""hi"""\n'
        table = read_table(data, name="q.csv")
        assert table.columns[-1] == 'Note "x"' and table.row(0)[-1] == 'say "hi"'
