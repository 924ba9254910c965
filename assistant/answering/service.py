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
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from assistant.answering.citations import CitationChecker
from assistant.answering.condensing import condense
from assistant.answering.context_budget import build_prompt
from assistant.answering.records import Answer, AnswerStream, Source, Turn
from assistant.answering.relevance import Relevance, assess, term_idf
from assistant.answering.sentences import split_sentences
from assistant.core.config import Settings
from assistant.core.errors import AssistantError
from assistant.core.identity import Principal, require_principal
from assistant.core.language import language_of
from assistant.kb.keywords import get_tokenizer
from assistant.llm import ChatModel, GenerationParams
from assistant.llm.prompts import render
from assistant.retrieval import Hit, Searcher

log = logging.getLogger(__name__)


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

    # --- public ------------------------------------------------------------------------------------
    def ask(self, question: str, *, principal: Principal, history: Sequence[Turn] = ()) -> AnswerStream:
        """Answer as `principal`: only documents it may read are searched. Refused without one."""
        principal = require_principal(principal)
        question = question.strip()
        if not question:
            raise AssistantError("the question is empty")
        answer = Answer(question=question, user=principal.name, language=language_of(question))
        answer.model, answer.backend = self.model.name, self.settings.generation.backend
        return AnswerStream(answer, self._run(answer, principal, history))

    def not_found_text(self, lang: str) -> str:
        return render("not-found", lang, self.settings.paths.prompts_dir)

    def condense(self, question: str, history: Sequence[Turn]) -> str:
        return condense(question, history, self.settings, self.model, self.tokenizer.tokens)

    # --- steps -------------------------------------------------------------------------------------
    def _run(self, answer: Answer, principal: Principal, history: Sequence[Turn]) -> Iterator[str]:
        qa = self.settings.qa
        t0 = time.perf_counter()
        try:
            answer.query = self.condense(answer.question, history)
            t1 = time.perf_counter()
            with self.searchers.acquire() as searcher:
                hits = searcher.search(answer.query, qa.sources, principal=principal)
                t2 = time.perf_counter()
                relevance = assess(searcher, answer.query, hits, qa.abstain_dense_weight, qa.abstain_threshold)
                idf = term_idf(searcher, self.tokenizer.tokens(answer.query))
            answer.timings |= {"condense_s": t1 - t0, "retrieval_s": t2 - t1}
            answer.relevance = relevance.as_dict()
            if not hits or (qa.abstain and not relevance.answerable):
                yield from self._abstain(answer, hits, relevance)
            else:
                yield from self._generate(answer, hits, idf, t0)
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

    def _abstain(self, answer: Answer, hits: list[Hit], relevance: Relevance) -> Iterator[str]:
        answer.outcome = "not_found" if hits else "no_documents"
        answer.sources = [Source.from_hit(i, h, self.settings.qa.snippet_chars) for i, h in enumerate(hits, 1)]
        answer.text = self.not_found_text(answer.language)
        log.info("abstained on %r (%s)", answer.query, relevance)
        yield answer.text

    def _queue_listener(self, answer: Answer) -> Callable[[int], None] | None:
        if not self.queue_listeners:
            return None
        return lambda ahead: [listener(answer, ahead) for listener in self.queue_listeners] and None

    def _generate(self, answer: Answer, hits: list[Hit], idf: dict[str, float], t0: float) -> Iterator[str]:
        qa, gen = self.settings.qa, self.settings.generation
        not_found = self.not_found_text(answer.language)
        messages, kept, max_tokens, answer.prompt_tokens, answer.screened = build_prompt(
            self.settings, self.model, hits, answer.question, answer.language, not_found
        )
        frame = render(
            "qa-question", answer.language, self.settings.paths.prompts_dir, context="", question=answer.question
        )
        answer.sources = [Source.from_hit(i, h, qa.snippet_chars) for i, h in enumerate(kept, 1)]
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
        )
        params = GenerationParams(max_tokens, gen.temperature, tuple(gen.stop), gen.repeat_penalty)
        raw: list[str] = []
        shown: list[str] = []

        def show(text: str) -> str:
            """Checked text as the user sees it: no leading space; the first of it is timed."""
            text = text if shown else text.lstrip()
            if text:
                answer.timings.setdefault("first_text_s", time.perf_counter() - t0)
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
        if text := show(checker.finish()):
            yield text
        answer.timings["generation_s"] = time.perf_counter() - (started or time.perf_counter())
        answer.completion_tokens = self.model.count_tokens("".join(raw)) if raw else 0
        answer.text = "".join(shown).strip()
        answer.citations = checker.report
        declined = _bare(not_found) in _bare("".join(raw))
        if not answer.text:
            quote = self._quote(answer, kept, idf) if qa.quote_fallback and not declined else None
            if quote is not None:
                answer.text, answer.outcome = quote
            else:
                answer.text, answer.outcome = not_found, "declined"
            answer.timings.setdefault("first_text_s", time.perf_counter() - t0)
            yield answer.text
        elif declined and not checker.report.cited:
            answer.outcome = "declined"
        for s in answer.sources:
            s.cited = s.number in checker.report.cited

    def _quote(self, answer: Answer, hits: list[Hit], idf: dict[str, float]) -> tuple[str, str] | None:
        """The source sentence holding most of the question's rare words, quoted with its number."""
        best: tuple[float, int, str] | None = None
        for n, hit in enumerate(hits, start=1):
            # Lines wrapped inside a paragraph are one sentence; blank lines and list items stay breaks.
            text = re.sub(r"(?<=[^\n])\n(?=[^\n\-*•0-9])", " ", hit.context)
            for sentence in split_sentences(text):
                sentence = " ".join(sentence.split())
                if len(sentence) < 8:
                    continue
                words = set(self.tokenizer.tokens(sentence))
                score = sum(w for t, w in idf.items() if t in words)
                if score > 0 and (best is None or score > best[0]):
                    best = (score, n, sentence)
        if best is None:
            return None
        _, n, sentence = best
        text = render("quote", answer.language, self.settings.paths.prompts_dir, quote=sentence)
        answer.citations.cited.append(n)
        return f"{text}{'' if answer.language == 'ja' else ' '}[{n}]", "quoted"

    def _notify(self, answer: Answer) -> None:
        for listener in self.listeners:
            try:
                listener(answer)
            except Exception:  # a failing listener (e.g. the usage log) must never break answering
                log.exception("answer listener %r failed", listener)


def _bare(text: str) -> str:
    """Lower-case NFKC text without punctuation or spaces, to recognise a fixed phrase in an answer."""
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(c for c in text if c.isalnum())
