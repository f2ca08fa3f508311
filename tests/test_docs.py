"""The documentation holds together: every relative link and image resolves,
the README stays a short guide that opens with the quickstart, and nothing
cites the reference's notes outside the repository (docs/semantics.md does)."""

import re
import shlex
import subprocess
from pathlib import Path

import pytest
import typer

from prism_cp.cli import app

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "tests" / "golden" / "README.md"]
README_MAX_LINES = 300

FENCE = re.compile(r"^\s*(```|~~~)")
INLINE_CODE = re.compile(r"`[^`]*`")
LINK = re.compile(r"!?\[(?:[^\]]*)\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def prose_lines(path: Path) -> list[str]:
    """The file's lines outside fenced code blocks, where links and headings live."""
    lines, fenced = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            lines.append(line)
    return lines


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: link text kept, markup and punctuation
    dropped, lower case, spaces to hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = re.sub(r"[^\w\- ]", "", text.lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading anchor of a markdown file, repeats numbered as GitHub does."""
    seen: dict[str, int] = {}
    result = set()
    for line in prose_lines(path):
        match = HEADING.match(line)
        if not match:
            continue
        base = slug(match.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        result.add(base if count == 0 else f"{base}-{count}")
    return result


def links(path: Path) -> list[str]:
    """Targets of every link and image in the file's prose (inline code left out)."""
    return [m.group(1) for line in prose_lines(path) for m in LINK.finditer(INLINE_CODE.sub("", line))]


def test_slug_follows_github() -> None:
    assert slug("The exact engine (`--algorithm cpsat`)") == "the-exact-engine---algorithm-cpsat"
    assert slug("Bring your own network: import, time tables, estimates") == (
        "bring-your-own-network-import-time-tables-estimates"
    )
    assert slug("[Link](x.md) and_more") == "link-and_more"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(doc: Path) -> None:
    assert doc.exists(), f"{doc} is listed but missing"
    broken = []
    for target in links(doc):
        if re.match(r"(https?|mailto):", target):
            continue
        file_part, _, anchor = target.partition("#")
        linked = (doc.parent / file_part).resolve() if file_part else doc
        if not linked.exists():
            broken.append(f"{target}: no file {linked}")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            broken.append(f"{target}: no heading #{anchor} in {linked.name}")
    assert broken == [], f"{doc.name}: " + "; ".join(broken)


def test_the_link_checker_sees_links_and_skips_code(tmp_path: Path) -> None:
    doc = tmp_path / "a.md"
    doc.write_text("# Top\n[x](b.md#part) ![i](img.png) `[no](code.md)`\n```\n[no](block.md)\n```\n")
    assert links(doc) == ["b.md#part", "img.png"]
    assert anchors(doc) == {"top"}


def quickstart_commands() -> list[str]:
    """The first fenced block of the README: the quickstart's commands."""
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if FENCE.match(line))
    end = next(i for i in range(start + 1, len(lines)) if FENCE.match(lines[i]))
    assert start < 12, "the quickstart's commands must open the README"
    return [line for line in lines[start + 1 : end] if line.strip()]


def test_readme_is_a_short_guide_opening_with_the_quickstart() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(readme) <= README_MAX_LINES
    install_and_run, install_and_test = quickstart_commands()
    for command in (install_and_run, install_and_test):
        assert command.startswith("pip install "), command
        assert " && " in command, command
    run = shlex.split(install_and_run.split(" && ", 1)[1])
    assert run[0] == "prism-cp"
    assert run[1] in typer.main.get_command(app).commands, f"{run[1]} is not a prism-cp command"
    # CI runs exactly the README's test command
    assert install_and_test in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()


def test_nothing_cites_files_outside_the_repository() -> None:
    """The project stands alone: no tracked file names a relative path that
    climbs out of the repository (from its own folder or from the root), nor the reference's own write-up (the
    project's account of it is docs/semantics.md)."""
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    this_file = Path(__file__).resolve()
    offenders = []
    for name in tracked.decode().split("\0"):
        path = ROOT / name
        if not name or not path.is_file():
            continue
        data = path.read_bytes()
        climbs = [m.decode() for m in re.findall(rb"(?<![\w./])(?:\.\./)+[A-Za-z0-9_.-]+", data)]
        # a Markdown link is relative to its file; a path in code or a command may also be relative to where it runs (the root)
        bases = (path.parent,) if path.suffix == ".md" else (path.parent, ROOT)
        outside = [c for c in climbs if any(not (base / c).resolve().is_relative_to(ROOT.resolve()) for base in bases)]
        if (b"SEMANTICS.md" in data and path.resolve() != this_file) or outside:
            offenders.append((name, outside))
    assert offenders == []
