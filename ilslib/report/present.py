"""Building blocks for report notebooks: headings, text, accessible tables and charts.

Everything here returns :class:`Html` (a ``str`` that Jupyter displays as
HTML). Text from the data is always escaped: markup in a comment is shown as
text, never interpreted. Tables have a caption and header cells with
``scope``; charts are PNG images inlined as data URIs with a text alternative
that says what they show, so the report is self-contained and accessible.

>>> str(paragraph('Kommentar med <script>alert("x")</script> & "citat"'))
'<p>Kommentar med &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;citat&quot;</p>'
"""

from __future__ import annotations

import base64
import functools
import html as _html
import io
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .. import fmt

if TYPE_CHECKING:  # matplotlib is imported by the charts that need it
    from matplotlib.figure import Figure


@functools.lru_cache(maxsize=1)
def report_css() -> str:
    """The reports' style sheet (``templates/report.css``); the status page and the review build on it."""
    return (Path(__file__).resolve().parent.parent / "templates" / "report.css").read_text(encoding="utf-8")


class Html(str):
    """A fragment of trusted HTML (built by this module); Jupyter shows it rendered.

    ``tables`` are the report tables (:class:`~ilslib.report.model.Table`) inside the
    fragment, in order: :func:`show` publishes them for the workbook, so ``report.xlsx``
    holds exactly the tables the reader saw.
    """

    tables: tuple[Any, ...] = ()

    def _repr_html_(self) -> str:
        return str(self)

    def __add__(self, other: object) -> Html:
        return join([self, other])


def esc(value: Any) -> str:
    """Escape a value for HTML (None becomes an empty string); Html (and ``__html__``) passes through."""
    if isinstance(value, Html):
        return str(value)
    if value is None:
        return ""
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return _html.escape(str(value), quote=True)


def tables_in(part: Any) -> tuple[Any, ...]:
    """The report tables a fragment holds (a Table itself, or those an Html carries)."""
    if isinstance(part, Html):
        return part.tables
    if hasattr(part, "to_dict") and hasattr(part, "__html__"):
        return (part,)
    return ()


def join(parts: Iterable[Any]) -> Html:
    """Concatenate fragments (plain strings are escaped); the tables inside are carried along."""
    parts = list(parts)
    out = Html("".join(esc(p) for p in parts))
    out.tables = tuple(t for p in parts for t in tables_in(p))
    return out


def tag(name: str, content: Any = "", /, **attrs: Any) -> Html:
    """``<name attrs>content</name>``; attribute values are escaped, ``class_`` means ``class``."""
    rendered = "".join(
        f' {k.rstrip("_").replace("_", "-")}="{esc(v)}"' for k, v in attrs.items() if v is not None and v is not False
    )
    return Html(f"<{name}{rendered}>{esc(content)}</{name}>")


def _slug(text: str) -> str:
    s = re.sub(r"[^a-z0-9åäö]+", "-", text.lower()).strip("-")
    return s.translate(str.maketrans("åäö", "aao")) or "avsnitt"


def heading(text: str, level: int = 2, *, id: str | None = None) -> Html:
    """A heading ``<hN>`` with an anchor id (derived from the text unless given)."""
    if not 1 <= level <= 6:
        raise ValueError("heading level must be 1-6")
    return tag(f"h{level}", text, id=id or _slug(text))


def paragraph(text: Any, *, class_: str | None = None) -> Html:
    """One paragraph of escaped text; line breaks in the text are kept."""
    body = esc(text).replace("\r\n", "\n").replace("\n", "<br>")
    attr = f' class="{esc(class_)}"' if class_ else ""
    return Html(f"<p{attr}>{body}</p>")


def text_block(text: Any, *, empty: str = "Ingen text har lämnats.") -> Html:
    """Free text from the data (comments): paragraphs split on blank lines, escaped."""
    if fmt.is_missing(text) or not str(text).strip():
        return paragraph(empty, class_="empty")
    paras = re.split(r"\n\s*\n", str(text).replace("\r\n", "\n").strip())
    return Html('<div class="free-text">' + "".join(paragraph(p) for p in paras) + "</div>")


def section(title: str, *parts: Any, level: int = 2, id: str | None = None, class_: str | None = None) -> Html:
    """A ``<section>`` with a heading and content."""
    hid = id or _slug(title)
    cls = f' class="{esc(class_)}"' if class_ else ""
    opening = Html(f'<section{cls} aria-labelledby="{esc(hid)}">')
    return join([opening, heading(title, level, id=hid), *parts, Html("</section>")])


def definition_list(items: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> Html:
    """A ``<dl>`` of term/description pairs (both escaped unless Html)."""
    pairs = items.items() if isinstance(items, Mapping) else items
    return Html("<dl>" + "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in pairs) + "</dl>")


def bullet_list(items: Iterable[Any]) -> Html:
    """A ``<ul>`` of escaped items."""
    return Html("<ul>" + "".join(f"<li>{esc(i)}</li>" for i in items) + "</ul>")


Formatter = Callable[[Any], Any]
#: Tables with at most this many rows are not split across pages in print.
KEEP_ROWS = 16
CellClass = Callable[[Any], str | None]


def table(
    frame: pd.DataFrame,
    *,
    caption: str,
    columns: Mapping[str, str] | None = None,
    formats: Mapping[str, Formatter] | None = None,
    numeric: Iterable[str] = (),
    row_header: str | None = None,
    cell_class: Mapping[str, CellClass] | None = None,
    empty: str = "Inga uppgifter finns för perioden.",
    class_: str = "data",
) -> Html:
    """An accessible HTML table of ``frame``.

    ``columns`` maps column names to Swedish header labels (and selects and
    orders the columns); ``formats`` maps a column to a function giving the
    cell text (or :class:`Html`); ``numeric`` columns are right-aligned;
    ``row_header`` is the column whose cells are row headers (``<th scope="row">``);
    ``cell_class`` maps a column to a function giving a CSS class for a value.
    """
    columns = dict(columns) if columns is not None else {c: str(c) for c in frame.columns}
    formats = dict(formats or {})
    numeric = set(numeric)
    cell_class = dict(cell_class or {})
    if frame.empty:
        return Html(f'<p class="empty">{esc(caption)}: {esc(empty)}</p>')
    num_class = ' class="num"'
    head = "".join(
        f'<th scope="col"{num_class if c in numeric else ""}>{esc(label)}</th>' for c, label in columns.items()
    )
    body_rows = []
    for record in frame.to_dict("records"):
        cells = []
        for c in columns:
            value = record.get(c)
            shown = formats[c](value) if c in formats else _default_text(value)
            classes = []
            if c in numeric:
                classes.append("num")
            if c in cell_class:
                extra = cell_class[c](value)
                if extra:
                    classes.append(extra)
            cls = f' class="{esc(" ".join(classes))}"' if classes else ""
            if c == row_header:
                cells.append(f'<th scope="row"{cls}>{esc(shown)}</th>')
            else:
                cells.append(f"<td{cls}>{esc(shown)}</td>")
        body_rows.append("<tr>" + "".join(cells) + "</tr>")
    # The wrapper scrolls a wide table sideways on a narrow screen; a scrollable region must be
    # reachable by keyboard (WCAG 2.1.1), so it is focusable and named after the table's caption.
    # In print a short table is kept on one page.
    wrap = "table-wrap keep" if len(frame) <= KEEP_ROWS else "table-wrap"
    return Html(
        f'<div class="{wrap}" role="region" aria-label="{esc(caption)}" tabindex="0">'
        f'<table class="{esc(class_)}"><caption>{esc(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body_rows)}</tbody></table></div>"
    )


def _default_text(value: Any) -> Any:
    return fmt.MISSING if fmt.is_missing(value) else value


def figure(fig: Figure, *, alt: str, caption: str | None = None, dpi: int = 110) -> Html:
    """A matplotlib figure as an inline PNG with a text alternative; the figure is closed.

    ``alt`` must say what the chart shows (the values that matter), not just its type.
    """
    import matplotlib.pyplot as plt

    if not alt or not alt.strip():
        raise ValueError("a chart needs a text alternative (alt) that says what it shows")
    buf = io.BytesIO()
    # Fast zlib level: the report is read on screen and in a PDF, not archived as images.
    fig.savefig(
        buf, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None}, pil_kwargs={"compress_level": 1}
    )
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return Html(f'<figure><img src="data:image/png;base64,{data}" alt="{esc(alt)}">{cap}</figure>')


def show(*parts: Any) -> None:
    """Display fragments in the notebook as one HTML output (and publish the tables in them)."""
    from IPython.display import HTML, display

    html = join(parts)
    display(HTML(str(html)))
    if html.tables:
        display({TABLES_MIMETYPE: [t.to_dict() for t in html.tables]}, raw=True)


META_MIMETYPE = "application/vnd.ils.meta+json"
#: The report tables shown, as data: ``report.xlsx`` is made from them (:func:`read_tables`).
TABLES_MIMETYPE = "application/vnd.ils.tables+json"
#: Outputs for the runner only, never shown to a reader.
PRIVATE_MIMETYPES = (META_MIMETYPE, TABLES_MIMETYPE)


def publish_meta(**meta: Any) -> None:
    """Tell the runner about this report (``title=...``, ``figures=...``).

    The data travels as an output of its own mimetype, which the report
    template does not show; ``ils run`` reads it to title the HTML/PDF and to
    write ``figures.json``, so the file holds exactly the figures the report showed.
    """
    from IPython.display import display

    display({META_MIMETYPE: meta}, raw=True)


def read_meta(nb: Any) -> dict[str, Any]:
    """Everything published with :func:`publish_meta` in an executed notebook (later keys win)."""
    found: dict[str, Any] = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data") or {}
            if META_MIMETYPE in data:
                found.update(data[META_MIMETYPE])
    return found


def read_tables(nb: Any) -> list[dict[str, Any]]:
    """Every table shown in an executed notebook, in the order shown (plain data, see ``Table.to_dict``)."""
    found: list[dict[str, Any]] = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data") or {}
            if TABLES_MIMETYPE in data:
                found.extend(data[TABLES_MIMETYPE])
    return found
