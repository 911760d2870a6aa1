"""`python -m analysis suggest|cluster`: formats, malformed lines, atomic output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.__main__ import main

ROOT = Path(__file__).resolve().parents[2]
PASSAGES = [
    {"id": 1, "text": "Ze gaf mij haar pincode en het wachtwoord van haar bankapp."},
    {"id": "b", "text": "Le guichet de la banque est fermé, ils nous envoient tout le monde."},
    {"id": "c", "text": "I am a social worker, not an IT technician: this is not my job."},
    {"id": "d", "text": "Mevrouw kan niets meer alleen, ze is volledig afhankelijk van haar zoon."},
]


def write_jsonl(path: Path, records) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    return path


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_suggest_writes_one_line_per_passage(tmp_path):
    """suggest writes id, themes with key/score/suggested/evidence, in input order."""
    source = write_jsonl(tmp_path / "in.jsonl", PASSAGES)
    out = tmp_path / "out.jsonl"
    assert main(["suggest", "--in", str(source), "--out", str(out)]) == 0
    lines = read_jsonl(out)
    assert [line["id"] for line in lines] == [1, "b", "c", "d"]
    for line, passage in zip(lines, PASSAGES, strict=True):
        assert [t["key"] for t in line["themes"]] == [
            "dependency",
            "privacy",
            "outsourcing",
            "role_confusion",
        ]
        for theme in line["themes"]:
            assert 0 <= theme["score"] <= 1 and isinstance(theme["suggested"], bool)
            for evidence in theme["evidence"]:
                assert evidence["kind"] == "term"
                assert passage["text"][evidence["start"] : evidence["end"]] == evidence["text"]
    suggested = [{t["key"] for t in line["themes"] if t["suggested"]} for line in lines]
    assert "privacy" in suggested[0] and "outsourcing" in suggested[1]
    assert "role_confusion" in suggested[2] and "dependency" in suggested[3]


def test_suggest_learns_from_train_file_and_reads_a_codebook(tmp_path):
    """--train adds "similar" evidence (id, score); --codebook replaces the themes."""
    train = [
        {"id": f"t{i}", "text": text, "labels": labels}
        for i, (text, labels) in enumerate(
            [
                ("Ze kent zijn pincode en wachtwoord.", ["privacy"]),
                ("Het loket is gesloten.", ["outsourcing"]),
            ]
            * 3
        )
    ]
    source = write_jsonl(tmp_path / "in.jsonl", PASSAGES[:1])
    out = tmp_path / "out.jsonl"
    args = ["suggest", "--in", str(source), "--out", str(out), "--lang", "nl"]
    assert main([*args, "--train", str(write_jsonl(tmp_path / "t.jsonl", train))]) == 0
    privacy = next(t for t in read_jsonl(out)[0]["themes"] if t["key"] == "privacy")
    similar = [e for e in privacy["evidence"] if e["kind"] == "similar"]
    assert similar and set(similar[0]) == {"kind", "id", "score"}
    codebook = tmp_path / "codebook.json"
    codebook.write_text(
        json.dumps([{"key": "banking", "seed_terms": {"nl": ["bankapp", "pincode"]}}]), "utf-8"
    )
    assert main([*args, "--codebook", str(codebook)]) == 0
    assert [t["key"] for t in read_jsonl(out)[0]["themes"]] == ["banking"]


def test_cluster_writes_groups(tmp_path):
    """cluster writes label, terms, members and representatives per group."""
    records = [{"id": i, "text": p["text"]} for i, p in enumerate(PASSAGES * 3)]
    source = write_jsonl(tmp_path / "in.jsonl", records)
    out = tmp_path / "groups.jsonl"
    assert main(["cluster", "--in", str(source), "--out", str(out), "--k", "2"]) == 0
    groups = read_jsonl(out)
    assert len(groups) == 2
    assert sorted(m for g in groups for m in g["members"]) == list(range(12))
    for group in groups:
        assert {"label", "terms", "members", "representatives"} <= set(group)
        assert set(group["representatives"]) <= set(group["members"])


def test_cluster_never_labels_with_the_names_given_and_labels_in_the_language_asked(tmp_path):
    """--names keeps pseudonyms out of labels; --label-language picks the labels' language."""
    texts = [
        "Sophie zegt dat het loket van de bank gesloten is.",
        "Sophie dit que le guichet de la banque est fermé.",
        "Sophie says the bank counter is closed.",
        "Sophie vraagt wie haar wachtwoord bewaart.",
        "Sophie demande qui garde son mot de passe.",
        "Sophie asks who keeps her password.",
    ]
    source = write_jsonl(tmp_path / "in.jsonl", [{"id": i, "text": t} for i, t in enumerate(texts)])
    names = tmp_path / "names.txt"
    names.write_text("Sophie\n", encoding="utf-8")
    out = tmp_path / "groups.jsonl"
    argv = ["cluster", "--in", str(source), "--out", str(out), "--k", "2"]
    assert main([*argv, "--names", str(names), "--label-language", "nl"]) == 0
    groups = read_jsonl(out)
    for group in groups:
        assert "sophie" not in json.dumps(group).lower()
        assert group["label"] == group["labels"]["nl"]


@pytest.mark.parametrize(
    ("command", "bad", "message"),
    [
        ("suggest", '{"id": 3, "text": "fine"}\n{"id": 4, "text": oops}\n', "line 2"),
        ("suggest", '{"id": 3, "text": "fine"}\n\n["not", "an object"]\n', "line 3"),
        ("cluster", '{"id": 3, "text": "fine"}\n{"id": 4}\n', "line 2"),
        ("cluster", '{"id": 3, "text": "secret passage"}\n{"id": 3, "text": "x"}\n', "line 2"),
    ],
)
def test_malformed_line_names_it_and_writes_nothing(tmp_path, capsys, command, bad, message):
    """A bad line: exit 2, message with file and line, no text, no output file."""
    source = tmp_path / "in.jsonl"
    source.write_text(bad, "utf-8")
    out = tmp_path / "out.jsonl"
    assert main([command, "--in", str(source), "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert message in error and "in.jsonl" in error
    assert "secret" not in error and "Traceback" not in error
    assert not out.exists() and list(tmp_path.iterdir()) == [source]


def test_malformed_train_or_codebook_is_reported(tmp_path, capsys):
    """Unknown theme keys in --train and a broken --codebook are clear errors."""
    source = write_jsonl(tmp_path / "in.jsonl", PASSAGES)
    out = tmp_path / "out.jsonl"
    train = write_jsonl(tmp_path / "train.jsonl", [{"id": 1, "text": "x", "labels": ["nope"]}])
    assert main(["suggest", "--in", str(source), "--out", str(out), "--train", str(train)]) == 2
    assert "train.jsonl: line 1: unknown theme key 'nope'" in capsys.readouterr().err
    codebook = tmp_path / "codebook.json"
    codebook.write_text('[{"key": "ok"},\n {"key": 5}]', "utf-8")
    assert (
        main(["suggest", "--in", str(source), "--out", str(out), "--codebook", str(codebook)]) == 2
    )
    assert "theme 2" in capsys.readouterr().err
    assert not out.exists()


def test_subprocess_error_has_no_traceback(tmp_path):
    """Run as a real process: non-zero exit, line number on stderr, no traceback."""
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": 1, "text": "ok"}\n{"id": 2, "text": \n', "utf-8")
    out = tmp_path / "out.jsonl"
    result = subprocess.run(
        [sys.executable, "-m", "analysis", "cluster", "--in", str(source), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "line 2" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()
