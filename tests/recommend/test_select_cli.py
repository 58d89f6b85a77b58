"""`gridcrm select`: a campaign audience by a tag expression from a run config, counted by group, exported."""

from __future__ import annotations

import pandas as pd

from gridcrm.cli import main
from gridcrm.configs import shipped
from gridcrm.data import validate_tables
from helpers import EXTRACTED_ON


def _config(tmp_path, raw_tables) -> str:
    folder = validate_tables(raw_tables, extracted_on=EXTRACTED_ON).save(tmp_path / "extract", format="csv")
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"name: t\nas_of: 2024-02-15\ndata:\n  path: {folder}\noutput:\n  dir: {tmp_path / 'out'}\n"
                   f"tags:\n  config: {shipped('tags.yaml')}\n")
    return str(cfg)


def test_select_counts_by_group_and_writes_the_list(tmp_path, raw_tables, capsys):
    cfg = _config(tmp_path, raw_tables)
    # customers 2 (60 kVA, commercial, east) and 3 (4000 kVA, large industry, west); 1 is residential (8 kVA)
    out = tmp_path / "lists" / "big.csv"
    assert main(["select", "--config", cfg, "contracted_kva >= 50 and not residential", "--by", "region",
                 "--columns", "contracted_kva", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "2 of 3 customers selected at 2024-02-15" in text
    listed = pd.read_csv(out)
    assert listed["customer_id"].tolist() == [2, 3]
    assert listed.columns.tolist() == ["customer_id", "region", "contracted_kva"]
    assert listed["contracted_kva"].tolist() == [60.0, 4000.0]
    lines = {line.split()[0]: line.split()[1:3] for line in text.splitlines() if line.split()[:1] in (["east"],
                                                                                                        ["west"], ["all"])}
    assert lines == {"east": ["1", "2"], "west": ["1", "1"], "all": ["2", "3"]}  # selected, customers


def test_select_default_list_in_the_output_dir_and_absent_columns_reported(tmp_path, raw_tables, capsys):
    cfg = _config(tmp_path, raw_tables)
    assert main(["select", "--config", cfg, "contracted_kva >= 50 or credit_grade == 'AAA'"]) == 0
    text = capsys.readouterr().out
    assert "credit_grade" in text and "--scores" in text  # a model column without --scores: unknown, said so
    assert pd.read_csv(tmp_path / "out" / "audience.csv")["customer_id"].tolist() == [2, 3]


def test_a_bad_expression_exits_2_before_reading_the_data(tmp_path, capsys):
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"name: t\ndata:\n  path: {tmp_path / 'nowhere'}\noutput:\n  dir: {tmp_path / 'out'}\n")
    assert main(["select", "--config", str(cfg), "high_value and ("]) == 2
    assert "expression 'high_value and (': ends where a tag or condition is expected" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_select_reads_model_columns_from_scores(tmp_path, raw_tables, capsys):
    cfg = _config(tmp_path, raw_tables)
    scores = pd.DataFrame({"credit_grade": ["AAA", "B", "AAA"], "tag_residential": [False, False, False]},
                          index=pd.Index([1, 2, 3], name="customer_id"))
    scores.to_parquet(tmp_path / "scores.parquet")
    out = tmp_path / "aaa.csv"
    assert main(["select", "--config", cfg, "credit_grade == 'AAA' and not residential", "--by", "credit_grade",
                 "--scores", str(tmp_path / "scores.parquet"), "--out", str(out)]) == 0
    # customer 1 is AAA but residential: the tag is evaluated again at as_of, not read from tag_residential
    assert pd.read_csv(out)["customer_id"].tolist() == [3]
    assert "Unknown" not in capsys.readouterr().out
