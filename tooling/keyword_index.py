"""One searchable index of every keyword the suite has: results/docs/index.html.

    .venv/bin/python -m tooling.keyword_index [folder]      (make docs)

Writes libdoc's page for every resource file and Robot library, then the index. A tester
looking for "how do I refund" does not know which of twenty pages to open. The index lists
every keyword of keywords/*.resource and keywords/libraries/*.py once: name, file, arguments
and the first line of its documentation, with a filter box (a few lines of inline script;
the table reads without it), each row linking to the keyword on its libdoc page.
"""

from __future__ import annotations

import html
import sys
from pathlib import Path

from robot.libdocpkg import LibraryDocumentation

ROOT = Path(__file__).resolve().parents[1]
# Libraries whose import takes arguments, given as the suite gives them (keywords/matrix.resource).
IMPORT_ARGUMENTS = {"AuthorizationMatrix": ["resources/authorization_matrix.json"]}
FILTER = """<input id=q placeholder="filter: refund, dispute, listing..." autofocus
 oninput="for(const r of document.querySelectorAll('tbody tr'))
 r.hidden=!r.textContent.toLowerCase().includes(this.value.toLowerCase())">"""


def sources(root: Path = ROOT) -> list[Path]:
    """The resource files and the Robot libraries among the Python modules."""
    resources = sorted((root / "keywords").glob("*.resource"))
    libraries = [
        p
        for p in sorted((root / "keywords" / "libraries").glob("*.py"))
        if "@library(" in p.read_text(encoding="utf-8")
    ]
    return resources + libraries


def document(path: Path, root: Path = ROOT) -> LibraryDocumentation:
    """Libdoc's model of one resource file or library, imported as the suite imports it."""
    arguments = [str(root / a) for a in IMPORT_ARGUMENTS.get(path.stem, [])]
    return LibraryDocumentation("::".join([str(path), *arguments]))


def write_pages(folder: Path, root: Path = ROOT) -> list[tuple[str, str, str, str]]:
    """Write one libdoc page per source into folder; return the index rows of them all."""
    found = []
    for path in sources(root):
        library = document(path, root)
        library.save(str(folder / f"{path.stem}.html"), "HTML")
        for keyword in library.keywords:
            first = (keyword.doc or "").strip().splitlines()[:1]
            found.append((keyword.name, path.stem, str(keyword.args), first[0] if first else ""))
    return sorted(found, key=lambda row: row[0].lower())


def render(found: list[tuple[str, str, str, str]]) -> str:
    body = "".join(
        f"<tr><td><a href='{html.escape(stem)}.html#{html.escape(name)}'>{html.escape(name)}"
        f"</a></td><td>{html.escape(stem)}</td><td><code>{html.escape(args)}</code></td>"
        f"<td>{html.escape(doc)}</td></tr>"
        for name, stem, args, doc in found
    )
    return (
        "<!doctype html><meta charset=utf-8><title>Keywords</title>"
        "<style>body{font:14px sans-serif;margin:2em}td{padding:2px 8px;vertical-align:top}"
        "tr:nth-child(even){background:#f4f4f4}input{width:30em;padding:4px}</style>"
        f"<h1>Every keyword ({len(found)})</h1>{FILTER}"
        "<table><thead><tr><th>keyword</th><th>file</th><th>arguments</th><th>what it does"
        f"</th></tr></thead><tbody>{body}</tbody></table>"
    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]) if args else ROOT / "results" / "docs"
    folder.mkdir(parents=True, exist_ok=True)
    found = write_pages(folder)
    (folder / "index.html").write_text(render(found), encoding="utf-8")
    print(f"{folder / 'index.html'}: {len(found)} keywords")
    return 0


if __name__ == "__main__":
    sys.exit(main())
