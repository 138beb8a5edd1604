"""perfdoc.py: rewrite one "## " section of docs/PERFORMANCE.md (or of
another doc, e.g. RELIABILITY) in place."""
import os

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PATH = os.path.join(TOP, "docs", "PERFORMANCE.md")
RELIABILITY = os.path.join(TOP, "docs", "RELIABILITY.md")
HEAD = ("# Performance\n\nFigures measured by the benchmarks in `bench/`; "
        "each section names the command that made it.\n")


def write_section(title, body, path=PATH):
    """Replaces (or appends) the section headed "## title" with body."""
    old = open(path).read() if os.path.exists(path) else HEAD
    heading = "## " + title
    text = heading + "\n\n" + body.strip() + "\n"
    start = old.find(heading + "\n")
    if start == -1:
        new = old.rstrip() + "\n\n" + text
    else:
        end = old.find("\n## ", start + 1)
        new = old[:start] + text + (old[end:] if end != -1 else "")
    with open(path, "w") as f:
        f.write(new)
    return path
