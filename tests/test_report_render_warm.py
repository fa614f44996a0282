"""The conversion's warm-up page (:func:`ilslib.report.render.warm_up`): a real, tagged PDF of what reports hold."""

from __future__ import annotations

import io
import subprocess
import tempfile
from pathlib import Path

import pikepdf
import pypdf

from ilslib.report.render import warm_up


def test_warm_up_renders_a_tagged_pdf_with_every_status_symbol() -> None:
    pdf = warm_up()
    assert pdf.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        assert str(doc.Root.Lang) == "sv"
        assert "/StructTreeRoot" in doc.Root  # tagged (PDF/UA-1), like the reports
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "warm.pdf"
        path.write_bytes(pdf)
        text = subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
    for word in ("Uppvärmning Åäö", "✓ Uppfyllt", "◐ Delvis uppfyllt", "✗ Ej uppfyllt", "– Saknas", "1 234,5", "−0,4"):
        assert word in text, word
