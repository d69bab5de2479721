"""A minimal streaming .xlsx writer for large exports (a million rows in well under a minute).

xlsxwriter spends most of an export's time per cell; this writer emits the sheet XML directly with
inline strings, one merged title row, a styled header, frozen panes, column widths, identifier
columns formatted as text, and formula-like text marked with Excel's quote prefix so it can never
run. Small workbooks with drop-downs and note sheets (the import template, error files) still use
xlsxwriter through exchange.xlsx.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from exchange.xlsx import FORMULA_START

_ESCAPE = re.compile(r"[&<>\x00-\x08\x0b\x0c\x0e-\x1f]")
_REPLACE = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>
</Types>"""
ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""
WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets>
</workbook>"""
WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>
</Relationships>"""
# cellXfs: 0 default, 1 title, 2 header, 3 text ("@"), 4 text with quote prefix (formula-like)
STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<fonts count="3"><font><sz val="11"/><name val="宋体"/></font><font><b/><sz val="14"/><name val="宋体"/></font><font><b/><sz val="11"/><name val="宋体"/></font></fonts>
<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill><fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/><bgColor indexed="64"/></patternFill></fill></fills>
<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border><border><left style="thin"/><right style="thin"/><top style="thin"/><bottom style="thin"/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="5">
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1"><alignment horizontal="center" vertical="center"/></xf>
<xf numFmtId="0" fontId="2" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" applyBorder="1" applyAlignment="1"><alignment vertical="center" wrapText="1"/></xf>
<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" quotePrefix="1"/>
</cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""


def _escape(text: str) -> str:
    if _ESCAPE.search(text) is None:
        return text
    return _ESCAPE.sub(lambda m: _REPLACE.get(m.group(0), ""), text)


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def write_rows_fast(
    path: Path,
    *,
    title: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    text_columns: Iterable[int] = (),
    widths: Sequence[int] | None = None,
    sheet_name: str = "数据",
    on_progress: Callable[[int], None] | None = None,
) -> int:
    letters = [column_letter(i) for i in range(len(header))]
    text = set(text_columns)
    count = 0
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        book.writestr("[Content_Types].xml", CONTENT_TYPES)
        book.writestr("_rels/.rels", ROOT_RELS)
        book.writestr("xl/workbook.xml", WORKBOOK.format(name=_escape(sheet_name)))
        book.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        book.writestr("xl/styles.xml", STYLES)
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as raw:
            out: list[str] = []

            def flush() -> None:
                raw.write("".join(out).encode())
                out.clear()

            text_style = ' style="3"'
            cols = "".join(
                f'<col min="{i + 1}" max="{i + 1}" width="{w}" customWidth="1"{text_style if i in text else ""}/>'
                for i, w in enumerate(widths or [14] * len(header))
            )
            numeric = [i not in text for i in range(len(header))]
            out.append(
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                '<sheetViews><sheetView workbookViewId="0"><pane ySplit="2" topLeftCell="A3" activePane="bottomLeft" '
                f'state="frozen"/></sheetView></sheetViews><cols>{cols}</cols><sheetData>'
                f'<row r="1" ht="28" customHeight="1"><c r="A1" s="1" t="inlineStr"><is><t>{_escape(title)}</t></is></c></row>'
                '<row r="2">'
                + "".join(
                    f'<c r="{c}2" s="2" t="inlineStr"><is><t>{_escape(str(h))}</t></is></c>'
                    for c, h in zip(letters, header, strict=True)
                )
                + "</row>"
            )
            for r, row in enumerate(rows, start=3):
                cells = []
                for col, is_numeric, value in zip(letters, numeric, row, strict=False):
                    if value is None or value == "":
                        continue
                    if isinstance(value, bool):
                        value = "是" if value else "否"
                    if is_numeric and isinstance(value, (int, float)):
                        cells.append(f'<c r="{col}{r}"><v>{value}</v></c>')
                        continue
                    value = str(value)
                    style = 4 if value.startswith(FORMULA_START) else 3
                    cells.append(f'<c r="{col}{r}" s="{style}" t="inlineStr"><is><t>{_escape(value)}</t></is></c>')
                out.append(f'<row r="{r}">{"".join(cells)}</row>')
                count += 1
                if count % 5000 == 0:
                    flush()
                    if on_progress is not None and count % 10000 == 0:
                        on_progress(count)
            merge = f'<mergeCells count="1"><mergeCell ref="A1:{letters[-1]}1"/></mergeCells>' if len(letters) > 1 else ""
            out.append(f"</sheetData>{merge}</worksheet>")
            flush()
    return count
