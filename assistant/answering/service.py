"""The inquiry workflow: condense a follow-up → retrieve as the principal → decide whether the manuals cover it →
fit the sources to the context window → stream the answer → check its citations.

The CLI and the web UI reach this through `assistant.services` and render what it yields; nothing here prints
or knows who is on the other end. Every finished answer is handed to the registered listeners (the usage log).
The knowledge base is held only for retrieval: generation runs on the retrieved text, so a long answer never
keeps an old generation on disk.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import unicodedata
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from assistant.answering.answer_types import STEPS
from assistant.answering.citations import CitationChecker
from assistant.answering.condensing import condense, rewrite
from assistant.answering.context_budget import build_prompt
from assistant.answering.evidence import Evidence, find_evidence, overlaps
from assistant.answering.examples import example_questions
from assistant.answering.injection import screen
from assistant.answering.labels import ANSWERED, FIGURE, PARTLY, RELATED, LabelledEvidence, labelled_evidence
from assistant.answering.question_parts import split_parts
from assistant.answering.records import Answer, AnswerStream, Source, Turn
from assistant.answering.relevance import Relevance, assess, term_idf
from assistant.answering.short_answer import READ_BUDGET, find_short_answer, highlight_sentence, passages_of
from assistant.answering.support import SupportCheck
from assistant.core.config import Settings
from assistant.core.errors import AssistantError
from assistant.core.identity import Principal, require_principal
from assistant.core.language import language_of
from assistant.core.layout import is_list_item
from assistant.core.terms import topic_weights
from assistant.kb.keywords import get_tokenizer
from assistant.llm import ChatModel, GenerationParams
from assistant.llm.base import StreamReport
from assistant.llm.prompts import render
from assistant.retrieval import Hit, Searcher

log = logging.getLogger(__name__)
EXAMPLES_KEPT = 64  # (generation, groups, language) example lists kept: one per group set and UI language in use


class SearcherSource(Protocol):
    """Where a request gets its searcher: `kb.LiveKnowledgeBase` (follows ingestions) or one fixed `Searcher`."""

    def acquire(self) -> AbstractContextManager[Searcher]: ...


class QAService:
    def __init__(self, settings: Settings, searchers: SearcherSource, model: ChatModel):
        self.settings = settings
        self.searchers = searchers
        self.model = model
        self.tokenizer = get_tokenizer(settings.retrieval.sudachi_mode)
        self.listeners: list[Callable[[Answer], None]] = []
        # Called with the number of requests ahead while this one waits for the model (the UI shows it).
        self.queue_listeners: list[Callable[[Answer, int], None]] = []
        self._examples: dict[tuple, list[str]] = {}

    # --- public ------------------------------------------------------------------------------------
    def ask(self, question: str, *, principal: Principal, history: Sequence[Turn] = ()) -> AnswerStream:
        """Answer as `principal`: only documents it may read are searched. Refused without one."""
        principal = require_principal(principal)
        question = question.strip()
        if not question:
            raise AssistantError("the question is empty")
        answer = Answer(question=question, user=principal.name, language=language_of(question))
        answer.model, answer.backend = self.model.name, self.settings.generation.backend
        cancel = threading.Event()
        return AnswerStream(answer, self._run(answer, principal, history, cancel), cancel)

    def examples(self, principal: Principal, lang: str, n: int = 4) -> list[str]:
        """Questions an empty chat offers (answering/examples.py), cached per generation, groups and language."""
        principal = require_principal(principal)
        qa = self.settings.qa
        with self.searchers.acquire() as searcher:
            key = (str(searcher.kb.gen_dir), principal.groups, lang, n)
            if key not in self._examples:

                def answerable(question: str) -> bool:
                    """Found, and its evidence labelled "from the manuals": an example never gets a hedge."""
                    hits = searcher.search(question, qa.sources, principal=principal)
                    if not hits or not assess(searcher, question, hits, qa.abstain_dense_weight,
                                              qa.abstain_threshold).answerable:
                        return False
                    idf = term_idf(searcher, self.tokenizer.tokens(question))
                    return find_evidence(question, hits, idf, self.tokenizer.tokens).confident

                if len(self._examples) >= EXAMPLES_KEPT:  # a new generation makes the old keys useless
                    self._examples.clear()
                self._examples[key] = example_questions(searcher, principal, lang, answerable, n)
            return self._examples[key]

    def not_found_text(self, lang: str) -> str:
        return render("not-found", lang, self.settings.paths.prompts_dir)

    def writes(self, lang: str) -> bool:
        """Whether the configured model writes this language well enough to be asked (`generation.languages`)."""
        return lang in self.settings.generation.languages

    def condense(
        self, question: str, history: Sequence[Turn], idf: Callable[[list[str]], dict[str, float]] | None = None
    ) -> str:
        """The query searched for a question in a conversation (see condensing.py)."""
        return condense(question, history, self.settings, self.tokenizer.tokens, idf, self._rewrite(question, history))

    def _rewrite(self, question: str, history: Sequence[Turn]) -> str | None:
        model = self.model if self.writes(language_of(question)) else None
        return rewrite(question, history, self.settings, model, self.tokenizer.tokens)

    # --- steps -------------------------------------------------------------------------------------
    def _run(
        self, answer: Answer, principal: Principal, history: Sequence[Turn], cancel: threading.Event
    ) -> Iterator[str]:
        qa = self.settings.qa
        t0 = time.perf_counter()
        try:
            rewritten = self._rewrite(answer.question, history)  # a model call: before the knowledge base is taken
            with self.searchers.acquire() as searcher:
                idf_of = lambda terms: term_idf(searcher, terms)  # noqa: E731
                standalone = condense(answer.question, history, self.settings, self.tokenizer.tokens, idf_of, rewritten)
                answer.query = searcher.expand(standalone)
                t1 = time.perf_counter()
                # Embedded once: the dense ranker and the evidence's sentence similarity both use it.
                vector = searcher.embedder.embed_queries([answer.query])[0]
                hits = searcher.search(answer.query, qa.sources, principal=principal, vector=vector)
                hits += self._part_hits(searcher, answer.question, hits, principal)
                t2 = time.perf_counter()
                relevance = assess(searcher, answer.query, hits, qa.abstain_dense_weight, qa.abstain_threshold)
                if answer.query != answer.question and not relevance.answerable:
                    # Words a follow-up carried may be missing from a passage that answers the question as asked:
                    # a question is never "not found" after a conversation when it would be found alone.
                    own = assess(searcher, answer.question, hits, qa.abstain_dense_weight, qa.abstain_threshold)
                    relevance = own if own.score > relevance.score else relevance
                if not relevance.answerable and len(parts := split_parts(answer.question)) > 1:
                    # 「Aの金額と、Bの機種を」: one part the manuals cover is worth showing, the other said missing.
                    best = max((assess(searcher, p, hits, qa.abstain_dense_weight, qa.abstain_threshold)
                                for p in parts), key=lambda r: r.score)
                    relevance = best if best.answerable else relevance
                idf = term_idf(searcher, self.tokenizer.tokens(answer.query + " " + answer.question))
                aliases = searcher.defined_pairs(answer.query)
                embedder = searcher.embedder  # the model of every generation (checked), not tied to this one
            answer.timings |= {"condense_s": t1 - t0, "retrieval_s": t2 - t1}
            answer.relevance = relevance.as_dict()
            if not hits or (qa.abstain and not relevance.answerable):
                yield from self._abstain(answer, hits, relevance)
                return
            found = yield from self._evidence(answer, hits, idf, t0, _similarity(embedder, vector), aliases)
            if not answer.evidence:
                return
            if qa.short_answer and found is not None and len(found.parts) < 2 and not cancel.is_set():
                yield from self._short_answer(answer, found, standalone)
            if self.writes(answer.language) and qa.summary and not cancel.is_set():
                weights = topic_weights(answer.question, self.tokenizer.tokens, idf)
                yield from self._summarise(answer, hits, t0, weights, cancel)
            if not answer.evidence_confident and not answer.summary:
                answer.outcome = "partly" if answer.label == PARTLY else "closest"
        except GeneratorExit:
            answer.outcome = "cancelled"  # the reader closed the stream: recorded, the model already let go
            raise
        except Exception as e:
            answer.error = f"{type(e).__name__}: {e}"
            raise
        finally:
            answer.timings["total_s"] = time.perf_counter() - t0
            answer.timings = {k: round(v, 4) for k, v in answer.timings.items()}
            if answer.error is None:
                self._notify(answer)

    def _part_hits(self, searcher: Searcher, question: str, hits: list[Hit], principal: Principal) -> list[Hit]:
        """For a question that asks several things, each part's best section when the whole question's search
        did not bring it: 「パスワードとVPNの規則の違い」 finds the password rules first, and the VPN rules
        would go unread."""
        parts = split_parts(question)
        if len(parts) < 2:
            return []
        extra: list[Hit] = []
        for part in parts:
            found = searcher.search(searcher.expand(part), 1, principal=principal)
            if found and not any(found[0].id in h.covered_ids for h in [*hits, *extra]):
                extra.append(found[0])
        return extra

    def _abstain(self, answer: Answer, hits: list[Hit], relevance: Relevance) -> Iterator[str]:
        answer.outcome = "not_found" if hits else "no_documents"
        answer.label = "not_found"
        answer.sources = [Source.from_hit(i, h, self.settings.qa.snippet_chars) for i, h in enumerate(hits, 1)]
        answer.text = self.not_found_text(answer.language)
        log.info("abstained on %r (%s)", answer.query, relevance)
        yield answer.text

    def _queue_listener(self, answer: Answer) -> Callable[[int], None] | None:
        if not self.queue_listeners:
            return None
        return lambda ahead: [listener(answer, ahead) for listener in self.queue_listeners] and None

    def _evidence(
        self,
        answer: Answer,
        hits: list[Hit],
        idf: dict[str, float],
        t0: float,
        similarity: Callable[[list[str]], list[float]] | None = None,
        aliases: Sequence[tuple[str, str]] = (),
    ) -> Generator[str, None, LabelledEvidence | None]:
        """The manuals' own sentences that answer the question, shown before (and without) any model."""
        qa, prompts = self.settings.qa, self.settings.paths.prompts_dir
        if qa.screen_injections:  # an instruction planted in a manual is neither evidence nor read by the model
            for i, hit in enumerate(hits, start=1):
                hit.context, found = screen(hit.context or hit.text, i)
                answer.screened += found
        answer.sources = [Source.from_hit(i, h, qa.snippet_chars) for i, h in enumerate(hits, 1)]
        found = labelled_evidence(
            answer.question, hits, idf, self.tokenizer.tokens, query=answer.query, similarity=similarity,
            aliases=aliases,
        )
        answer.evidence, answer.evidence_confident, answer.answer_type = found.items, found.confident, found.answer_type
        answer.label = found.label
        answer.parts = [{"question": p.question, "found": bool(p.items), "answered": p.confident}
                        for p in found.parts] if len(found.parts) > 1 else []
        if found.figure is not None:
            answer.figure_page = found.figure[1]
        if not found.items:
            answer.outcome = "not_found"
            answer.label = "not_found"
            answer.text = self.not_found_text(answer.language)
            yield answer.text
            return None
        answer.text = render_labelled(found, answer.language, prompts)
        for e in found.items:
            if e.number not in answer.citations.cited:
                answer.citations.cited.append(e.number)
        for s in answer.sources:
            s.cited = s.number in answer.citations.cited
        answer.timings["first_evidence_s"] = time.perf_counter() - t0
        answer.timings.setdefault("first_text_s", answer.timings["first_evidence_s"])
        yield answer.text
        return found

    def _short_answer(self, answer: Answer, found: LabelledEvidence, standalone: str) -> Iterator[str]:
        """The words that answer, copied from the evidence by the model and cut from the source (short_answer.py):
        in bold above the evidence, their sentence highlighted. Streamed after the evidence (which must not wait
        for a model); the finished answer's text has it on top. The model reads the question as it stands alone:
        a follow-up (「宿泊を伴う場合は？」) with the words it carried (日当), or it answers something else."""
        qa, prompts = self.settings.qa, self.settings.paths.prompts_dir
        if answer.answer_type == STEPS or found.label == FIGURE:
            return
        passages = passages_of(answer.evidence, lambda n: answer.sources[n - 1].passage,
                               budget=READ_BUDGET.get(answer.language))
        try:
            result = find_short_answer(self.model, standalone, passages, answer.language, prompts,
                                       qa.short_answer_confidence(answer.language), qa.short_answer_max_tokens,
                                       self.tokenizer.tokens)
        except AssistantError as e:  # busy or failing model: the evidence already shown is the answer
            log.warning("no short answer for %r: %s", answer.question, e)
            answer.short_answer_check = {"error": str(e)}
            return
        answer.short_answer_check = result.to_dict()
        answer.timings["short_answer_s"] = result.seconds
        if result.said_none and qa.short_answer_none_abstains and found.label == ANSWERED:
            found.label = RELATED  # the model read the evidence and found no answer in it: say it may not answer
            answer.label, answer.evidence_confident = RELATED, False
            answer.text = render_labelled(found, answer.language, prompts)
            return
        shown = result.shown
        if shown is None:
            return
        top = answer.evidence[0]
        answer.short_answer_check["in_top_evidence"] = (
            top.number == shown.source and top.start <= shown.start and shown.end <= top.end)
        answer.short_answer = shown
        answer.short_answer_check["added_evidence"] = highlight_sentence(
            found, shown, answer.sources[shown.source - 1].passage)
        answer.evidence = found.items
        line = render("short-answer-shown", answer.language, prompts, span=shown.text, source=str(shown.source))
        answer.text = line + "\n\n" + render_labelled(found, answer.language, prompts)
        yield "\n\n" + line

    def _summarise(
        self, answer: Answer, hits: list[Hit], t0: float, weights: dict[str, float], cancel: threading.Event
    ) -> Iterator[str]:
        """The model's answer after the evidence, shown only where it checks out against the sources it cites."""
        qa, gen, prompts = self.settings.qa, self.settings.generation, self.settings.paths.prompts_dir
        not_found = self.not_found_text(answer.language)
        messages, kept, max_tokens, answer.prompt_tokens, screened = build_prompt(
            self.settings, self.model, hits, answer.question, answer.language, not_found
        )
        answer.screened += screened
        if not kept:  # not even one source fits beside the question: the evidence stands alone
            log.info("no source fits the context window beside %r: no summary", answer.question)
            return
        frame = render("qa-question", answer.language, prompts, context="", question=answer.question)
        words = self.tokenizer.tokens
        checker = CitationChecker(
            len(kept),
            [set(words(h.context)) for h in kept],
            words,
            qa.attribution_min_overlap,
            no_attribution=(not_found,),
            withhold_unsupported=qa.withhold_unsupported,
            attribute=qa.attribute_uncited,
            instructions=messages[0].content,
            question=frame,
            source_texts=[h.context for h in kept],
            language=answer.language,
            support=SupportCheck(
                [h.context for h in kept],
                words,
                weights,
                [(e.number, e.start, e.end) for e in answer.evidence],
                qa.support_min_share,
                qa.support_relevant_share,
            ),
        )
        report = StreamReport()
        params = GenerationParams(max_tokens, gen.temperature, tuple(gen.stop), gen.repeat_penalty, cancel, report)
        heading = "\n\n" + render("summary", answer.language, prompts) + "\n"
        raw: list[str] = []
        shown: list[str] = []

        def show(text: str) -> str:
            """Checked text as the user sees it, under its heading; the first of it is timed."""
            text = text if shown else text.lstrip()
            if not text.strip() and not shown:
                return ""
            if not shown:
                answer.timings["first_generated_s"] = time.perf_counter() - t0
                text = heading + text
            shown.append(text)
            return text

        started = None
        for piece in self.model.stream(messages, params, on_queue=self._queue_listener(answer)):
            if started is None:
                started = time.perf_counter()
                answer.timings["first_token_s"] = started - t0
            raw.append(piece)
            if text := show(checker.feed(piece)):
                yield text
        # The runtime says why it stopped and how many tokens it wrote; only a runtime that says neither is
        # re-counted. A cut-off (length) or stopped (cancelled) last sentence is never shown.
        answer.finish_reason = report.finish_reason
        if report.completion_tokens is not None:
            answer.completion_tokens = report.completion_tokens
        else:
            answer.completion_tokens = self.model.count_tokens("".join(raw)) if raw else 0
        cut = report.finish_reason in ("length", "cancelled") if report.finish_reason else (
            answer.completion_tokens >= max_tokens or answer.stopped)
        if text := show(checker.finish(truncated=cut)):
            yield text
        answer.timings["generation_s"] = time.perf_counter() - (started or time.perf_counter())
        evidence_cited = list(answer.citations.cited)
        answer.citations = checker.report
        for n in evidence_cited:
            if n not in answer.citations.cited:
                answer.citations.cited.insert(0, n)
        summary = "".join(shown).strip()
        declined = _bare(not_found) in _bare("".join(raw))
        if summary and not (declined and not checker.report.cited):
            answer.summary = summary.removeprefix(heading.strip()).strip()
            answer.text += "\n\n" + summary
        elif declined and not answer.evidence_confident:
            answer.outcome = "declined"
        for s in answer.sources:
            s.cited = s.number in answer.citations.cited

    def _notify(self, answer: Answer) -> None:
        for listener in self.listeners:
            try:
                listener(answer)
            except Exception:  # a failing listener (e.g. the usage log) must never break answering
                log.exception("answer listener %r failed", listener)


def _similarity(embedder, query_vector) -> Callable[[list[str]], list[float]]:  # noqa: ANN001
    """Cosine of the (already embedded) query with each text; the texts are embedded only when asked for."""

    def cosines(texts: list[str]) -> list[float]:
        return [float(v) for v in embedder.embed_passages(texts) @ query_vector]

    return cosines


HEADINGS = {ANSWERED: "evidence", PARTLY: "partly", RELATED: "closest", FIGURE: "figure"}


def render_labelled(found: LabelledEvidence, lang: str, prompts) -> str:  # noqa: ANN001
    """The evidence as the user reads it: the label's heading, then the evidence, part by part for a question
    that asks several things (a part with nothing found says so)."""
    values = {"page": str(found.figure[1])} if found.label == FIGURE and found.figure else {}
    out = [render(HEADINGS[found.label], lang, prompts, **values)]
    if len(found.parts) < 2:
        out += [render_evidence(e, lang) for e in found.items]
        return "\n".join(out).rstrip()
    shown: list[Evidence] = []
    for i, part in enumerate(found.parts, 1):
        out.append(f"\n**（{i}）{part.question}**" if lang == "ja" else f"\n**({i}) {part.question}**")
        new = [e for e in part.items if not any(overlaps(e, s) for s in shown)]
        if not part.items:
            out.append(render("part-not-found", lang, prompts).strip())
        elif not new:  # the same passage answers this part too
            out.append(("→ " if lang == "ja" else "→ see ") + ", ".join(f"[{e.number}]" for e in part.items))
        out += [render_evidence(e, lang) for e in new]
        shown += new
    return "\n".join(out).rstrip()


def render_evidence(e: Evidence, lang: str) -> str:
    """One evidence item as the user sees it: a sentence in quotes with its source number; a list or table as
    Markdown (its lead-in quoted), the number after it."""
    shown = e.markdown
    blocks = shown.split("\n\n")
    if len(blocks) > 1 and re.fullmatch(r"\*\*[^*\n]+\*\*", blocks[0]):  # the heading of what follows: above it
        shown = shown.partition("\n\n")[2]
        return blocks[0] + "\n" + _render_shown(shown, e.number, lang)
    return _render_shown(shown, e.number, lang)


def _render_shown(shown: str, number: int, lang: str) -> str:
    quote = "「{}」[{}]" if lang == "ja" else '"{}" [{}]'
    blocks = shown.split("\n\n")
    if not any(b.startswith("|") or is_list_item(b) for b in blocks):  # prose only: one quote
        return quote.format(("" if lang == "ja" else " ").join(blocks), number)
    head, _, rest = shown.partition("\n\n")
    # A table cannot carry the number on its last row: it goes in a line of its own after it.
    tag = f"\n\n[{number}]" if shown.rstrip().endswith("|") else f" [{number}]"
    if head.startswith("|") or is_list_item(head):
        return f"\n{shown}{tag}\n"
    return quote.format(head, number) + f"\n\n{rest}\n"  # the quoted lead-in carries the number


def _bare(text: str) -> str:
    """Lower-case NFKC text without punctuation or spaces, to recognise a fixed phrase in an answer."""
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(c for c in text if c.isalnum())
