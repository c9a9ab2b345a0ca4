"""Spreadsheets in and out, and backups (DESIGN §3 `exchange/`).

- `formulas`: the one rule that keeps a text from running as a formula in a spreadsheet;
- `writers`: Excel (.xlsx) and CSV (`;`, UTF-8 with BOM) files of any table;
- `readers`: an uploaded `.xlsx` or `.csv` read the French way, or refused in French;
- `plan_sheet`, `indicator_sheet`: the columns, template and preview of an import;
- `commands`: the imports themselves (all or nothing, one `@command` each);
- `exports`: the tables the pages offer for download;
- `backup`: a consistent copy of the SQLite database while the app writes, and its restore
  (command line: ``python -m ctg_core.exchange backup|restore``).
"""
