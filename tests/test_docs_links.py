"""Every link in README.md and docs/*.md resolves inside the repository, and so does every docs page the code names.

A link is ``[text](target)`` outside fenced code blocks; a relative target must be a file or
directory of the repository (never outside it, never the engineers' ``shared/``), and a
``#fragment`` must be a heading of the target page, slugged as GitHub slugs it. The command's
help texts and messages that say ``see docs/NAME.md`` must name a page that exists.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "parameters" / "README.md"]
LINK = re.compile(r"\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*([^)\s]+)(?:\s+\"[^\"]*\")?\s*\)")
FENCE = re.compile(r"^\s*(```|~~~)")


def prose(text: str) -> str:
    """The text without fenced code blocks and inline code (links there are examples, not links)."""
    out, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            out.append(re.sub(r"`[^`]*`", "", line))
    return "\n".join(out)


def slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"<[^>]+>", "", heading).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every heading anchor of a Markdown page (repeated headings get -1, -2 ...)."""
    seen: Counter[str] = Counter()
    out = set()
    fenced = False
    for line in page.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        m = None if fenced else re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if m:
            base = slug(m.group(1))
            out.add(base if not seen[base] else f"{base}-{seen[base]}")
            seen[base] += 1
    return out


def links(page: Path) -> list[str]:
    return LINK.findall(prose(page.read_text(encoding="utf-8")))


def test_the_link_pattern_and_slugs() -> None:
    """The checker itself: it finds links, skips code, and slugs as GitHub does."""
    text = 'See [a](docs/a.md#x-y) and `[b](no.md)`\n```\n[c](no.md)\n```\n![img](pic.png) [d [e]](f.md "t")'
    assert LINK.findall(prose(text)) == ["docs/a.md#x-y", "pic.png", "f.md"]
    assert slug("4. Remind the late: `ils remind`") == "4-remind-the-late-ils-remind"
    assert slug("Who you are, and what you may do") == "who-you-are-and-what-you-may-do"
    assert slug('Months not yet booked: "Utfall t.o.m."') == "months-not-yet-booked-utfall-tom"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_resolves(page: Path) -> None:
    bad = []
    for target in links(page):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
            continue
        path, _, fragment = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        if ROOT not in dest.parents and dest != ROOT:
            bad.append(f"{target}: outside the repository")
        elif "shared" in Path(path).parts:
            bad.append(f"{target}: points at shared/, which is not part of the repository")
        elif not dest.exists():
            bad.append(f"{target}: no such file")
        elif fragment and dest.suffix == ".md" and fragment not in anchors(dest):
            bad.append(f"{target}: no heading #{fragment} in {dest.relative_to(ROOT)}")
    assert not bad, f"{page.relative_to(ROOT)}: " + "; ".join(bad)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_page_points_at_shared(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    assert not re.search(r"(^|[\s(`'\"/])shared/", text), f"{page.relative_to(ROOT)} mentions shared/"


def test_every_docs_page_the_code_names_exists() -> None:
    named = set()
    for src in (ROOT / "ilslib").rglob("*.py"):
        named |= {(src, m) for m in re.findall(r"docs/([A-Za-z0-9_-]+\.md)", src.read_text(encoding="utf-8"))}
    assert named, "no docs page named in the code: the pattern is wrong"
    missing = sorted(
        f"{src.relative_to(ROOT)} names docs/{name}" for src, name in named if not (ROOT / "docs" / name).is_file()
    )
    assert not missing, "; ".join(missing)


def test_the_readme_lists_every_command() -> None:
    """Every subcommand of ``ils`` has a row in README's command table."""
    import argparse

    from ilslib.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    table = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = [line for line in table.splitlines() if line.startswith("| `ils ")]
    missing = [name for name in sub.choices if not any(f"`ils {name}" in row for row in rows)]
    assert not missing, f"README's command table lacks: {', '.join(missing)}"
