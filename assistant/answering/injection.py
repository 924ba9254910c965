"""Documents are data, not instructions: instruction-like sentences are taken out of sources before the
model reads them.

The prompt already tells the model to ignore instructions inside sources, but a small model follows the
last imperative it read. So a second, model-independent layer removes sentences that address the assistant
("ignore the previous instructions", "reply only with", 「以前の指示を無視して」...) from the context and
reports them; the user still sees the original passage in the sources list. Pattern lists never catch
everything; they catch the common forms, and the prompt rule covers the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.core.sentences import split_sentences

_EN = [
    r"(?<!not )(?<!never )(?<!n't )\b(ignore|disregard|forget|override|bypass)\s+(all\s+|any\s+)?(of\s+)?"
    r"(the\s+|your\s+|my\s+|these\s+|those\s+)?(previous|prior|above|earlier|preceding|original|system|existing)?"
    r"\s*(instructions?|rules|prompts?|guidelines|directives?)\b",
    r"\b(new|updated|real|actual) (system )?(instructions?|rules?)\s*:",
    r"\bsystem prompt\b",
    r"\byou are (now|no longer)\b",
    r"\b(from now on|henceforth),? (you|the assistant)\b",
    r"\b(assistant|ai|chatbot|language model|llm)s?\b[^.!?\n]{0,40}\b(must|should|shall|will) (now )?"
    r"(answer|reply|respond|say|tell|output|print|reveal|ignore)\b",
    r"\b(answer|reply|respond|say|output)\b[^.!?\n]{0,20}\bonly with\b",
    r"\b(always|only) (answer|reply|respond)\b",
    r"\bdo not (tell|inform) the user\b",
]
_JA = [
    r"(以前|前|上記|これまで|今まで|先|元)の(全ての|すべての)?(指示|命令|ルール|規則|設定|プロンプト)",
    r"(指示|命令|ルール|規則|制約)を(すべて|全て)?(無視|忘れ|破棄|上書き)",
    r"システムプロンプト",
    r"(あなた|アシスタント|AI|チャットボット)(は|に)(今から|これから|以後|今後)",
    r"(とだけ|のみで|だけで)(答え|回答|返答|応答|出力)",
    r"(アシスタント|AI|チャットボット)(は|が)[^。\n]{0,30}(答え|回答|出力|伝え)(なさい|ること|ろ|てください)",
]
PATTERN = re.compile("|".join(f"(?:{p})" for p in _EN + _JA), re.IGNORECASE)


@dataclass(frozen=True)
class Finding:
    source: int
    sentence: str


def screen(text: str, source: int = 0) -> tuple[str, list[Finding]]:
    """The text without instruction-like sentences, and what was removed."""
    if not PATTERN.search(text):
        return text, []
    kept: list[str] = []
    found: list[Finding] = []
    for sentence in split_sentences(text):
        if PATTERN.search(sentence):
            found.append(Finding(source, sentence.strip()))
            kept.append(sentence[len(sentence.rstrip()) :])  # keep the line structure
        else:
            kept.append(sentence)
    return "".join(kept), found
