"""README.md tells the truth about the data model and the commands."""

from __future__ import annotations

from pathlib import Path

from gridcrm.data.schemas import data_model_markdown

README = Path(__file__).resolve().parents[1] / "README.md"


def _between(text: str, begin: str, end: str) -> str:
    start = text.index(begin)
    start = text.index("\n", start) + 1
    return text[start : text.index(end)]


def test_readme_data_model_matches_the_schemas():
    text = README.read_text()
    section = _between(text, "<!-- data-model:begin", "<!-- data-model:end -->")
    assert section.strip() == data_model_markdown().strip(), (
        "README data model is stale: run `python -m gridcrm.data.schemas README.md` "
        "or paste gridcrm.data.schemas.data_model_markdown() between the markers"
    )


def test_readme_shows_the_two_commands():
    text = README.read_text()
    assert "make demo" in text and "make test" in text
