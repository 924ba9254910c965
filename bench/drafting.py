"""Drafting benchmark: time to a full draft of the sample briefs, and how many statements carry a valid citation
(the statement's text is on the page it cites, read from the original file), against the model asked to write
each section from the same sources without our checks (the plain "RAG drafting" recipe).

    .venv/bin/python bench/drafting.py [--no-anchor]

The knowledge base is the bundled sample manuals (data/eval/samples-kb, shared with bench/evidence.py).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench import summary  # noqa: E402

BRIEFS = [
    {
        "title": "新入社員向け 出張と経費精算の手引き",
        "purpose": "出張の申請から経費精算までの手順と規程",
        "language": "ja",
    },
    {"title": "IT guide for new employees", "purpose": "accounts, passwords, VPN and getting help", "language": "en"},
]


def flat(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKC", text) if not c.isspace())


def page_texts(path: Path) -> dict[int | None, str]:
    if path.suffix == ".pdf":
        from pypdf import PdfReader

        return {i: flat(p.extract_text()) for i, p in enumerate(PdfReader(path).pages, 1)}
    if path.suffix == ".docx":
        import docx

        d = docx.Document(str(path))
        cells = [c.text for t in d.tables for r in t.rows for c in r.cells]
        return {None: flat("\n".join([p.text for p in d.paragraphs] + cells))}
    return {None: flat(path.read_text(encoding="utf-8"))}


def valid(statement, files: dict[str, Path], cache: dict) -> bool:  # noqa: ANN001
    c = statement.citation
    if c.file not in files:
        return False
    pages = cache.setdefault(c.file, page_texts(files[c.file]))
    wanted = range(c.page, (c.page_end or c.page) + 1) if c.page else [None]
    text = "".join(pages.get(p, "") for p in wanted)
    return all(flat(part) in text for part in statement.text.split(" / "))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--no-anchor", action="store_true", help="skip the unchecked model-written anchor")
    args = ap.parse_args()
    from assistant.analytics import evaluation as ev
    from assistant.core.config import load_settings
    from assistant.core.facts import unsupported
    from assistant.core.identity import Principal
    from assistant.core.sentences import split_sentences
    from assistant.drafting.records import Brief
    from assistant.drafting.sections import topics
    from assistant.drafting.service import SECTION_HITS, DraftingService
    from assistant.embeddings import load_embedder
    from assistant.kb.keywords import get_tokenizer
    from assistant.llm import ChatMessage, GenerationParams, load_chat_model
    from assistant.services import Assistant
    from ingest.pipeline import Ingestor

    base = load_settings(ROOT / "config.toml", environ={})
    settings = ev.settings_without_usage_log(base)
    settings.paths.data_dir = ROOT / "data" / "eval" / "samples-kb"
    embedder = load_embedder(settings.embedding)
    Ingestor(settings, lambda: embedder).run([ROOT / "samples" / "manuals"], prune=True)
    files = {p.name: p for p in (ROOT / "samples" / "manuals").iterdir()}
    model = load_chat_model(settings.generation)
    words = get_tokenizer().tokens
    writer = Principal.of("writer", ["all"], "writer")
    rows = []
    with Assistant(settings, embedder=embedder, model=model) as assistant:
        drafting = DraftingService(settings, assistant.kb, model=lambda: model)
        drafting.store.__init__(Path(tempfile.mkdtemp()) / "drafts.sqlite")
        for spec in BRIEFS:
            brief = Brief(**spec)
            t0 = time.perf_counter()
            draft = drafting.build_all(drafting.start(brief, writer).id, writer)
            seconds = time.perf_counter() - t0
            statements = [s for sec in draft.sections for b in sec.blocks for s in b.statements]
            cache: dict = {}
            quoted = [s for s in statements if not s.generated]
            generated = [s for s in statements if s.generated]
            rows.append(
                {
                    "brief": spec["language"],
                    "recipe": "ours",
                    "sections": len(draft.sections),
                    "needs input": sum(s.status == "needs_input" for s in draft.sections),
                    "statements": len(statements),
                    "valid citation": sum(valid(s, files, cache) for s in quoted) / max(1, len(quoted)),
                    "model sentences shown": len(generated),
                    "model sentences backed": sum(
                        not unsupported(
                            s.text,
                            [" ".join(x.text for b in sec.blocks for x in b.statements) for sec in draft.sections],
                            words,
                        )
                        for s in generated
                    )
                    / max(1, len(generated))
                    if generated
                    else None,
                    "seconds": round(seconds, 1),
                }
            )
            print(rows[-1], flush=True)
            if args.no_anchor or spec["language"] not in settings.generation.languages:
                continue
            # The anchor: the model writes each section from the same searches, unchecked.
            gen = settings.generation
            params = GenerationParams(gen.max_tokens, gen.temperature, tuple(gen.stop), gen.repeat_penalty)
            t0, sentences, backed = time.perf_counter(), 0, 0
            for item in draft.outline:
                hits = [h for q in topics(item)[:2] for h in assistant.search(q, SECTION_HITS, principal=writer)][:3]
                context = "\n\n".join(f"[{i}] {h.text}" for i, h in enumerate(hits, 1))
                text = model.generate(
                    [
                        ChatMessage("system", "Write the section of a company manual from the numbered sources."),
                        ChatMessage("user", f"Sources:\n{context}\n\nSection: {item.title}\n"),
                    ],
                    params,
                )
                for sentence in split_sentences(text):
                    if len(sentence.strip()) > 10:
                        sentences += 1
                        backed += not unsupported(sentence, [h.text for h in hits], words)
            rows.append(
                {
                    "brief": spec["language"],
                    "recipe": "model writes, unchecked",
                    "sections": len(draft.outline),
                    "needs input": 0,
                    "statements": sentences,
                    "valid citation": None,
                    "model sentences shown": sentences,
                    "model sentences backed": backed / max(1, sentences),
                    "seconds": round(time.perf_counter() - t0, 1),
                }
            )
            print(rows[-1], flush=True)
    keys = list(rows[0])
    print("| " + " | ".join(keys) + " |\n|" + "---|" * len(keys))
    for r in rows:
        print(
            "| "
            + " | ".join(
                "–" if r[k] is None else f"{r[k]:.3f}" if isinstance(r[k], float) and k != "seconds" else str(r[k])
                for k in keys
            )
            + " |"
        )
    ours = [r for r in rows if r["recipe"] == "ours"]
    summary.record(
        **{f"{r['brief']} draft: s / valid citations": f"{r['seconds']} / {r['valid citation']:.3f}" for r in ours}
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
