"""Download buttons for a table: Excel and CSV, French and formula-safe.

Streamlit's own table toolbar download (« Download as CSV »: English, unformatted, formulas
live) is turned off for the whole app (`client.disableDataExport` in
`.streamlit/config.toml`); pages offer these buttons instead. The files are built only when
a button is clicked.

    from ui.downloads import download_buttons

    download_buttons(exports.funding_table(lines), "financement-2026")
    # or straight from a frame, headers given, kinds (dates, numbers) read from the values:
    download_buttons(frame, "valeurs", {"year": "Année", "value": "Valeur"})
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

import pandas as pd
import streamlit as st

from ctg_core.common import config, formats
from ctg_core.exchange import writers
from ctg_core.exchange.writers import Column, Table


def download_buttons(
    data: Table | pd.DataFrame | Callable[[], Table],
    name: str,
    columns: Sequence[Column] | Mapping[str, str] | None = None,
    *,
    label: str = "Télécharger",
    help: str | None = None,
    key: str | None = None,
    rows: int | None = None,
) -> None:
    """Two buttons, « {label} (Excel) » and « CSV », for the rows of `data` (the rows the
    page shows: apply its filters first). `data` may also be a function that returns the
    table, called only when a button is clicked (for a table the page does not show, or
    shows a page at a time: then say how many `rows` it holds).
    `name` is the file's name, without date or extension (« plan-actions-nantes »)."""
    if isinstance(data, pd.DataFrame):
        data = writers.table(data, columns, title=name)
    if isinstance(data, Table):
        shown = data
        rows = len(shown.frame)
        counted = f"{formats.number(rows)} ligne{'s' if rows > 1 else ''}"

        def table() -> Table:
            return shown
    else:
        table, counted = data, "toutes les lignes"
        if rows is not None:
            counted = f"{formats.number(rows)} ligne{'s' if rows > 1 else ''}"
    stem = f"{file_stem(name)}-{config.today():%Y-%m-%d}"
    key = key or f"download-{file_stem(name)}"
    with st.container(horizontal=True, vertical_alignment="center", key=f"{key}-bar"):
        st.download_button(
            f"{label} (Excel)",
            data=lambda: writers.excel_bytes(table()),
            file_name=f"{stem}.xlsx",
            mime=writers.XLSX_MIME,
            on_click="ignore",
            icon=":material/download:",
            help=help or f"Classeur Excel : {counted}, en-têtes en français, dates et nombres.",
            key=f"{key}-xlsx",
        )
        st.download_button(
            "CSV",
            data=lambda: writers.csv_bytes(table()),
            file_name=f"{stem}.csv",
            mime=writers.CSV_MIME,
            on_click="ignore",
            icon=":material/download:",
            help=f"Texte CSV (séparateur point-virgule, UTF-8) : {counted}.",
            key=f"{key}-csv",
        )


def file_stem(name: str) -> str:
    """« Plan d'actions — Nantes Métropole » → « plan-d-actions-nantes-metropole »."""
    return re.sub(r"[^a-z0-9]+", "-", formats.folded(name)).strip("-")[:80] or "export"
