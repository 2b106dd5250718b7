"""Tests for journeymap.charts.textfit: label widths in the shipped font, and labels fitted to a slot."""

from __future__ import annotations

import pyphen
from hypothesis import given, settings
from hypothesis import strategies as st

from journeymap.charts.textfit import ELLIPSIS, LabelLanguage, fit_label, label_language, text_width


class TestWidth:
    def test_widths_follow_the_font(self):
        """Longer, bigger and bolder text is wider; DejaVu Sans at 13 px puts 'Equipment' near 71 px."""
        assert 65 < text_width("Equipment", 13) < 78
        assert text_width("Equipment shipped", 13) > text_width("Equipment", 13)
        assert text_width("Equipment", 13, bold=True) > text_width("Equipment", 13)
        assert text_width("Equipment", 26) == 2 * text_width("Equipment", 13)

    def test_characters_outside_the_font_count_wide(self):
        """A character the export font lacks is counted as 0.62 em, not as nothing."""
        assert text_width("漢字", 10) == 2 * 0.62 * 10


class TestFit:
    def test_wraps_between_words(self):
        assert fit_label("Take in charge ticket", 100, 13, 3) == ["Take in charge", "ticket"]

    def test_breaks_after_underscores_slashes_and_hyphens(self):
        """Real activity names without spaces break where they are joined ("A_" / "SUBMITTED")."""
        assert fit_label("A_SUBMITTED/DECLINED", 110, 13, 3) == ["A_SUBMITTED/", "DECLINED"]

    def test_too_long_ends_in_an_ellipsis(self):
        lines = fit_label("Determine necessity of stop advice for the customer", 90, 12, 2)
        assert len(lines) == 2 and lines[-1].endswith(ELLIPSIS)

    def test_a_word_wider_than_the_slot_is_hyphenated_keeping_three_letters(self):
        lines = fit_label("Confirmation", 60, 12, 3)
        assert lines[0].endswith("-") and len(lines[-1]) >= 3 and "".join(lines).replace("-", "") == "Confirmation"

    def test_a_long_word_breaks_at_a_syllable(self):
        """receipt's first step on a narrow map column: "Confirma-tion", not "Confirmat-ion"."""
        assert fit_label("Confirmation of receipt", 70, 12, 3) == ["Confirma-", "tion of", "receipt"]

    @settings(max_examples=200, deadline=None)
    @given(word=st.sampled_from(["Confirmation", "Administration", "Registration", "Notification", "Equipment",
                                 "Documentation", "Reimbursement", "PARTLYSUBMITTED", "Escalation"]),
           width=st.floats(min_value=30, max_value=110))
    def test_a_hyphen_falls_where_the_dictionary_allows(self, word, width):
        """Whenever a syllable of the word fits the line, the word is hyphenated at a syllable boundary."""
        points = pyphen.Pyphen(lang="en_US", left=2, right=3).positions(word)
        lines = fit_label(word, width, 12, 4)
        if lines[0].endswith("-") and text_width(word[:points[0]] + "-", 12) <= width:
            assert len(lines[0]) - 1 in points, lines

    def test_no_break_after_a_hotspot_number(self):
        """The no-break space after ① keeps the number with the first word."""
        assert fit_label("①\u00a0Equipment shipped", 95, 12, 2)[0] == "①\u00a0Equipment"

    @settings(max_examples=150, deadline=None)
    @given(text=st.text(alphabet=st.sampled_from("abcdefghij KLMNOP_/-.é①\u00a0"), min_size=1, max_size=60),
           width=st.floats(min_value=30, max_value=300), lines=st.integers(min_value=1, max_value=4))
    def test_every_line_fits(self, text, width, lines):
        """Whatever the text, at most `lines` lines, each no wider than the slot (or one character)."""
        fitted = fit_label(text, width, 12, lines)
        assert 1 <= len(fitted) <= lines
        assert all(text_width(line, 12) <= width or len(line) <= 2 for line in fitted)


# Activity names as real exports write them: an SAP-like German purchase-to-pay log, BPIC 2012's Dutch
# work items, and English ones (receipt, road fines) with a few codes among them.
GERMAN = ("Bestellanforderung angelegt", "Freigabe Kostenstelle", "Wareneingang gebucht", "Rechnungsprüfung",
          "Zahlung ausgeführt", "Bestellanforderung abgelehnt")
DUTCH = ("A_SUBMITTED", "A_PARTLYSUBMITTED", "W_Completeren aanvraag", "W_Nabellen offertes", "O_SENT_BACK",
         "W_Valideren aanvraag", "W_Wijzigen contractgegevens", "W_Afhandelen leads", "W_Beoordelen fraude")
ENGLISH = ("Create Fine", "Send Fine", "Insert Fine Notification", "Add penalty", "Payment",
           "Send for Credit Collection", "T02 Check confirmation of receipt")


class TestLanguage:
    def test_the_labels_language_is_read_from_all_of_them(self):
        assert label_language(GERMAN) == "de_DE"
        assert label_language(DUTCH) == "nl_NL"
        assert label_language(ENGLISH) == "en_US"

    def test_a_language_without_a_dictionary_keeps_the_english_patterns(self):
        """Finnish has no pyphen dictionary: its labels are not taken for Estonian, which has one."""
        finnish = ("Tilaus vastaanotettu", "Lasku lähetetty", "Maksu vastaanotettu", "Toimitus valmis")
        assert label_language(finnish) == "en_US"

    def test_codes_and_numbers_keep_the_english_patterns(self):
        """Labels that tell no language (short codes, numbers) are not guessed at."""
        assert label_language(("A", "B", "NEW", "FIN")) == "en_US"
        assert label_language(("T01", "T02 12", "X_9")) == "en_US"

    def test_a_german_word_breaks_at_a_german_syllable(self):
        """'Waren-eingang' by the German patterns; the English ones have no point that fits: 'Warenei-ngang'."""
        german = LabelLanguage(GERMAN)
        points = pyphen.Pyphen(lang="de_DE", left=2, right=3).positions("Wareneingang")
        lines = fit_label("Wareneingang gebucht", 60, 12, 3, language=german)
        assert lines[0].endswith("-") and len(lines[0]) - 1 in points, lines
        english = fit_label("Wareneingang gebucht", 60, 12, 3)  # the English patterns have no point that fits
        assert lines[0] == "Waren-" and english[0] == "Warenei-"

    def test_the_language_is_found_only_when_a_word_needs_breaking(self):
        """Labels that fit whole never ask for the language (reading the identifier's model costs time)."""
        language = LabelLanguage(GERMAN)
        assert fit_label("Zahlung", 200, 12, 2, language=language) == ["Zahlung"]
        assert "dictionary" not in vars(language)
        fit_label("Bestellanforderung", 60, 12, 3, language=language)
        assert vars(language)["dictionary"] == "de_DE"

    def test_the_real_logs_and_samples_keep_the_english_patterns(self, real_data):
        """The English logs in the repository and the sample journeys still break by the English patterns."""
        from journeymap import load_journey, read_events
        from journeymap.journey.samples import SAMPLE_JOURNEYS, sample_journey_path

        for name in ("receipt.csv", "helpdesk.xes.gz"):
            activities = read_events(real_data / name).frame.get_column("activity").cast(str).unique().to_list()
            assert label_language(tuple(sorted(activities))) == "en_US", name
        for journey_id in SAMPLE_JOURNEYS:
            journey = load_journey(sample_journey_path(journey_id))
            assert label_language(tuple(sorted({*(s.label for s in journey.steps), *(s.label for s in journey.stages)}))
                                  ) == "en_US", journey_id
