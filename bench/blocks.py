"""Lists and tables benchmark: does the evidence bring a procedure, a list or a table whole?

    .venv/bin/python bench/blocks.py [--per-half 120]

Two sets, each answered twice in one run — as shipped, and with the block expansion switched off (the anchor:
what the evidence showed before lists and tables came whole):
- the sample manuals' list, procedure and table questions (written by us, Japanese and English, PDF, DOCX and
  Markdown), each with the items a complete answer names: "complete" when every item is in the evidence;
- the E-Manual QA TV questions whose gold answer is several sentences (mostly procedures), split into a tuning half
  (even-numbered) and a report half (odd-numbered): share of the gold answer's sentences found in the evidence, and
  share of questions where all of them are ("complete").
Also the evidence length (characters), so a gain in completeness is seen with its cost in reading.
The model is not called (`generation.languages = []`).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench import summary  # noqa: E402

EMANUAL = ROOT.parent / "shared" / "data" / "dev" / "emanual-qa"
SAMPLE_BLOCKS = [
    ("プレス機HP-200の始業前点検では何を確認しますか？",
     ["作動油の量", "作動油の温度", "非常停止ボタン", "光線式安全装置", "両手操作ボタン", "異音・油漏れ"]),
    ("HP-200の起動手順を教えてください", ["主電源スイッチ", "準備完了", "油圧ポンプ起動ボタン", "運転モード"]),
    ("出張の宿泊費の上限はいくらですか？", ["一般社員", "課長職", "部長職以上", "12,000円", "14,000円", "16,000円"]),
    ("HP-200で禁止されていることは何ですか？",
     ["光線式安全装置を無効", "両手操作ボタンの片方", "金型の間へ手", "2人以上"]),
    ("How do I connect to the VPN from home?",
     ["Connect to the internet", "Start SecureLink", "Sign in with your company account", "Wait until the icon"]),
    ("Which trainings must new employees complete?",
     ["Information security basics", "Compliance and anti-bribery", "Fire safety", "Factory safety"]),
    ("What is the schedule of the first day?",
     ["Welcome and ID card", "Company introduction", "Laptop and account set-up", "Lunch with your team",
      "Safety tour"]),
]


def flat(text: str) -> str:
    return re.sub(r"[\s|*\-]+", " ", text).strip().lower()


def ask_all(service, questions: list[str]) -> list:  # noqa: ANN001
    from assistant.core.identity import Principal

    return [service.ask(q, principal=Principal.everything()).result() for q in questions]


def sample_rows(service) -> dict[str, float]:  # noqa: ANN001
    answers = ask_all(service, [q for q, _ in SAMPLE_BLOCKS])
    complete = [all(flat(i) in flat(a.text) for i in items) for a, (_, items) in zip(answers, SAMPLE_BLOCKS,
                                                                                      strict=True)]
    return {"questions": len(answers), "complete": statistics.mean(complete),
            "evidence chars p50": statistics.median(len(a.text) for a in answers)}


def emanual_questions(half: str, per_half: int) -> list[tuple[str, list[str]]]:
    from assistant.core.sentences import split_sentences

    rows = [json.loads(x) for x in (EMANUAL / "smart_tv_remote_qa_all.jsonl").read_text().splitlines() if x]
    rows = [r for r in rows if "/normal_qa" in r["source_file"]]
    out = []
    for r in rows:
        sentences = [s for s in (x.strip() for x in split_sentences(r["answer"])) if len(s) >= 20]
        if len(sentences) >= 2:
            out.append((" ".join(r["question"].split()), sentences))
    out = out[0 if half == "tune" else 1 :: 2]
    return out[:per_half]


def emanual_rows(service, questions: list[tuple[str, list[str]]]) -> dict[str, float]:  # noqa: ANN001
    from assistant.core.sentences import unwrap

    answers = ask_all(service, [q for q, _ in questions])
    recall, complete, chars = [], [], []
    for answer, (_, gold) in zip(answers, questions, strict=True):
        shown = flat(" ".join(unwrap(e.text) for e in answer.evidence))
        found = [flat(s).rstrip(".") in shown for s in gold]
        recall.append(sum(found) / len(found))
        complete.append(all(found))
        chars.append(len(shown))
    return {"questions": len(answers), "gold sentences shown": statistics.mean(recall),
            "complete": statistics.mean(complete), "evidence chars p50": statistics.median(chars)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--per-half", type=int, default=120)
    args = ap.parse_args()
    from assistant.analytics import evaluation as ev
    from assistant.answering import evidence
    from assistant.core.config import load_settings
    from assistant.embeddings import load_embedder
    from assistant.services import Assistant
    from ingest.pipeline import Ingestor

    base = load_settings(ROOT / "config.toml", environ={})
    base.generation.languages = []
    embedder = load_embedder(base.embedding)
    expand = evidence._with_block
    rows = []

    def both(name: str, run) -> None:  # noqa: ANN001
        for label, patched in (("as shipped", expand), ("without block expansion (anchor)", lambda ev, hits: ev)):
            evidence._with_block = patched
            try:
                row = {"set": name, "evidence": label} | run()
            finally:
                evidence._with_block = expand
            rows.append(row)
            print(row, flush=True)

    settings = ev.settings_without_usage_log(base)
    settings.paths.data_dir = ROOT / "data" / "eval" / "samples-kb"
    Ingestor(settings, lambda: embedder).run([ROOT / "samples" / "manuals"], prune=True)
    service = Assistant(settings, embedder=embedder)
    both("sample manuals: lists and tables", lambda: sample_rows(service))
    service.close()

    if (EMANUAL / "smart_tv_remote_qa_all.jsonl").is_file():
        from bench import emanual_corpus

        files, _ = emanual_corpus.load(EMANUAL)
        settings = ev.settings_without_usage_log(base)
        settings.paths.data_dir = ROOT / "data" / "eval" / "emanual-tv-kb"
        corpus = settings.paths.data_dir / "corpus"
        corpus.mkdir(parents=True, exist_ok=True)
        (corpus / "samsung-smart-tv.md").write_text(files["samsung-smart-tv.md"], encoding="utf-8")
        Ingestor(settings, lambda: embedder).run([corpus], prune=True)
        service = Assistant(settings, embedder=embedder)
        for half in ("tune", "report"):
            qs = emanual_questions(half, args.per_half)
            both(f"E-Manual TV, multi-sentence answers ({half} half)", lambda qs=qs: emanual_rows(service, qs))
        service.close()
    else:
        print(f"{EMANUAL} not found: the E-Manual part is skipped")

    keys = list(dict.fromkeys(k for r in rows for k in r))
    print("\n| " + " | ".join(keys) + " |\n|" + "---|" * len(keys))
    for r in rows:
        print("| " + " | ".join(f"{r[k]:.3f}" if isinstance(r.get(k), float) else str(r.get(k, "")) for k in keys)
              + " |")
    summary.record(**{f"blocks {r['set']} {r['evidence']}: complete": round(r["complete"], 3) for r in rows})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
