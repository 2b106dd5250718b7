"""Decompression bombs: gzip is read as a stream and refused past a limit the user can raise."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import pytest

from journeymap.core.errors import JourneyError
from journeymap.log.limits import DEFAULT_MAX_DECOMPRESSED_MB, MAX_DECOMPRESSED_ENV, gunzip, max_decompressed_bytes
from journeymap.log.readers import read_events, read_table

MB = 1024 * 1024
LOG = b"case,activity,timestamp\n" + b"".join(b"c%d,step,2024-01-01 10:00\n" % i for i in range(2000))


def zeros_gzip(megabytes: int) -> bytes:
    """A gzip of `megabytes` zero bytes: about a thousandth of that size, as a bomb is."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b"\0" * MB
    return b"".join(packer.compress(block) for _ in range(megabytes)) + packer.flush()


class TestLimit:
    def test_bomb_csv_is_refused_naming_file_limit_and_remedy(self, tmp_path: Path) -> None:
        """64 MB of zeros behind 64 KB of gzip, with a 16 MB limit: one sentence, not a read of it all."""
        path = tmp_path / "bomb.csv.gz"
        path.write_bytes(zeros_gzip(64))
        assert path.stat().st_size < 100_000
        with pytest.raises(JourneyError) as caught:
            read_events(path, max_decompressed_mb=16)
        message = str(caught.value)
        assert message.startswith("bomb.csv.gz: decompresses to more than 16 MB")
        assert f"{MAX_DECOMPRESSED_ENV}=" in message and "max_decompressed_mb=" in message

    def test_bomb_xes_is_refused(self) -> None:
        """A gzip XES that expands past the limit is refused the same way, while it streams."""
        bomb = gzip.compress(b"<log>" + b" " * (8 * MB) + b"</log>")
        with pytest.raises(JourneyError, match=r"^bomb\.xes\.gz: decompresses to more than 2 MB"):
            read_table(bomb, name="bomb.xes.gz", max_decompressed_mb=2)

    def test_a_trailer_that_understates_the_size_is_not_trusted(self) -> None:
        """The gzip trailer's size (forged to 0 here) only speeds refusals up; the stream is still counted."""
        bomb = zeros_gzip(8)
        forged = bomb[:-4] + (0).to_bytes(4, "little")
        with pytest.raises(JourneyError, match="more than 4 MB"):
            read_table(forged, name="forged.csv.gz", max_decompressed_mb=4)

    def test_environment_variable_sets_the_limit(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """JOURNEYMAP_MAX_DECOMPRESSED_MB lowers (or raises) the limit; the keyword wins over it."""
        monkeypatch.setenv(MAX_DECOMPRESSED_ENV, "0.01")
        with pytest.raises(JourneyError, match="more than 0.01 MB"):
            read_events(gzip.compress(LOG), name="log.csv.gz")
        assert read_events(gzip.compress(LOG), name="log.csv.gz", max_decompressed_mb=1).frame.height == 2000

    def test_default_limit(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without a setting the limit is 2,048 MB; a setting that is not a number is named."""
        monkeypatch.delenv(MAX_DECOMPRESSED_ENV, raising=False)
        assert max_decompressed_bytes() == DEFAULT_MAX_DECOMPRESSED_MB * MB == 2048 * MB
        monkeypatch.setenv(MAX_DECOMPRESSED_ENV, "lots")
        with pytest.raises(JourneyError, match=f"{MAX_DECOMPRESSED_ENV} is 'lots'"):
            max_decompressed_bytes()

    def test_under_the_limit_reads_whole(self) -> None:
        """A log under the limit reads completely, concatenated gzip members included."""
        half = len(LOG) // 2
        cut = LOG.rindex(b"\n", 0, half) + 1
        two_members = gzip.compress(LOG[:cut]) + gzip.compress(LOG[cut:])
        assert gunzip(two_members, "x.gz", MB) == LOG
        assert read_events(two_members, name="log.csv.gz").frame.height == 2000


    def test_data_that_expands_like_a_bomb_but_fits_is_read_whole(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Counting a suspiciously compressible file first does not lose it: under the limit it reads whole."""
        monkeypatch.setattr("journeymap.log.limits._SUSPECT_BYTES", 1024)
        repetitive = LOG.splitlines(keepends=True)[0] + b"c1,step,2024-01-01 10:00\n" * 200_000
        packed = gzip.compress(repetitive)
        assert len(repetitive) > 50 * len(packed)
        assert gunzip(packed, "x.csv.gz", 64 * MB) == repetitive
        with pytest.raises(JourneyError, match="more than 1 MB"):
            gunzip(packed, "x.csv.gz", MB)


class TestDamagedGzip:
    def test_truncated(self) -> None:
        """A gzip cut short says so, naming the file."""
        with pytest.raises(JourneyError, match=r"^log\.csv\.gz: the gzip data is truncated"):
            read_events(gzip.compress(LOG)[:-200], name="log.csv.gz")

    def test_corrupted(self) -> None:
        """Flipped bytes in the deflate data are a damaged file, not a traceback."""
        data = bytearray(gzip.compress(LOG))
        data[40:60] = b"\xff" * 20
        with pytest.raises(JourneyError, match=r"^log\.csv\.gz: the gzip data is damaged"):
            read_events(bytes(data), name="log.csv.gz")


class TestReaderLimits:
    """Every reader limit: given, else its environment variable, else its default; past it, one sentence."""

    def test_defaults_and_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from journeymap.log.limits import ENV, Limits

        for env, _, _ in ENV.values():
            monkeypatch.delenv(env, raising=False)
        assert Limits().resolved() == Limits(decompressed_mb=2048, columns=2000, cell_kb=1024, xml_depth=100,
                                             excel_cells=20_000_000, milestone_cells=50_000_000)
        monkeypatch.setenv("JOURNEYMAP_MAX_COLUMNS", "3")
        assert Limits().resolved().columns == 3 and Limits(columns=9).resolved().columns == 9
        monkeypatch.setenv("JOURNEYMAP_MAX_COLUMNS", "many")
        with pytest.raises(JourneyError, match=r"^JOURNEYMAP_MAX_COLUMNS is 'many'; set it to a number, e\.g\. "
                                               r"JOURNEYMAP_MAX_COLUMNS=4000\.$"):
            Limits().resolved()

    def test_a_limit_given_to_read_events_wins(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Three columns over a limit of 2 are refused; a raised limit reads them."""
        from journeymap.log.limits import Limits

        monkeypatch.setenv("JOURNEYMAP_MAX_COLUMNS", "2")
        with pytest.raises(JourneyError, match=r"^log\.csv, line 1: has 3 columns \(the limit is 2 columns\); .*"
                                               r"JOURNEYMAP_MAX_COLUMNS=4\) or limits=Limits\(columns=4\)"):
            read_events(LOG, name="log.csv")
        assert read_events(LOG, name="log.csv", limits=Limits(columns=3)).frame.height == 2000
