"""What kind of answer a question asks for, and whether a sentence holds that kind of thing.

いくら / how much asks for an amount, いつ / when for a date or time, 何日 / how long for a duration, 何人 / how many
for a count, 誰・どこ / who, where for a name or place, 手順 / how do I for steps. A sentence that carries the
question's words but not the kind of answer it asks for ("the allowance is paid monthly" for "how much is the
allowance?") is a weaker answer than one that does.
"""

from __future__ import annotations

import re
import unicodedata

from assistant.core.terms import ANSWER_KIND_PHRASES  # noqa: F401  (re-exported)

AMOUNT, COUNT, TIME, NAME, STEPS = "amount", "count", "time", "name", "steps"

def _words(*alternatives: str) -> re.Pattern[str]:
    return re.compile("|".join(alternatives), re.I)

# 「どのくらいかかりますか」 asks how long; 「どのくらいの割合」「どのくらいの人数」 ask for a number.
_HOW_MUCH_OF_A_KIND = r"どのくらい(?!の[一-龥])"

QUESTION_TYPES: list[tuple[str, re.Pattern[str]]] = [
    (STEPS, _words("手順", "方法", "どうすれば", "どのように", "どうやって", "やり方", "仕方",
                   r"\bhow (?:do|can|should) (?:i|we|you)\b", r"\bhow to\b", r"\bsteps?\b", r"\bprocedure\b",
                   r"\bwhat should i do\b")),
    (AMOUNT, _words("いくら", "幾ら", "何円", "金額", "費用", "料金", "値段", "単価", "上限額", r"\bhow much\b", r"\bcost\b",
                    r"\bprice\b", r"\bamount\b", r"\bfee\b")),
    (TIME, _words("いつ", "何日", "何時", "何分", "何秒", "何週", "何か月", "何ヶ月", "何カ月", "何年", "何曜", "期間", "期限",
                  "何営業日", _HOW_MUCH_OF_A_KIND, r"\bwhen\b", r"\bhow long\b", r"\bhow often\b", r"\bwhat time\b",
                  r"\bwhat date\b", r"\bwhich day\b", r"\bdeadline\b", r"\bby when\b", r"\bhow soon\b",
                  r"\bhow many (?:days|hours|minutes|weeks|months|years|seconds)\b")),
    (COUNT, _words("何人", "何回", "何個", "何件", "何台", "何枚", "何か所", "何箇所", "何本", "何名", "何文字", "何桁", "何割",
                   "何パーセント", "何%", "いくつ", "割合", "比率", r"(?:どの|どれ)くらいの[一-龥]", r"\bhow many\b",
                   r"\bnumber of\b", r"\bwhat percentage\b", r"\bhow far\b", r"\bhow big\b", r"\bhow tall\b")),
    (NAME, _words("誰", "だれ", "どこ", "どちら", "どの", "何という", "名前", "名称", r"\bwho\b", r"\bwhom\b", r"\bwhere\b",
                  r"\bwhich\b", r"\bwhat is the name\b", r"\bcalled\b",
                  r"\bwhat (?:client|tool|system|software|app|company|team|department)\b")),
]

_NUMBER = r"[0-9０-９〇一二三四五六七八九十百千万億]"
SENTENCE_FEATURES: dict[str, re.Pattern[str]] = {
    AMOUNT: re.compile(
        _NUMBER + r"[0-9,.０-９，．万千億兆]*\s*(?:円|ドル|米ドル|ユーロ|元|ポンド|yen|dollars?|usd|jpy|eur|euros?)"
        r"|[$€¥£]\s*\d|(?:円|ドル)相当", re.I),
    TIME: re.compile(
        _NUMBER + r"+\s*(?:日|時間|時|分|秒|週間|週|か月|ヶ月|カ月|箇月|年|営業日|days?|hours?|minutes?|seconds?|weeks?"
        r"|months?|years?|business days?|a\.?m\.?|p\.?m\.?)|\d{1,2}:\d{2}|毎(?:日|週|月|年)|曜日|翌|前日|当日|まで"
        r"|\b(?:1[0-9]|20)\d\d(?:s|年)?\b|\bcentury\b|\bseason\b|\bsummer\b|\bwinter\b|\bspring\b|\bautumn\b"
        r"|\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|daily|weekly|monthly|yearly|annually"
        r"|january|february|march|april|may|june|july|august|september|october|november|december)\b", re.I),
    COUNT: re.compile(r"[0-9０-９]|[一二三四五六七八九十百千万]+(?:人|回|個|件|台|枚|か所|箇所|本|名|つ)"
                      r"|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|hundred)\b", re.I),
    NAME: re.compile(r"[ァ-ヺー]{3,}|「[^」]+」|\"[^\"]+\"|\b[A-Z][a-z]*[A-Z]\w*\b|\b[A-Z]{2,}\b|(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+"
                     r"|(?:\bextension|\bext\.|内線|外線|電話)\s*[0-9０-９][0-9０-９-]*"  # "which extension": a number
                     r"|[一-龥]{2,}(?:部|課|室|係|センター|窓口|棟|階|館)|\b(?:building|floor|room|lot|office|desk|department)\b"),
    # A step, or a rule that says what to do: 「…を申請する。」「…申し立てることができる。」 end in a verb's plain form.
    STEPS: re.compile(r"^\s*(?:[0-9０-９]{1,2}[.)．、]|[-•・●■①-⑳])|ください|して下さい|します。$|[うくすつぬむるぐぶ]。\s*$"
                      r"|\b(?:click|select|open|press"
                      r"|enter|go to|choose|call|restart|sign in|log in|type|see|contact|try|report|ask|use|send|wait)\b", re.I | re.M),
}


# A yes/no question (「…費用を…から減じることはできますか」 "Can I claim the cost of…?") names a cost without asking for
# an amount: a noun alone (費用, 金額, cost) gives the kind only when the question asks what or how much.
_YES_NO = re.compile(r"(?:できます|あります|います|られます|必要です|可能です|よいです|いいです|なります|ません|ます)か[?？]?\s*$"
                     r"|^\s*(?:can|could|may|is|are|do|does|should|will|must)\b", re.I)
_ASKS = re.compile(r"何|なに|いくら|幾ら|いくつ|どの|どれ|どこ|どう|どんな|いつ|誰|だれ|教えて|示して|ください|\?$"
                   r"|\b(?:what|which|how|when|where|who)\b", re.I)
_NOUN_ONLY = {AMOUNT: re.compile(r"いくら|幾ら|何円|\bhow much\b", re.I)}


def question_type(question: str) -> str | None:
    """The kind of answer asked for; None when the question does not say (what is, why, explain...)."""
    text = unicodedata.normalize("NFKC", question)
    yes_no = bool(_YES_NO.search(text)) and not _ASKS.search(text.rstrip("?？ "))
    for kind, pattern in QUESTION_TYPES:
        if pattern.search(text):
            if yes_no and kind in _NOUN_ONLY and not _NOUN_ONLY[kind].search(text):
                continue
            return kind
    return None


def has_type(sentence: str, kind: str | None) -> bool:
    """Whether the sentence holds an answer of that kind (always true when the question asks for no kind)."""
    if kind is None:
        return True
    return bool(SENTENCE_FEATURES[kind].search(sentence))
