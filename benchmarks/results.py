"""benchmarks/RESULTS.md is written by several benchmarks, each owning one section between its own markers."""
from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def write_section(name: str, text: str, path: Path | str = RESULTS, first: bool = False) -> None:
    """Replace the section `name` (between `<!-- name: begin -->` and `<!-- name: end -->`), leaving the others;
    a new section goes at the end, or at the top when `first` (make bench's figures open the file)."""
    path = Path(path)
    begin, end = f"<!-- {name}: begin -->", f"<!-- {name}: end -->"
    current = path.read_text(encoding="utf-8") if path.is_file() else ""
    block = f"{begin}\n{text.strip()}\n{end}"
    if begin in current and end in current:
        current = current[:current.index(begin)] + block + current[current.index(end) + len(end):]
    elif first:
        current = block + "\n\n" + current.lstrip()
    else:
        current = current.rstrip() + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(current.rstrip() + "\n", encoding="utf-8")
