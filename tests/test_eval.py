"""`assistant eval` on hand-made question files and on a SQuAD-format set, through the real pipeline."""

import json
import sqlite3
from pathlib import Path

import pytest
from cli_runner import run_cli as run

from assistant.analytics.evaluation import load_questions, spread
from assistant.core.errors import AssistantError

ROOT = Path(__file__).resolve().parents[1]
SHARED_DEV = ROOT.parent / "shared" / "data" / "dev"


def test_question_files_are_read_with_clear_errors(tmp_path):
    f = tmp_path / "q.jsonl"
    f.write_text(
        '{"id": "a", "question": "VPN?", "file": "it.pdf", "page": 2, "answer": "SecureLink"}\n\n'
        '{"question": "Paris?", "unanswerable": true}\n',
        encoding="utf-8",
    )
    a, b = load_questions(f)
    assert (a.id, a.gold, a.answers, a.unanswerable) == ("a", ["it.pdf#2"], ["SecureLink"], False)
    assert (b.id, b.gold, b.unanswerable) == ("3", [], True)
    f.write_text('{"question": "ok"}\n{"text": "no question"}\n', encoding="utf-8")
    with pytest.raises(AssistantError, match="line 2: not a question object"):
        load_questions(f)
    squad = tmp_path / "s.json"
    squad.write_text(
        json.dumps(
            {
                "data": [
                    {
                        "title": "T",
                        "paragraphs": [
                            {
                                "context": "Lot A is for visitors.",
                                "qas": [{"id": "q1", "question": "Where?", "answers": [{"text": "Lot A"}]}],
                            },
                            {
                                "context": "Nothing here.",
                                "qas": [{"id": "q2", "question": "Why?", "answers": [], "is_impossible": True}],
                            },
                        ],
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    q1, q2 = load_questions(squad, tmp_path / "corpus")
    assert q1.gold == ["p00000.txt"] and q1.answers == ["Lot A"] and q2.unanswerable and q2.gold == []
    assert (tmp_path / "corpus" / "p00000.txt").read_text(encoding="utf-8") == "Lot A is for visitors."
    squad.write_text("{not json", encoding="utf-8")
    with pytest.raises(AssistantError, match="not valid JSON"):
        load_questions(squad, tmp_path / "corpus")


def test_holdout_keeps_articles_out_of_the_corpus_and_makes_their_questions_unanswerable(tmp_path):
    articles = [
        {"title": f"A{a}", "paragraphs": [{"context": f"Article {a} text.", "qas": [
            {"id": f"q{a}", "question": f"What is in article {a}?", "answers": [{"text": f"Article {a}"}]}]}]}
        for a in range(4)
    ]  # fmt: skip
    squad = tmp_path / "s.json"
    squad.write_text(json.dumps({"data": articles}), encoding="utf-8")
    corpus = tmp_path / "corpus"
    qs = load_questions(squad, corpus, holdout=0.5)
    # share 0.5: article a is out when floor((a+1)/2) > floor(a/2), i.e. a = 1 and 3
    assert [(q.id, q.unanswerable, q.gold) for q in qs] == [
        ("q0", False, ["p00000.txt"]),
        ("q1", True, []),
        ("q2", False, ["p00002.txt"]),
        ("q3", True, []),
    ]
    assert sorted(f.name for f in corpus.iterdir()) == ["p00000.txt", "p00002.txt"]
    load_questions(squad, corpus)  # no holdout: every passage is back
    assert len(list(corpus.iterdir())) == 4
    load_questions(squad, corpus, holdout=0.25)  # a stale passage of another holdout is removed
    assert sorted(f.name for f in corpus.iterdir()) == ["p00000.txt", "p00001.txt", "p00002.txt"]
    with pytest.raises(AssistantError, match="share of the articles"):
        load_questions(squad, corpus, holdout=1.0)
    assert [q.id for q in spread(qs, 2)] == ["q0", "q2"]
    assert spread(qs, 10) == qs


@pytest.fixture(scope="module")
def config(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("eval")
    cfg = tmp / "config.toml"
    cfg.write_text(f'[paths]\ndata_dir = "{tmp / "data"}"\n\n[generation]\nmax_tokens = 64\n', encoding="utf-8")
    assert run(cfg, "ingest", str(ROOT / "samples" / "manuals")).returncode == 0
    return cfg


def test_eval_scores_a_small_set_and_resumes(config, tmp_path):
    lines = [
        json.loads(x)
        for x in (ROOT / "samples" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
        if json.loads(x)["id"] in ("s03", "s25")
    ]
    qfile = tmp_path / "tiny.jsonl"
    qfile.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n", encoding="utf-8")
    res = run(config, "eval", str(qfile), "--json")
    assert res.returncode == 0, res.stderr
    s = json.loads(res.stdout)
    # s03 (password reminder, it-helpdesk-guide.pdf p.2) is found at rank 1; s25 (capital of France) is not covered
    assert s["questions"] == 2 and s["recall@1"]["value"] == 1.0 and s["mrr@10"]["value"] == 1.0
    assert s["abstention"] == {"precision": 1.0, "recall": 1.0, "abstained": 1, "unanswerable": 1}
    assert s["f1"]["n"] == 1 and 0 < s["f1"]["value"] <= 1
    assert s["latency_s"]["total_p50"] > 0
    results = config.parent / "data" / "eval" / "tiny.results.jsonl"
    assert len(results.read_text(encoding="utf-8").splitlines()) == 2
    again = run(config, "eval", str(qfile), "--json")  # resumes: nothing asked again
    assert again.returncode == 0 and json.loads(again.stdout)["recall@1"] == s["recall@1"]
    assert len(results.read_text(encoding="utf-8").splitlines()) == 2
    shown = run(config, "eval", str(qfile), "--out", str(tmp_path / "eval.html"))
    assert "recall@5" in shown.stdout and "abstention recall" in shown.stdout
    html = (tmp_path / "eval.html").read_text(encoding="utf-8")
    assert html.count("<svg") == 2 and "tiny.jsonl" in html and "recall@1" in html
    saved = json.loads((config.parent / "data" / "eval" / "tiny.summary.json").read_text(encoding="utf-8"))
    assert saved["summary"]["recall@1"] == s["recall@1"] and saved["model"].endswith(".gguf")
    usage = config.parent / "data" / "usage.sqlite"  # evaluation questions are not staff's usage
    assert not usage.exists() or sqlite3.connect(usage).execute("SELECT COUNT(*) FROM answers").fetchone() == (0,)


@pytest.mark.slow
@pytest.mark.skipif(not (SHARED_DEV / "xquad-en").is_dir(), reason="needs ../shared/data/dev")
def test_eval_runs_a_squad_file_end_to_end(config):
    res = run(config, "eval", str(SHARED_DEV / "xquad-en" / "xquad.en.json"), "--limit", "3", "--json")
    assert res.returncode == 0, res.stderr
    s = json.loads(res.stdout)
    assert s["questions"] == 3 and s["recall@10"]["n"] == 3 and s["recall@10"]["value"] >= 2 / 3
    assert (config.parent / "data" / "eval" / "xquad.en" / "kb" / "CURRENT").is_file()
