"""Every relative link of every Markdown file resolves, and every Mermaid block renders."""

from __future__ import annotations

from pathlib import Path

from docgen import markdown


def test_every_relative_link_resolves() -> None:
    broken = markdown.broken_links()
    assert not broken, "broken links:\n" + "\n".join(broken)


def test_the_link_check_finds_missing_files_and_anchors(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# A `code` heading, with punctuation!\n")
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n[ok](other.md#a-code-heading-with-punctuation) [self](#page)"
        " [gone](missing.md) [bad](other.md#nope) [web](https://example.com/x.md)\n"
        "```\n[in code](missing-too.md)\n```\n"
    )
    broken = markdown.broken_links([page])
    assert [b.split(": ", 1)[1] for b in broken] == [
        "missing.md (no such file)",
        "other.md#nope (no heading makes #nope)",
    ]


def test_every_mermaid_block_renders(tmp_path: Path) -> None:
    blocks = markdown.mermaid_blocks()
    assert blocks, "no Mermaid blocks found"
    # A block known to be broken rides along in the same browser: the check must catch it.
    bad = tmp_path / "bad.md"
    bad.write_text("```mermaid\nsequenceDiagram\n    A->>B: one; two\n```\n")
    failures = markdown.render_failures([*blocks, *markdown.mermaid_blocks([bad])])
    assert len(failures) == 1 and "bad.md:2" in failures[0], "\n".join(failures)


def test_the_seeds_useful_links_resolve() -> None:
    # docs/architecture's README in the original design links these; they must exist here.
    architecture = Path(__file__).resolve().parents[2] / "docs" / "architecture"
    for link in ("diagrams/high-level-architecture.md", "diagrams/microservices.md",
                 "database/schema.md", "api/README.md", "smart-contracts/README.md"):  # fmt: skip
        assert (architecture / link).is_file(), link
