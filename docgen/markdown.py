"""Reading the repository's Markdown: which files, their Mermaid blocks, their relative links and
the anchors their headings make (as GitHub spells them)."""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from docgen.files import ROOT

SKIPPED = {"node_modules", ".venv", ".uv-boot", ".build", ".cache", ".data", ".artifacts", ".git"}
FENCE = re.compile(r"^(\s*)(```+|~~~+)\s*([\w-]*)")
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


def shown(path: Path) -> str:
    """A path as messages show it: relative to the repository when inside it."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


@dataclass(frozen=True)
class Block:
    """A fenced code block: its file, first line (of the code) and text."""

    path: Path
    line: int
    language: str
    code: str

    @property
    def where(self) -> str:
        """`path:line`, relative to the repository."""
        return f"{shown(self.path)}:{self.line}"


def markdown_files(root: Path = ROOT) -> list[Path]:
    """Every Markdown file of the repository (tracked or not, ignored ones left out)."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-co", "--exclude-standard", "--", "*.md"],
            cwd=root, capture_output=True, text=True, check=True,
        ).stdout.split()  # fmt: skip
        files = [root / name for name in listed]
    except (OSError, subprocess.CalledProcessError):
        files = list(root.rglob("*.md"))
    return sorted(p for p in files if p.exists() and not SKIPPED & set(p.relative_to(root).parts))


def split(path: Path) -> tuple[list[tuple[int, str]], list[Block]]:
    """A file's prose lines (numbered, outside code blocks) and its fenced blocks."""
    prose: list[tuple[int, str]] = []
    blocks: list[Block] = []
    fence: str | None = None
    language, start = "", 0
    code: list[str] = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        match = FENCE.match(line)
        if fence is None:
            if match:
                fence, language, start, code = match.group(2), match.group(3), number + 1, []
            else:
                prose.append((number, line))
        elif match and match.group(2).startswith(fence) and not match.group(3):
            blocks.append(Block(path, start, language, "\n".join(code)))
            fence = None
        else:
            code.append(line)
    return prose, blocks


def mermaid_blocks(files: list[Path] | None = None) -> list[Block]:
    """Every ```mermaid block of the files (all Markdown files by default)."""
    return [
        b
        for path in (files if files is not None else markdown_files())
        for b in split(path)[1]
        if b.language == "mermaid"
    ]


def slug(heading: str) -> str:
    """GitHub's anchor for a heading's text."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text, flags=re.UNICODE)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """The anchors a file's headings make (duplicates get -1, -2...), and explicit `id`s."""
    found: set[str] = set()
    counts: dict[str, int] = {}
    prose, _ = split(path)
    for _, line in prose:
        match = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if match:
            base = slug(match.group(1))
            seen = counts.get(base, 0)
            found.add(base if seen == 0 else f"{base}-{seen}")
            counts[base] = seen + 1
        found.update(re.findall(r"""(?:id|name)=["']([^"']+)["']""", line))
    return found


def broken_links(files: list[Path] | None = None) -> list[str]:
    """`file:line: target (reason)` for every relative link that does not resolve."""
    broken = []
    cache: dict[Path, set[str]] = {}
    for path in files if files is not None else markdown_files():
        prose, _ = split(path)
        for number, line in prose:
            for target in LINK.findall(re.sub(r"`[^`]*`", "", line)):
                if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):
                    continue  # http:, https:, mailto:...
                file_part, _, anchor = target.partition("#")
                resolved = (path.parent / file_part).resolve() if file_part else path
                where = f"{shown(path)}:{number}"
                if not resolved.exists():
                    broken.append(f"{where}: {target} (no such file)")
                    continue
                if anchor and resolved.suffix == ".md":
                    names = cache.setdefault(resolved, anchors(resolved))
                    if anchor not in names:
                        broken.append(f"{where}: {target} (no heading makes #{anchor})")
    return broken


RENDERER = ROOT / "tools" / "mermaid" / "render.mjs"


def render_failures(blocks: list[Block]) -> list[str]:
    """`file:line: error` for each block Mermaid cannot parse or render (one Chromium for all)."""
    if not blocks:
        return []
    payload = json.dumps([{"where": b.where, "code": b.code} for b in blocks])
    result = subprocess.run(
        ["node", str(RENDERER)], input=payload, capture_output=True, text=True, cwd=ROOT,
        timeout=600,
    )  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(f"the Mermaid renderer failed: {result.stderr.strip()[-2000:]}")
    return [f"{f['where']}: {f['error']}" for f in json.loads(result.stdout)]
