"""The inquiry workflow: condense a follow-up → retrieve as the user → decide whether the manuals cover it →
fit the sources to the context window → stream the answer → check its citations.

The CLI and the web UI call `QAService.ask` and render what it yields; nothing here prints or knows who is
on the other end. Every finished answer is handed to the registered listeners (the usage log).
"""

from __future__ import annotations

import logging
import re
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from assistant.citations import CitationChecker, CitationReport
from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.injection import Finding, screen
from assistant.llm import ChatMessage, ChatModel, GenerationParams
from assistant.prompts import language_of, render
from assistant.relevance import Relevance, assess, term_idf
from assistant.retrieval import Hit, Searcher, fit_to_budget
from assistant.sentences import split_sentences

log = logging.getLogger(__name__)

# Chat-template tokens around each message (role markers, separators); generous for the templates in use.
TEMPLATE_TOKENS_PER_MESSAGE = 8
MIN_CONTEXT_TOKENS = 128
MIN_ANSWER_TOKENS = 64
CONDENSE_MAX_TOKENS = 64
HISTORY_ANSWER_CHARS = 300


@dataclass
class Source:
    number: int
    file: str
    path: str
    title: str | None
    page: int | None
    page_end: int | None
    section: str
    snippet: str
    score: float
    chunk_id: str
    doc_id: int
    cited: bool = False

    @property
    def pages(self) -> str:
        if self.page is None:
            return ""
        return f"p.{self.page}" if self.page == self.page_end else f"pp.{self.page}-{self.page_end}"

    @property
    def label(self) -> str:
        return f"{self.file}, {self.pages}" if self.pages else self.file

    @classmethod
    def from_hit(cls, number: int, hit: Hit, snippet_chars: int) -> Source:
        text = " ".join(hit.text.split())
        return cls(
            number=number,
            file=hit.name,
            path=hit.source,
            title=hit.title,
            page=hit.page_start if hit.paginated else None,
            page_end=hit.page_end if hit.paginated else None,
            section=" > ".join(hit.heading_path[-2:]),
            snippet=text[:snippet_chars] + ("…" if len(text) > snippet_chars else ""),
            score=round(hit.score, 4),
            chunk_id=hit.chunk_id,
            doc_id=hit.doc_id,
        )


@dataclass(frozen=True)
class Turn:
    question: str
    answer: str


@dataclass
class Answer:
    question: str
    user: str | None
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    query: str = ""
    language: str = "en"
    text: str = ""
    sources: list[Source] = field(default_factory=list)
    # answered | quoted (nothing the model wrote was traceable to a source: the closest source sentence is quoted)
    # | not_found (retrieval found nothing close) | declined (the model said so) | no_documents
    outcome: str = "answered"
    relevance: dict[str, Any] = field(default_factory=dict)
    citations: CitationReport = field(default_factory=CitationReport)
    screened: list[Finding] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    model: str = ""
    backend: str = ""
    error: str | None = None

    @property
    def abstained(self) -> bool:
        return self.outcome not in ("answered", "quoted")

    @property
    def cited_sources(self) -> list[Source]:
        return [s for s in self.sources if s.cited]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"abstained": self.abstained}


class AnswerStream:
    """Iterate for the answer's text as it is produced; `answer` is complete once iteration has ended."""

    def __init__(self, answer: Answer, pieces: Iterator[str]):
        self.answer = answer
        self._pieces = pieces

    def __iter__(self) -> Iterator[str]:
        yield from self._pieces

    def result(self) -> Answer:
        for _ in self._pieces:
            pass
        return self.answer


class QAService:
    def __init__(self, settings: Settings, searcher: Searcher, model: ChatModel):
        self.settings = settings
        self.searcher = searcher
        self.model = model
        self.listeners: list[Callable[[Answer], None]] = []
        self.closers: list[Callable[[], None]] = []

    def close(self) -> None:
        """Let the listeners finish (the usage log writes in the background)."""
        for close in self.closers:
            close()

    # --- public ------------------------------------------------------------------------------------
    def ask(self, question: str, *, user: str | None = None, history: Sequence[Turn] = ()) -> AnswerStream:
        """Answer as `user` (their access groups; None = every document, the admin's own view)."""
        question = question.strip()
        if not question:
            raise AssistantError("the question is empty")
        groups = self.settings.access.groups_for(user)
        answer = Answer(question=question, user=user, language=language_of(question))
        answer.model, answer.backend = self.model.name, self.settings.generation.backend
        return AnswerStream(answer, self._run(answer, groups, history))

    def not_found_text(self, lang: str) -> str:
        return render("not-found", lang, self.settings.paths.prompts_dir)

    # --- steps -------------------------------------------------------------------------------------
    def _run(self, answer: Answer, groups: list[str] | None, history: Sequence[Turn]) -> Iterator[str]:
        qa = self.settings.qa
        t0 = time.perf_counter()
        try:
            answer.query = self.condense(answer.question, history)
            t1 = time.perf_counter()
            hits = self.searcher.search(answer.query, qa.sources, groups=groups)
            t2 = time.perf_counter()
            answer.timings |= {"condense_s": t1 - t0, "retrieval_s": t2 - t1}
            relevance = assess(self.searcher, answer.query, hits, qa.abstain_dense_weight, qa.abstain_threshold)
            answer.relevance = relevance.as_dict()
            if not hits or (qa.abstain and not relevance.answerable):
                yield from self._abstain(answer, hits, relevance)
            else:
                yield from self._generate(answer, hits, t0)
        except Exception as e:
            answer.error = f"{type(e).__name__}: {e}"
            raise
        finally:
            answer.timings["total_s"] = time.perf_counter() - t0
            answer.timings = {k: round(v, 4) for k, v in answer.timings.items()}
            if answer.error is None:
                self._notify(answer)

    def condense(self, question: str, history: Sequence[Turn]) -> str:
        """A standalone retrieval query for a follow-up. A small model may drop the follow-up's own words or
        return it unchanged; when the rewrite keeps less than half of the follow-up's words or adds none from
        the conversation, the previous question plus the follow-up is used instead, which retrieval handles well."""
        qa = self.settings.qa
        turns = list(history)[-qa.history_turns :] if qa.history_turns else []
        if not turns or not qa.condense:
            return question
        lang = language_of(question)
        who = ("User", "Assistant") if lang == "en" else ("ユーザー", "アシスタント")
        lines = []
        for t in turns:
            lines += [f"{who[0]}: {t.question}", f"{who[1]}: {_shorten(t.answer, HISTORY_ANSWER_CHARS)}"]
        prompt = render("condense", lang, self.settings.paths.prompts_dir, history="\n".join(lines), question=question)
        params = GenerationParams(max_tokens=CONDENSE_MAX_TOKENS, temperature=0.0, stop=("\n",))
        rewritten = _first_line(self.model.generate([ChatMessage("user", prompt)], params))
        words = self.searcher.tokenizer.tokens
        own, new = set(words(question)), set(words(rewritten))
        from_history = (new - own) & set(words("\n".join(lines)))
        if rewritten and len(rewritten) <= 4 * len(question) + 200 and len(own & new) >= len(own) / 2 and from_history:
            return rewritten
        return f"{turns[-1].question} {question}"

    def _abstain(self, answer: Answer, hits: list[Hit], relevance: Relevance) -> Iterator[str]:
        answer.outcome = "not_found" if hits else "no_documents"
        answer.sources = [Source.from_hit(i, h, self.settings.qa.snippet_chars) for i, h in enumerate(hits, 1)]
        answer.text = self.not_found_text(answer.language)
        log.info("abstained on %r (%s)", answer.query, relevance)
        yield answer.text

    def _messages(self, answer: Answer, hits: list[Hit], frame: str) -> tuple[list[ChatMessage], list[Hit], int]:
        """System rules + (sources, question), with the sources trimmed by rank to what the window holds.
        `frame` is the user message without sources."""
        gen, lang, prompts = self.settings.generation, answer.language, self.settings.paths.prompts_dir
        system = render("qa", lang, prompts, not_found=self.not_found_text(lang))
        count = self.model.count_tokens
        system_tokens = count(system)
        fixed = system_tokens + count(frame) + 2 * TEMPLATE_TOKENS_PER_MESSAGE
        window = self.model.context_window
        max_tokens = gen.max_tokens
        if window - fixed - max_tokens < MIN_CONTEXT_TOKENS:
            max_tokens = max(MIN_ANSWER_TOKENS, window - fixed - MIN_CONTEXT_TOKENS)
        budget = min(self.settings.retrieval.context_tokens, window - fixed - max_tokens)
        if budget < MIN_CONTEXT_TOKENS:
            raise AssistantError(
                f"the question is too long for the model's context window ({window} tokens): "
                "shorten it or configure a model with a larger generation.context_window"
            )
        kept = _fit_sources(hits, budget, count)
        blocks = []
        for i, hit in enumerate(kept, start=1):
            text = hit.context
            if self.settings.qa.screen_injections:
                text, found = screen(text, i)
                answer.screened += found
                hit.context = text  # what the model reads is also all a quote may come from
            blocks.append(f"[{i}] {_source_header(hit)}\n{text.strip()}")
        user = render("qa-question", lang, prompts, context="\n\n".join(blocks), question=answer.question)
        answer.prompt_tokens = system_tokens + count(user) + 2 * TEMPLATE_TOKENS_PER_MESSAGE
        return [ChatMessage("system", system), ChatMessage("user", user)], kept, max_tokens

    def _generate(self, answer: Answer, hits: list[Hit], t0: float) -> Iterator[str]:
        qa, gen = self.settings.qa, self.settings.generation
        frame = render(
            "qa-question", answer.language, self.settings.paths.prompts_dir, context="", question=answer.question
        )
        messages, kept, max_tokens = self._messages(answer, hits, frame)
        answer.sources = [Source.from_hit(i, h, qa.snippet_chars) for i, h in enumerate(kept, 1)]
        words = self.searcher.tokenizer.tokens
        not_found = self.not_found_text(answer.language)
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
        for piece in self.model.stream(messages, params):
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
            quote = self._quote(answer, kept) if qa.quote_fallback and not declined else None
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

    def _quote(self, answer: Answer, hits: list[Hit]) -> tuple[str, str] | None:
        """The source sentence holding most of the question's rare words, quoted with its number."""
        idf = term_idf(self.searcher, self.searcher.tokenizer.tokens(answer.query))
        best: tuple[float, int, str] | None = None
        for n, hit in enumerate(hits, start=1):
            # Lines wrapped inside a paragraph are one sentence; blank lines and list items stay breaks.
            text = re.sub(r"(?<=[^\n])\n(?=[^\n\-*•0-9])", " ", hit.context)
            for sentence in split_sentences(text):
                sentence = " ".join(sentence.split())
                if len(sentence) < 8:
                    continue
                words = set(self.searcher.tokenizer.tokens(sentence))
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


def _fit_sources(hits: list[Hit], budget: int, count: Callable[[str], int]) -> list[Hit]:
    """Sources in rank order within the budget; the header line of each source is counted too."""
    overhead = sum(count(f"[{i}] {_source_header(h)}\n") + 2 for i, h in enumerate(hits, start=1))
    return fit_to_budget(hits, budget - overhead, count)


def _source_header(hit: Hit) -> str:
    parts = [hit.name]
    if hit.pages:
        parts.append(hit.pages)
    if hit.heading_path:
        parts.append(" > ".join(hit.heading_path[-2:]))
    return " — ".join(parts)


def _shorten(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n] + "…"


def _first_line(text: str) -> str:
    line = next((ln for ln in text.strip().splitlines() if ln.strip()), "")
    line = re.sub(r"^(standalone question|question|独立した質問|質問)\s*[:：]\s*", "", line.strip(), flags=re.I)
    return line.strip().strip('"「」')


def _bare(text: str) -> str:
    """Lower-case NFKC text without punctuation or spaces, to recognise a fixed phrase in an answer."""
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(c for c in text if c.isalnum())
