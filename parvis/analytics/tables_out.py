"""The client report's tables as CSV (one file, the tables one after the other, each under
its section's and its own title) and as XLSX (one sheet per section). Numbers are written as
numbers (a spreadsheet formats them in its reader's language); text that a spreadsheet would
run as a formula is quoted."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from parvis.analytics.report import Cell, ReportData, comments_table, sections
from parvis.listening.explorer import csv_cell


def value(cell: Cell) -> Any:
    if cell is None:
        return ""
    if isinstance(cell, dt.datetime):
        # Local wall-clock time (the tables' datetimes are in the workspace's zone).
        return cell.replace(tzinfo=None, microsecond=0).isoformat(sep=" ")
    if isinstance(cell, dt.date):
        return cell.isoformat()
    if isinstance(cell, float):
        return round(cell, 2)
    if isinstance(cell, str):
        return csv_cell(cell)
    return cell


def csv_bytes(data: ReportData) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([data.workspace.name, data.since.isoformat(), data.until.isoformat()])
    for section in [*sections(data)]:
        writer.writerow([])
        writer.writerow([section.title])
        if section.empty:
            writer.writerow([section.empty])
        for table in section.tables:
            writer.writerow([table.title])
            writer.writerow(table.headers)
            writer.writerows([value(c) for c in row] for row in table.rows)
            if table.note and not table.rows:
                writer.writerow([table.note])
    comments = comments_table(data)
    writer.writerow([])
    writer.writerow([comments.title])
    writer.writerows([value(c) for c in row] for row in comments.rows)
    # A byte-order mark: spreadsheets then read the file as UTF-8 (accents intact).
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_value(cell: Cell) -> Any:
    if isinstance(cell, dt.datetime):
        return cell.replace(tzinfo=None, microsecond=0)  # a spreadsheet has no time zones
    if isinstance(cell, dt.date):
        return cell
    shown = value(cell)
    if isinstance(shown, str):
        return ILLEGAL_CHARACTERS_RE.sub("", shown)
    return shown


def xlsx_bytes(data: ReportData) -> bytes:
    book = Workbook()
    first = book.active
    bold = Font(bold=True)
    for index, section in enumerate(sections(data)):
        sheet = first if index == 0 else book.create_sheet()
        assert sheet is not None
        sheet.title = section.key[:31]
        sheet.append([xlsx_value(section.title)])
        sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True, size=14)
        if section.empty:
            sheet.append([xlsx_value(section.empty)])
        for table in section.tables:
            sheet.append([])
            sheet.append([xlsx_value(table.title)])
            sheet.cell(row=sheet.max_row, column=1).font = bold
            sheet.append([xlsx_value(h) for h in table.headers])
            for cell in sheet[sheet.max_row]:
                cell.font = bold
            for row in table.rows:
                sheet.append([xlsx_value(c) for c in row])
            if table.note and not table.rows:
                sheet.append([xlsx_value(table.note)])
    comments = comments_table(data)
    sheet = book.create_sheet("comments")
    sheet.append([xlsx_value(comments.title)])
    for row in comments.rows:
        sheet.append([xlsx_value(c) for c in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
