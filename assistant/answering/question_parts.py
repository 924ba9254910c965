"""What shape of answer a question wants, and the parts of a question that asks several things.

- A factoid question (いくら, いつ, how many) is answered by one sentence; an explanation, reason, comparison,
  enumeration or procedure (「説明してください」「なぜ」「〜と〜の違い」「どのようなものが」"why", "explain") by a
  passage: the paragraph around the best sentences (answering/passages.py).
- A multi-part question is split so that each part gets its own evidence and its own "not found":
  two questions in one (「…ありますか？…どうですか？」), 「AとBはそれぞれ…」, 「AとBの違い」, 「…の期限と、…の内容を」,
  「…とは何で、いつ…」, "What is X and when…?", "the difference between A and B".
Written by hand: the rules are about Japanese and English question wording, which no kept library splits.
"""

from __future__ import annotations

import re
import unicodedata

EXPLAIN, COMPARE, ENUMERATE, PROCEDURE = "explain", "compare", "enumerate", "procedure"

_KINDS: list[tuple[str, re.Pattern[str]]] = [
    (COMPARE, re.compile(r"違い|比較|相違|差異|異なる|使い分け|\bdiffer|\bcompar|\bversus\b|\bvs\.?\s", re.I)),
    (PROCEDURE, re.compile(r"手順|方法|やり方|どうすれば|どうやって"
                           r"|どのように(?:行|す|実施|申請|算出|計算|管理|測定|確認)"
                           r"|\bhow (?:do|can|should|to)\b|\bsteps?\b|\bprocedure\b", re.I)),
    (ENUMERATE, re.compile(r"一覧|挙げ|列挙|どのような(?:もの|種類|項目)|どんな(?:もの|種類)|何がありますか"
                           r"|何を(?:確認|点検|準備|用意|持参|提出|記載|記入|チェック)"
                           r"|種類|いくつかの|\blist\b|\bwhat are the\b|\bwhich (?:\w+ )?(?:are|were)\b", re.I)),
    (EXPLAIN, re.compile(r"説明|とは|なぜ|理由|背景|目的|意味|概要|仕組み|考え方|どのような|どういう|どんな|どのように"
                         r"|\bwhy\b|\bexplain\b|\bdescribe\b|\bwhat (?:is|are|does)\b|\bpurpose\b"
                         r"|\bmean\b|\bhow does\b", re.I)),
]


def passage_kind(question: str) -> str | None:
    """explain | compare | enumerate | procedure for a question a passage answers; None for a factoid."""
    text = unicodedata.normalize("NFKC", question)
    for kind, pattern in _KINDS:
        if pattern.search(text):
            return kind
    return None


_ASKS = r"(?:いつ|どこ|誰|だれ|何|なに|いくら|いくつ|どの|どう|どれ|どちら|どんな)"
_ASKED = re.compile(_ASKS)
_TAIL = re.compile(
    r"(?:を|について|は|に関して)?(?:それぞれ)?(?:教えて|説明|挙げ|示し|ください|ですか|ますか|でしょうか).*$"
)
_PAIR = re.compile(
    r"(?P<x>[^、。？?]+?)と(?!して|する|なる|いう|共に|とも|答え|回答|言|考え|思)(?P<y>[^、。？?と]+?)(?P<p>は|の|を|が|で)(?P<rest>[^、。]*?(?:それぞれ|違い|差|使い分け|比較).*)$"
)
_PAIR_TOPIC = re.compile(
    r"(?P<x>[^、。？?]+?)と(?!して|する|なる|いう|共に|とも)(?P<y>[^、。？?と]{2,}?)(?P<p>は|を|が|で|に)(?P<rest>それぞれ.*)$"
)
_COMPARE_WORD = re.compile(r"(?:の)?(?:違い|差異|差|使い分け|比較).*$")
_EN_PAIR = re.compile(r"\b(?:difference|differences|compare|comparison)\s+(?:between|of)\s+(?P<x>.+?)\s+and\s+"
                      r"(?P<y>.+?)[?.]?$", re.I)
_EN_AND = re.compile(r",?\s+and\s+(?=(?:what|when|where|who|whom|which|why|how|is|are|does|do|can)\b)", re.I)
_SUBJECT = re.compile(r"^(?P<s>.+?)(?:とは|は)")


def split_parts(question: str) -> list[str]:
    """The parts of a multi-part question, each as a question of its own; [question] when it asks one thing."""
    q = unicodedata.normalize("NFKC", question).strip()
    sentences = [s for s in re.split(r"(?<=[?？])\s*", q) if len(s.strip()) >= 6]
    if len(sentences) >= 2:
        parts = [s.strip() for s in sentences]
    elif re.search(r"[ぁ-んァ-ン一-龥]", q):
        parts = _split_japanese(q)
    else:
        return _split_english(q)
    first = re.sub(r"(?:です|ます|でしょう)?か?[?？]?$", "", parts[0])
    if len(parts) == 2 and _elliptical(parts[1]) and (m := _TOPIC_OF.match(first)):
        parts[1] = m.group(1) + parts[1]  # 「…2割特例を使えますか？使うにはどうすればよいですか？」
    return parts


# A part naming nothing of its own (「使うにはどうすればよいですか」「次に多いのは何ですか」): no word of two kanji or
# katakana or more. It is asked about what the part before it names, up to that part's last particle.
_TOPIC_OF = re.compile(r"^(.*[をでがにはの])[^をでがにはの]*$")


def _elliptical(part: str) -> bool:
    return not any(len(w) >= 2 and "何" not in w for w in re.findall(r"[一-龥ァ-ヶー]+", part))


def _split_japanese(q: str) -> list[str]:
    # 「…の期限と、…の内容を」; not a conditional 「…によると、」「低下すると、」 (と after a verb or adjective)
    if m := re.search(r"(?<![るうくすつぬむぐぶいた])と、", q):
        left, right = q[: m.start()], q[m.end():]
        tail = _TAIL.search(right)
        if tail and len(left) >= 4 and len(right) - len(tail.group(0)) >= 2:
            return [left + tail.group(0).replace("それぞれ", ""), right.replace("それぞれ", "")]
    # 「…は何で、いつ…」「…は誰が負い、どのように…」: a question word on each side of the comma
    for m in re.finditer(r"(?:で|であり)?、", q):
        first, second = q[: m.start()], q[m.end():]
        if len(first) >= 4 and _ASKED.search(first) and _ASKED.search(second):
            subject = _SUBJECT.match(first)
            if subject and not _SUBJECT.match(second):
                second = subject.group("s") + "は" + second
            if re.search(rf"{_ASKS}$|[一-龥ァ-ヶー]$", first):
                first += "ですか"
            return [first, second]
    if m := re.search(r"[。、]また、?", q):
        first, second = q[: m.start()], q[m.end():]
        if len(first) >= 6 and len(second) >= 6:
            return [first, second]
    if (m := _PAIR_TOPIC.search(q)) and not re.match(r"[0-9]", m.group("y")):
        # 「Aの負債としての預貯金と家計の預貯金はそれぞれ」: two whole topics (「2007年と2020年で」: below)
        prefix, rest = q[: m.start()], m.group("rest").replace("それぞれ", "", 1)
        y = _shared_modifier(m.group("x"), m.group("y"))
        x = _shared_head(m.group("x"), m.group("y"))
        return [f"{prefix}{x}{m.group('p')}{rest}", f"{prefix}{y}{m.group('p')}{rest}"]
    if m := _PAIR.search(q):
        prefix = q[: m.start()]
        x, y, p, rest = m.group("x"), m.group("y"), m.group("p"), m.group("rest")
        head = ""
        if re.match(r"^[0-9]", y) and (h := re.match(r"^(.*(?:は|の|、))", x)) and len(h.group(1)) < len(x):
            head = h.group(1)  # 「就業者数は2007年と2020年で」: the second part keeps 「就業者数は」
        compare = _COMPARE_WORD.search(rest)
        if compare:  # 「AとBの違いは」「AとBの割賦販売法の違い」: each one explained
            mid = re.sub(rf"^{_ASKS}+|{_ASKS}+$", "", rest[: compare.start()]).strip("のはを")
            return [prefix + (f"{x}{p}{mid}" if mid else x), prefix + (f"{head}{y}{p}{mid}" if mid else head + y)]
        rest = rest.replace("それぞれ", "")
        return [f"{prefix}{x}{p}{rest}", f"{prefix}{head}{y}{p}{rest}"]
    return [q]


def compared_items(question: str) -> tuple[str, str] | None:
    """The two things a comparison question compares (「総合評価方式の簡易型と特別簡易型の違い」 → 簡易型,
    特別簡易型; "the difference between A and B" → A, B), or None."""
    q = unicodedata.normalize("NFKC", question).strip()
    if m := _EN_PAIR.search(q):
        return tuple(re.sub(r"^(?:the|an?)\s+", "", m.group(g).strip(), flags=re.I) for g in "xy")
    m = _PAIR.search(q)
    if not m or not _COMPARE_WORD.search(m.group("rest")):
        return None
    x, y = m.group("x").split("の")[-1], m.group("y")
    return (x, y) if len(x) >= 2 and len(y) >= 2 else None


def names_other(text: str, own: str, other: str) -> bool:
    """`text` names `other` of the two compared things, apart from where it names `own` (「特別簡易型」 names
    「簡易型」 only as part of itself)."""
    text, own, other = (unicodedata.normalize("NFKC", s).lower() for s in (text, own, other))
    if other in own:
        text = text.replace(own, "")
    return other in text


def _shared_modifier(x: str, y: str) -> str:
    """`y` with the clause that modifies `x`'s noun when `y` is a bare noun: in 「ECサイトに食品表示情報を掲載する
    メリットと留意事項」 the 留意事項 are those of posting the labels too."""
    if not re.fullmatch(r"[一-龥ァ-ヶー]{1,8}", y):
        return y
    m = re.search(r"^(.*[るたいな])[一-龥ァ-ヶー]{1,8}$", x)
    return m.group(1) + y if m and len(m.group(1)) >= 4 else y


def _shared_head(x: str, y: str) -> str:
    """`x` with the noun that follows `y` when `x` is a bare noun: in 「店頭出口調査とユーザーアンケートの回答者数」 the
    回答者数 is the 店頭出口調査's too."""
    if "の" in x or not (m := re.fullmatch(r".+?の([一-龥ァ-ヶー]{2,8})", y)):
        return x
    return f"{x}の{m.group(1)}"


def _split_english(q: str) -> list[str]:
    if m := _EN_PAIR.search(q):
        return [m.group("x").strip(), m.group("y").strip()]
    pieces = _EN_AND.split(q, maxsplit=1)
    if len(pieces) == 2 and len(pieces[0]) >= 8 and len(pieces[1]) >= 8:
        first, second = pieces[0].rstrip(" ,") + "?", pieces[1].strip()
        if (subject := re.match(r"^(?:what|who) (?:is|are|was|were) (.+?)\?$", first, re.I)) and re.search(
                r"\b(?:it|they|them|its|their)\b", second, re.I):  # "…and when did it start?": it = the subject
            second = re.sub(r"\b(it|they|them)\b", subject.group(1), second, count=1, flags=re.I)
        return [first, second[0].upper() + second[1:]]
    return [q]
