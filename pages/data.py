"""Data: load your own event log and journey (or draft one from the log), then see its map."""

from __future__ import annotations

import streamlit as st

from journeymap.core.errors import JourneyError
from journeymap.core.numbers import format_share
from journeymap.journey.definition import journey_to_yaml
from journeymap.journey.samples import SAMPLE_JOURNEYS
from journeymap.ui import data, draft_choice, page, sources, state, upload
from journeymap.ui.state import Selection
from journeymap.ui.text import md

page.ensure_routed()
HOW = {"draft": "Draft a journey from the log", "yaml": "A journey definition file (YAML)",
       "sample": "A sample journey's definition"}

st.title("Your data", anchor=False)
st.write("Load an event log (one row per event: a case id, an activity, a timestamp; or one row per case with a "
         "date column per step) and measure it against a journey definition, or let journeymap draft one from "
         "the log. What you load here stays in this browser session and can be picked in the sidebar.")

st.subheader("1 · Event log", anchor=False)
where = sources.choose_where()  # a file, or what the server offers: its events database, ingested logs
ingested = None  # an ingested log is events already: it has no column step
if where == sources.DATABASE:
    log_upload, table = sources.database_table()
elif where == sources.INGESTED:
    log_upload, ingested = sources.ingested_log()
    table = sources.shown_frame(ingested)
else:
    log_file = st.file_uploader("Event log file", type=upload.LOG_TYPES, key="jm_upload_log",
                                help="Other columns (department, priority, channel …) become segment filters.")
    st.caption(f"CSV with any delimiter (also .csv.gz), Parquet, Excel or XES (.xes, .xes.gz); up to "
               f"{upload.limit_mb()} MB per file.")
    if log_file is None:
        sample_id = st.selectbox("No file at hand? Try with a sample log", SAMPLE_JOURNEYS, key="jm_sample_log",
                                 format_func=lambda key: f"{data.sample_journey(key).name} (sample)")
        log_upload, table = upload.sample_table(sample_id)
    else:
        oversize = upload.too_big(log_file.size)
        if oversize:
            st.error(oversize)
            st.stop()
        try:  # read in a child process with a memory and time budget; a workbook gets a sheet picker
            log_upload, table = upload.load(upload.Upload(log_file.name, log_file.getvalue()), key="jm_log")
        except JourneyError as error:
            st.error(md(str(error)), icon=":material/error:")
            st.stop()

st.subheader("2 · Columns", anchor=False)
if ingested is not None:
    st.caption(md(f"{log_upload.name}: {ingested.frame.height:,} events."))  # the columns: said above, under the pick
    roles = ingested.roles
else:
    upload.show_notes(log_upload)
    st.caption(md(f"{log_upload.name}: {table.height:,} rows, {table.width} columns.") + " The roles recognised "
               "from the column names, or else from the values, are preselected; change them if they are wrong.")
    roles = upload.map_columns(table, key=f"jm_roles_{log_upload.key[:10]}", made=log_upload.roles)
st.dataframe(table.head(8).to_pandas(), hide_index=True, width="stretch", height=320)

st.subheader("3 · Journey", anchor=False)
how = st.radio("Measure the log against", list(HOW), format_func=HOW.get, key="jm_journey_how", horizontal=True)
yaml_file = sample_journey = choice = None
if how == "yaml":
    yaml_file = st.file_uploader(
        "Journey definition",
        type=upload.JOURNEY_TYPES,
        key="jm_upload_yaml",
        help=("Steps, stages, transitions, start and end; see the sample journeys' YAML "
              "(Data page: A sample journey's definition) for examples."),
    )
elif how == "sample":
    sample_journey = st.selectbox("Sample journey", SAMPLE_JOURNEYS, key="jm_sample_journey",
                                  format_func=lambda key: data.sample_journey(key).name)
else:
    st.caption("The draft has every activity as a step in its usual order and every transition the cases take; "
               "the map's detail sliders hide the rare ones. Download its YAML below to add stages, owners "
               "and targets.")
    try:
        log_key = f"jm_draft_{log_upload.key[:10]}"
        drafted_from = ingested or draft_choice.read_log(log_upload, table, roles)
        for note in upload.log_notes(drafted_from, log_upload):
            st.info(md(note), icon=":material/info:")
        choice = draft_choice.show(drafted_from, log_key)
    except JourneyError as error:
        st.error(md(str(error)), icon=":material/error:")

if st.button("Show the map", type="primary", icon=":material/account_tree:", key="jm_load"):
    try:
        if how == "yaml" and yaml_file is None:
            raise JourneyError("Choose a journey definition file (.yaml) first, or draft one from the log.")
        log = ingested or draft_choice.read_log(log_upload, table, roles)
        if how == "yaml":
            journey = upload.read_journey(upload.Upload(yaml_file.name, yaml_file.getvalue()))
        elif how == "sample":
            journey = data.sample_journey(sample_journey)
        elif choice is not None:
            journey = draft_choice.draft(log, log_upload.name, choice)
        else:
            raise JourneyError(f"{log_upload.name}: fix the column step above before drafting a journey.")
    except JourneyError as error:
        st.error(md(str(error)), icon=":material/error:")
    else:
        key = data.upload_key(log_upload.content, roles, journey)
        source_id = data.add_source(journey, log, key)
        state.flash("success" if not log.skipped else "warning",
                    f"Loaded {log_upload.name} against “{journey.name}”. {log.skipped_sentence()}")
        noted = upload.log_notes_in_one(log, log_upload)  # far-dated events, a newest-first file: by the map too
        if noted:
            state.flash("info", noted)
        share, examples = upload.unmapped_share(log, journey)
        if share > 0.5:
            state.flash("warning", f"{format_share(share)} of the events have activities that are no step of this "
                        f"journey (for example: {', '.join(examples[:3])}); they are shown off the map. Check the "
                        "steps' aliases, or draft a journey from the log.")
        state.store(Selection(journey=source_id))
        st.switch_page("pages/map.py")

loaded = [data.get_source(key) for key in data.sources() if key.startswith("upload-")]
if loaded:
    st.subheader("Loaded in this session", anchor=False)
    for source in loaded:
        cases, events = data.log_counts(source)
        left, right = st.columns([4, 1], vertical_alignment="center")
        left.markdown(f"**{md(source.label)}**  \n{md(source.log_name)} · {cases:,} cases · {events:,} events · "
                      f"{len(source.journey.steps)} steps")
        right.download_button("Journey YAML", journey_to_yaml(source.journey), file_name=f"{source.journey.id}.yaml",
                              mime="application/yaml", key=f"jm_yaml_{source.id}", icon=":material/download:")
