"""The evaluation run: a question file through the real Q&A pipeline (same config as serving), scored.

Question files:
- JSONL, one object per line: `question`, optional `id`, `file` and `page` (gold source), `answer` or
  `answers` (reference), `unanswerable` (true when the manuals do not cover it). samples/questions.jsonl is one.
- SQuAD-format JSON: every paragraph becomes a passage file, ingested into a knowledge base of its own under
  data_dir/eval/<name>/ (the serving knowledge base is not touched); gold = the question's passage.
  `holdout` keeps that share of the articles (spread evenly) out of the corpus; their questions become
  unanswerable, which tests "not found" on questions of the same style and domain as the answerable ones.

Each finished question is appended to a results file (data_dir/eval/<name>.results.jsonl), so an interrupted
run resumes where it stopped; `restart` starts over.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.analytics import metrics as m
from assistant.core.config import Settings
from assistant.core.errors import AssistantError
from assistant.core.facts import unsupported
from assistant.core.files import write_text_atomic
from assistant.core.identity import Principal
from assistant.core.sentences import sentence_spans, unwrap
from assistant.kb.keywords import get_tokenizer

if TYPE_CHECKING:
    from assistant.services import Assistant


@dataclass
class EvalQuestion:
    id: str
    question: str
    gold: list[str] = field(default_factory=list)  # source keys: "file#page" or "file"
    answers: list[str] = field(default_factory=list)
    unanswerable: bool = False


def source_key(file: str, page: int | None) -> str:
    return f"{file}#{page}" if page is not None else file


def load_questions(path: Path, corpus_dir: Path | None = None, holdout: float = 0.0) -> list[EvalQuestion]:
    """Questions from a JSONL or SQuAD file; for SQuAD, passages are written to corpus_dir as text files."""
    if not path.is_file():
        raise AssistantError(f"question file not found: {path}")
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        try:
            data = json.loads(text)
        except ValueError as e:
            raise AssistantError(f"{path}: not valid JSON ({e})") from None
        return _load_squad(path, data, corpus_dir, holdout)
    out = []
    for no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            q = json.loads(line)
            question = q["question"]
        except (ValueError, KeyError, TypeError) as e:
            raise AssistantError(f"{path}, line {no}: not a question object ({e})") from None
        answers = q.get("answers") or ([q["answer"]] if q.get("answer") else [])
        gold = [source_key(q["file"], q.get("page"))] if q.get("file") else []
        out.append(EvalQuestion(str(q.get("id", no)), question, gold, answers, bool(q.get("unanswerable"))))
    return out


def held_out(article: int, share: float) -> bool:
    """Spread `share` of the articles evenly: article a is held out when floor((a+1)s) > floor(a*s)."""
    return int((article + 1) * share) > int(article * share)


def _load_squad(path: Path, data: dict, corpus_dir: Path | None, holdout: float) -> list[EvalQuestion]:
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise AssistantError(f"{path}: not SQuAD format (no 'data' list)")
    if corpus_dir is None:
        raise AssistantError("a SQuAD file needs a corpus folder for its passages")
    if not 0.0 <= holdout < 1.0:
        raise AssistantError("--holdout is a share of the articles, from 0 up to (not including) 1")
    corpus_dir.mkdir(parents=True, exist_ok=True)
    out, written, n = [], set(), 0
    for a, article in enumerate(data["data"]):
        outside = held_out(a, holdout)
        for para in article["paragraphs"]:
            name = f"p{n:05d}.txt"
            n += 1
            if not outside:
                target = corpus_dir / name
                context = para["context"].replace(" [SEP] ", "\n", 1)  # JSQuAD: "title [SEP] text"
                if not target.is_file() or target.read_text(encoding="utf-8") != context:
                    target.write_text(context, encoding="utf-8")
                written.add(name)
            for qa in para["qas"]:
                impossible = outside or bool(qa.get("is_impossible"))
                answers = [a["text"] for a in qa.get("answers", [])]
                out.append(
                    EvalQuestion(str(qa["id"]), qa["question"], [] if impossible else [name], answers, impossible)
                )
    for stale in corpus_dir.glob("p*.txt"):  # passages of a previous holdout; pruned at ingestion
        if stale.name not in written:
            stale.unlink()
    return out


def spread(questions: list[EvalQuestion], n: int) -> list[EvalQuestion]:
    """n questions evenly spaced through the file (every article represented, unlike the first n)."""
    if n >= len(questions):
        return questions
    return [questions[i * len(questions) // n] for i in range(n)]


@dataclass
class EvalResult:
    id: str
    question: str
    has_gold: bool
    rank: int | None
    abstained: bool
    unanswerable: bool
    outcome: str
    answer: str
    em: float | None
    f1: float | None
    citation_precision: float | None
    total_s: float
    first_text_s: float | None
    contains: float | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    # Evidence (the manuals' sentences, shown first) and the model's summary, scored apart.
    evidence_contains: float | None = None
    generated_contains: float | None = None
    shown_generated: int = 0  # sentences of the summary shown
    unsupported_shown: int = 0  # of those, with a number or term that is not in a source they cite
    first_evidence_s: float | None = None
    first_generated_s: float | None = None
    file_rank: int | None = None  # rank of the first hit from a gold file (page ranks are `rank`)


def evaluate_one(service: Assistant, q: EvalQuestion, k: int, principal: Principal) -> EvalResult:
    answer = service.ask(q.question, principal=principal).result()
    gold = set(q.gold)
    rank, file_rank = ranks_of_gold(service, answer.query, k, principal, gold)
    cited = [source_key(s.file, s.page) for s in answer.cited_sources]
    scored = bool(q.answers) and not q.unanswerable
    evidence = " ".join(unwrap(e.text) for e in answer.evidence)
    shown, bad = unsupported_sentences(answer.summary, {s.number: s.passage for s in answer.sources})
    return EvalResult(
        id=q.id,
        question=q.question,
        has_gold=bool(gold),
        rank=rank,
        file_rank=file_rank,
        abstained=answer.abstained,
        unanswerable=q.unanswerable,
        outcome=answer.outcome,
        answer=answer.text,
        em=m.exact_match(answer.text, q.answers) if scored else None,
        f1=m.f1(answer.text, q.answers) if scored else None,
        contains=m.contains_answer(answer.text, q.answers) if scored else None,
        evidence_contains=(m.contains_answer(evidence, q.answers) if answer.evidence else 0.0) if scored else None,
        generated_contains=m.contains_answer(answer.summary, q.answers) if scored and answer.summary else None,
        shown_generated=shown,
        unsupported_shown=bad,
        prompt_tokens=answer.prompt_tokens,
        completion_tokens=answer.completion_tokens,
        citation_precision=m.citation_precision(cited, gold) if gold else None,
        total_s=answer.timings.get("total_s", 0.0),
        first_text_s=answer.timings.get("first_text_s"),
        first_evidence_s=answer.timings.get("first_evidence_s"),
        first_generated_s=answer.timings.get("first_generated_s"),
    )


def evaluate_retrieval(service: Assistant, q: EvalQuestion, k: int, principal: Principal) -> EvalResult:
    """Retrieval alone: where the gold page and file rank, no model, no answer."""
    t0 = time.perf_counter()
    gold = set(q.gold)
    rank, file_rank = ranks_of_gold(service, q.question, k, principal, gold)
    return EvalResult(
        id=q.id,
        question=q.question,
        has_gold=bool(gold),
        rank=rank,
        file_rank=file_rank,
        abstained=False,
        unanswerable=q.unanswerable,
        outcome="retrieval-only",
        answer="",
        em=None,
        f1=None,
        citation_precision=None,
        total_s=time.perf_counter() - t0,
        first_text_s=None,
    )


def ranks_of_gold(
    service: Assistant, query: str, k: int, principal: Principal, gold: set[str]
) -> tuple[int | None, int | None]:
    """Rank of the first gold page, and of the first hit from a gold file (None: not in the top k, or no gold)."""
    if not gold:
        return None, None
    hits = service.search(query, k, principal=principal)
    keys = [source_key(h.name, h.page_start if h.paginated else None) for h in hits]
    files = {g.split("#")[0] for g in gold}
    return m.rank_of_gold(keys, gold), m.rank_of_gold([key.split("#")[0] for key in keys], files)


def unsupported_sentences(summary: str, passages: dict[int, str]) -> tuple[int, int]:
    """(sentences shown, sentences with a fact not in a source they cite): checked here from the record alone,
    independently of the checker that decided what to show."""
    shown = bad = 0
    for start, end in sentence_spans(summary):
        sentence = summary[start:end]
        shown += 1
        cited = [int(n) for n in re.findall(r"\[(\d+)\]", sentence) if int(n) in passages]
        if not cited or unsupported(sentence, [passages[n] for n in cited], get_tokenizer().tokens):
            bad += 1
    return shown, bad


def run(
    service: Assistant,
    questions: list[EvalQuestion],
    results_path: Path,
    *,
    principal: Principal,
    k: int = 10,
    restart: bool = False,
    retrieval_only: bool = False,
    fingerprint: dict[str, Any] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> list[EvalResult]:
    """Ask every question not yet in results_path; returns the results of all questions, in file order.

    Earlier results are reused only when they were recorded with the same `fingerprint` (model, configuration,
    knowledge-base generation, mode): a resumed run must not mix answers of two set-ups."""
    done: dict[str, EvalResult] = {}
    meta = {"_fingerprint": fingerprint or {}}
    if not restart and results_path.is_file():
        lines = [ln for ln in results_path.read_text(encoding="utf-8").splitlines() if ln.strip()]
        if lines and json.loads(lines[0]) == meta:
            for line in lines[1:]:
                r = EvalResult(**json.loads(line))
                done[r.id] = r
    if not done:
        results_path.parent.mkdir(parents=True, exist_ok=True)
        results_path.write_text(json.dumps(meta, ensure_ascii=False) + "\n", encoding="utf-8")
    score = evaluate_retrieval if retrieval_only else evaluate_one
    with results_path.open("a", encoding="utf-8") as out:
        for i, q in enumerate(questions, start=1):
            if q.id not in done:
                r = score(service, q, k, principal)
                out.write(json.dumps(asdict(r), ensure_ascii=False) + "\n")
                out.flush()
                done[q.id] = r
            if on_progress:
                on_progress(i, len(questions))
    return [done[q.id] for q in questions]


def answerable_ranks(results: list[EvalResult]) -> list[int | None]:
    """Rank of the gold source for each question that has one (None: not in the ranking)."""
    return [r.rank for r in results if r.has_gold and not r.unanswerable]


def summarize(results: list[EvalResult]) -> dict[str, Any]:
    """Every metric with its 95% bootstrap interval (None where the set has nothing to score it on)."""
    ranks = answerable_ranks(results)

    def metric(values: list[float]) -> dict[str, Any]:
        return {"value": m.mean(values), "ci95": m.bootstrap_ci(values), "n": len(values)}

    out: dict[str, Any] = {"questions": len(results)}
    if ranks:
        for k in (1, 5, 10):
            out[f"recall@{k}"] = metric(m.recall_at(ranks, k))
        out["mrr@10"] = metric(m.reciprocal_ranks(ranks))
        file_ranks = [r.file_rank for r in results if r.has_gold and not r.unanswerable]
        for k in (1, 5):
            out[f"file_recall@{k}"] = metric(m.recall_at(file_ranks, k))
    if results and all(r.outcome == "retrieval-only" for r in results):
        totals = [r.total_s for r in results]
        out["latency_s"] = {"search_p50": m.percentile(totals, 50), "search_p95": m.percentile(totals, 95)}
        return out
    scored = [r for r in results if r.f1 is not None]
    out["exact_match"] = metric([r.em for r in scored if r.em is not None])
    out["f1"] = metric([r.f1 for r in scored if r.f1 is not None])
    out["contains_answer"] = metric([r.contains for r in scored if r.contains is not None])
    out["evidence_contains_answer"] = metric([r.evidence_contains for r in scored if r.evidence_contains is not None])
    out["generated_contains_answer"] = metric(
        [r.generated_contains for r in scored if r.generated_contains is not None]
    )
    out["unsupported_facts_shown"] = {
        "sentences": sum(r.unsupported_shown for r in results),
        "of_shown": sum(r.shown_generated for r in results),
    }
    out["citation_precision"] = metric([r.citation_precision for r in results if r.citation_precision is not None])
    out["abstention"] = m.abstention_scores([r.abstained for r in results], [r.unanswerable for r in results])
    out["outcomes"] = dict(Counter(r.outcome for r in results))
    out["tokens"] = {
        "prompt_mean": m.mean([float(r.prompt_tokens) for r in results]),
        "completion_mean": m.mean([float(r.completion_tokens) for r in results]),
    }
    totals = [r.total_s for r in results]
    firsts = [r.first_text_s for r in results if r.first_text_s is not None]
    evidence = [r.first_evidence_s for r in results if r.first_evidence_s is not None]
    generated = [r.first_generated_s for r in results if r.first_generated_s is not None]
    out["latency_s"] = {
        "total_p50": m.percentile(totals, 50),
        "total_p95": m.percentile(totals, 95),
        "first_text_p50": m.percentile(firsts, 50),
        "first_text_p95": m.percentile(firsts, 95),
        "first_evidence_p50": m.percentile(evidence, 50),
        "first_evidence_p95": m.percentile(evidence, 95),
        "first_generated_p50": m.percentile(generated, 50),
        "first_generated_p95": m.percentile(generated, 95),
    }
    return out


def save_summary(
    summary: dict[str, Any], path: Path, *, source: Path, model: str, options: dict[str, Any]
) -> dict[str, Any]:
    """The latest scores of a question file, beside its results; `assistant report` shows the newest ones."""
    record = {
        "file": str(source),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": model,
        "options": options,
        "summary": summary,
    }
    write_text_atomic(path, json.dumps(record, ensure_ascii=False, indent=2))
    return record


def latest_summaries(eval_dir: Path) -> list[dict[str, Any]]:
    """Every saved evaluation summary, newest first."""
    out = []
    for f in eval_dir.glob("*.summary.json"):
        try:
            out.append(json.loads(f.read_text(encoding="utf-8")))
        except ValueError:
            continue  # a summary being replaced right now; the next report has it
    return sorted(out, key=lambda r: r.get("finished", ""), reverse=True)


def eval_name(path: Path, holdout: float = 0.0) -> str:
    """Results and corpus folder name; a holdout makes a different corpus, so a different name."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", path.stem)
    return f"{name}-holdout{holdout:g}" if holdout else name


def iter_rows(summary: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(metric, value with interval) for display."""
    for key, v in summary.items():
        if isinstance(v, dict) and "value" in v:
            if v["value"] is None:
                yield key, "–"
                continue
            ci = f" [{v['ci95'][0]:.3f}, {v['ci95'][1]:.3f}]" if v["ci95"] else ""
            yield key, f"{v['value']:.3f}{ci} (n={v['n']})"
    fmt = lambda x: "–" if x is None else f"{x:.3f}"  # noqa: E731
    if "abstention" not in summary:  # retrieval only
        lat = summary.get("latency_s", {})
        yield "search p50 / p95 s", f"{fmt(lat.get('search_p50'))} / {fmt(lat.get('search_p95'))}"
        return
    a = summary["abstention"]
    if summary.get("tokens"):
        t = summary["tokens"]
        yield "tokens per question in / out", f"{t['prompt_mean'] or 0:.0f} / {t['completion_mean'] or 0:.0f}"
    yield "abstention precision", f"{fmt(a['precision'])} ({a['abstained']} abstained)"
    yield "abstention recall", f"{fmt(a['recall'])} ({a['unanswerable']} unanswerable)"
    lat = summary["latency_s"]
    if "unsupported_facts_shown" in summary:
        u = summary["unsupported_facts_shown"]
        yield "unsupported facts shown", f"{u['sentences']} of {u['of_shown']} summary sentences"
    yield "latency total p50 / p95 s", f"{fmt(lat['total_p50'])} / {fmt(lat['total_p95'])}"
    yield "first text p50 / p95 s", f"{fmt(lat['first_text_p50'])} / {fmt(lat['first_text_p95'])}"
    if lat.get("first_evidence_p50") is not None:
        yield "first evidence p50 / p95 s", f"{fmt(lat['first_evidence_p50'])} / {fmt(lat['first_evidence_p95'])}"
    if lat.get("first_generated_p50") is not None:
        yield "first generated p50 / p95 s", f"{fmt(lat['first_generated_p50'])} / {fmt(lat['first_generated_p95'])}"


def fingerprint(settings: Settings, service: Assistant, retrieval_only: bool) -> dict[str, Any]:
    """What results depend on: the model, every setting except where files live, and the knowledge base."""
    config = settings.model_dump(mode="json", exclude={"paths": {"data_dir", "samples_dir"}})
    return {
        "model": "" if retrieval_only else settings.generation.model,
        "config": hashlib.sha1(json.dumps(config, sort_keys=True).encode()).hexdigest()[:16],
        "generation": service.kb.generation,
        "mode": "retrieval" if retrieval_only else "answers",
    }


def settings_without_usage_log(settings: Settings) -> Settings:
    """Evaluation questions are not staff's questions: they stay out of the usage log and its report."""
    copy = settings.model_copy(deep=True)
    copy.usage.enabled = False
    return copy


def settings_for_squad(settings: Settings, name: str) -> Settings:
    """A copy whose knowledge base lives under data_dir/eval/<name>: the serving one is not touched."""
    copy = settings_without_usage_log(settings)
    copy.paths.data_dir = settings.paths.data_dir / "eval" / name
    return copy
