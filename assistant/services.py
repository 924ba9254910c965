"""The assistant as one long-running process sees it: the long-lived objects, built once, and the calls on them.

`Assistant` owns the live knowledge base (it follows the admin's ingestions without restart), the embedder,
the chat model, the usage log and the user directory (identity is looked up per request, so a revoked group
applies to the next question). The CLI and the web app call these methods and render what they return; they
never build a searcher or a model themselves. Tests hand in their own model or embedder.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from assistant.analytics.usage import UsageLog, UsageRecord, UsedSource
from assistant.answering.conversation import history, recent
from assistant.answering.conversations import ConversationStore, exchange_of
from assistant.answering.records import Answer, AnswerStream, Turn
from assistant.answering.service import QAService
from assistant.core.config import Settings
from assistant.core.faults import arm
from assistant.core.identity import Principal, UserDirectory, require_principal
from assistant.kb import DocumentRecord, KnowledgeBase, LiveKnowledgeBase
from assistant.retrieval import Hit, Searcher, build_searcher

if TYPE_CHECKING:
    from assistant.drafting.service import DraftingService
    from assistant.embeddings import BaseEmbedder
    from assistant.llm import ChatModel

log = logging.getLogger(__name__)


class Assistant:
    def __init__(
        self,
        settings: Settings,
        *,
        model: ChatModel | None = None,
        embedder: BaseEmbedder | None = None,
        usage: UsageLog | None = None,
    ):
        self.settings = settings
        arm(settings.faults.crash_at)  # tests only: a named crash point (core/faults.py)
        self._model = model
        self._embedder = embedder
        self._qa: QAService | None = None
        self._drafting: DraftingService | None = None
        self._conversations: ConversationStore | None = None
        self.users = UserDirectory(settings.paths.users_db, settings.access.users, settings.access.api_keys)
        self.kb: LiveKnowledgeBase[Searcher] = LiveKnowledgeBase(
            settings.paths.kb_dir, self._searcher_for, settings.ingest.keep_generations
        )
        self.usage = usage if usage is not None else (UsageLog(settings.paths.usage_db, settings.usage)
                                                      if settings.usage.enabled else None)

    # --- long-lived parts, loaded on first use -----------------------------------------------------------
    @property
    def embedder(self) -> BaseEmbedder:
        if self._embedder is None:
            from assistant.embeddings import load_embedder

            self._embedder = load_embedder(self.settings.embedding)
        return self._embedder

    @property
    def model(self) -> ChatModel:
        if self._model is None:
            from assistant.llm import load_chat_model

            self._model = load_chat_model(self.settings.generation, self.settings.paths.data_dir / "models")
        return self._model

    @property
    def qa(self) -> QAService:
        if self._qa is None:
            self._qa = QAService(self.settings, self.kb, self.model)
            if self.usage is not None:
                self._qa.listeners.append(lambda answer: self.usage.record(usage_record(answer)))  # type: ignore[union-attr]
        return self._qa

    @property
    def drafting(self) -> DraftingService:
        if self._drafting is None:
            from assistant.drafting.service import DraftingService

            self._drafting = DraftingService(self.settings, self.kb, model=lambda: self.model)
        return self._drafting

    @property
    def conversations(self) -> ConversationStore:
        """Each user's saved conversations (data/conversations.sqlite)."""
        if self._conversations is None:
            self._conversations = ConversationStore(self.settings.paths.conversations_db)
        return self._conversations

    def follow_up_history(self, turns: Sequence[Turn]) -> list[Turn]:
        """The earlier turns a new question is understood from (the last `qa.history_turns`)."""
        return recent(turns, self.settings)

    def history_from_messages(self, pairs: Sequence[tuple[str, str]]) -> list[Turn]:
        """Earlier (question, shown answer) pairs of an API client, read as the chat reads its own turns."""
        return history(pairs, self.settings)

    def keep(self, user: str, conversation_id: str, answer: Answer, shown: str | None = None) -> None:
        """Add an answered question to one of `user`'s conversations (`shown`: the text seen, if cut short)."""
        self.conversations.append(user, conversation_id, exchange_of(answer, shown))

    def _searcher_for(self, kb: KnowledgeBase) -> Searcher:
        r = self.settings.retrieval
        return build_searcher(kb, self.embedder, r, self.settings.embedding.threads)

    # --- identity ----------------------------------------------------------------------------------------
    def principal(self, user: str) -> Principal:
        """The named user as the directory says now (an unknown user is refused)."""
        return self.users.principal(user)

    # --- the calls ---------------------------------------------------------------------------------------
    def ask(self, question: str, *, principal: Principal, history: Sequence[Turn] = ()) -> AnswerStream:
        """Answer as `principal` (refused without one); iterate the stream for the text, close it to stop."""
        return self.qa.ask(question, principal=require_principal(principal), history=history)

    def search(
        self,
        query: str,
        k: int | None = None,
        *,
        principal: Principal,
        doc_ids: Sequence[int] | None = None,
        tags: Sequence[str] | None = None,
        mode: str = "hybrid",
    ) -> list[Hit]:
        principal = require_principal(principal)
        with self.kb.acquire() as searcher:
            return searcher.search(query, k, principal=principal, doc_ids=doc_ids, tags=tags, mode=mode)

    def examples(self, principal: Principal, lang: str, n: int = 4) -> list[str]:
        """Questions to offer in an empty chat, from the headings of the documents `principal` may read."""
        return self.qa.examples(principal, lang, n)

    def feedback(self, answer_id: str, rating: str | None, comment: str | None = None) -> None:
        if self.usage is None:
            from assistant.core.errors import AssistantError

            raise AssistantError("the usage log is off ([usage] enabled = false): feedback has nowhere to go")
        self.usage.feedback(answer_id, rating, comment)

    def find_documents(self, ref: str) -> list[DocumentRecord]:
        """Documents matching an id, a path or a file name, in the live generation."""
        with self.kb.acquire_kb() as kb:
            return kb.find_documents(ref)

    def document_ids(self, refs: Sequence[str]) -> list[int]:
        """The ids of the documents each reference names (id, path or file name); an unknown one is an error."""
        from assistant.core.errors import AssistantError

        ids: list[int] = []
        for ref in refs:
            found = self.find_documents(ref)
            if not found:
                raise AssistantError(f"no document matches '{ref}' (see `assistant docs list`)")
            ids += [d.id for d in found if d.id is not None]
        return ids

    @property
    def has_documents(self) -> bool:
        with self.kb.acquire_kb() as kb:
            return kb.exists and kb.counts()["documents"] > 0

    def __enter__(self) -> Assistant:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Let the usage log finish writing and give up the knowledge base's lease."""
        if self.usage is not None:
            self.usage.close()
        self.kb.close()


def usage_record(answer: Answer) -> UsageRecord:
    """An answer as the usage log keeps it."""
    return UsageRecord(
        id=answer.id,
        created=answer.created,
        kind="answer",
        user=answer.user,
        question=answer.question,
        query=answer.query,
        language=answer.language,
        outcome=answer.outcome,
        abstained=answer.abstained,
        text=answer.text,
        sources=[UsedSource(s.number, s.file, s.page, s.score, s.cited, s.snippet) for s in answer.sources],
        cited=list(answer.citations.cited),
        relevance=answer.relevance,
        withheld=len(answer.citations.withheld),
        screened=len(answer.screened),
        prompt_tokens=answer.prompt_tokens,
        completion_tokens=answer.completion_tokens,
        timings=answer.timings,
        backend=answer.backend,
        model=answer.model,
        short_answer=_short_answer_log(answer),
    )


def _short_answer_log(answer: Answer) -> dict:
    check = answer.short_answer_check
    if not check:
        return {}
    shown = answer.short_answer
    out = {"shown": shown is not None, "said_none": bool(check.get("said_none")),
           "rejected": check.get("rejected", "") or check.get("error", ""), "confidence": check.get("confidence"),
           "model_text": check.get("model_text", ""), "passages": check.get("passages", []),
           "asked": check.get("asked", "")}
    if shown is not None:
        out |= {"text": shown.text, "source": shown.source, "start": shown.start, "end": shown.end}
    return out
