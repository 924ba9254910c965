"""Evidence selection on hand-made passages: which sentences are shown, and with what context."""

from assistant.answering.evidence import find_evidence
from assistant.retrieval import Hit


def _hit(text: str, heading: list[str] | None = None) -> Hit:
    return Hit(1, "c1", 1, "/m.md", "m.md", None, False, 0, text, heading or [], 1, 1, context=text)


def _tokens(text: str) -> list[str]:
    return [w.strip(".,?!\"'").lower() for w in text.split() if w.strip(".,?!\"'")]


IDF = {w: 1.0 for w in "hyperbaric chambers oxygen treated carbon monoxide poisoning devices".split()}


def test_a_sentence_pointing_back_with_a_noun_phrase_is_shown_with_the_one_before():
    passage = (
        "The lobby has a cafe. Hyperbaric medicine uses special oxygen chambers to raise the pressure. "
        "Carbon monoxide poisoning is sometimes treated using these devices. The cafe opens at 8."
    )
    found = find_evidence("What is used to treat carbon monoxide poisoning?", [_hit(passage)], IDF, _tokens)
    quote = found.items[0].quote
    assert quote.startswith("Hyperbaric medicine uses special oxygen chambers")
    assert quote.endswith("treated using these devices.")
    assert passage[found.items[0].start : found.items[0].end] == found.items[0].text


def test_a_self_contained_sentence_is_shown_alone():
    passage = "The lobby has a cafe. Carbon monoxide poisoning is treated in hyperbaric chambers. The cafe opens at 8."
    found = find_evidence("Where is carbon monoxide poisoning treated?", [_hit(passage)], IDF, _tokens)
    assert [e.quote for e in found.items] == ["Carbon monoxide poisoning is treated in hyperbaric chambers."]


def test_a_sentence_opening_with_he_or_she_brings_the_one_naming_the_person():
    idf = {w: 1.0 for w in "oldest quarterback super bowl".split()}
    passage = "Peyton Manning led the Broncos. He is the oldest quarterback to play in a Super Bowl. Tickets sold out."
    found = find_evidence("Who is the oldest quarterback to play in a Super Bowl?", [_hit(passage)], idf, _tokens)
    assert "Peyton Manning" in found.items[0].quote


def test_a_yes_no_question_that_names_a_cost_asks_for_no_amount():
    from assistant.answering.answer_types import AMOUNT, has_type, question_type

    assert question_type("手直し費用を下請代金から減じることはできますか？") is None
    assert question_type("Can I claim the cost of a taxi?") is None
    assert question_type("出張の費用はいくらですか？") == AMOUNT
    assert question_type("宿泊費の上限額を教えてください。") == AMOUNT
    assert question_type("What is the cost of a taxi?") == AMOUNT
    assert has_type("預貯金は453兆円増加し", AMOUNT) and has_type("予算は1.2億円", AMOUNT)


def _ja_tokens(text: str) -> list[str]:
    from assistant.kb.keywords import get_tokenizer

    return get_tokenizer().tokens(text)


def _ja_evidence(question: str, *passages: str, weights: dict[str, float] | None = None):  # noqa: ANN202
    """find_evidence over one hit per passage, every word of the question weighing 1 (unless `weights` says)."""
    idf = {t: 1.0 for t in _ja_tokens(question)} | (weights or {})
    return find_evidence(question, [_hit(p) for p in passages], idf, _ja_tokens)


def test_each_thing_compared_gets_its_own_description_not_the_sentence_naming_both():
    from assistant.answering.labels import ANSWERED, labelled_evidence

    passage = ("Two plan types exist: the Basic plan and the Premium plan.\n\n"
               "The Basic plan covers one office and is billed monthly.\n\n"
               "The Premium plan covers all offices and includes phone support.")
    idf = {w: 1.0 for w in "basic premium plan plans covers office offices billed support types".split()}
    found = labelled_evidence("What is the difference between the Basic plan and the Premium plan?",
                              [_hit(passage)], idf, _tokens)
    assert found.label == ANSWERED
    firsts = [p.items[0].quote for p in found.parts]
    assert firsts[0].startswith("The Basic plan covers one office"), firsts
    assert firsts[1].startswith("The Premium plan covers all offices"), firsts


def test_names_other_sees_the_shorter_name_inside_the_longer_one():
    from assistant.answering.question_parts import compared_items, names_other

    assert compared_items("総合評価方式の簡易型と特別簡易型の違いは何ですか？") == ("簡易型", "特別簡易型")
    assert compared_items("日当と宿泊費はそれぞれいくらですか？") is None
    assert not names_other("イ 特別簡易型 業務実施方針を求めない。", "特別簡易型", "簡易型")
    assert names_other("簡易型・特別簡易型ごとに設定する。", "特別簡易型", "簡易型")
    assert names_other("簡易型・特別簡易型ごとに設定する。", "簡易型", "特別簡易型")
    assert not names_other("ア 簡易型 業務実施方針を求める。", "簡易型", "特別簡易型")


def test_a_list_inside_a_sentence_comes_with_the_end_of_that_sentence():
    passage = ("問1.適用対象者を教えてください。\n2割特例の適用対象者は、免税事業者から課税事業者になった者であり、"
               "具体的には、・ 免税事業者が登録を受けて課税事業者となる者\n・ 届出書を提出した上で登録を受ける者\n"
               "が対象となります。\nしたがって、登録を受けていない場合には対象とはなりません。")
    idf = {t: 1.0 for t in _ja_tokens("2割特例の適用対象者")}
    found = find_evidence("2割特例の適用対象者は誰ですか？", [_hit(passage)], idf, _ja_tokens)
    text = found.items[0].text
    assert "届出書を提出した上で" in text and text.endswith("が対象となります。"), text


def test_a_diagram_read_as_one_run_of_labels_is_not_evidence():
    soup = ("青果物小売業の一般的な工程青果物小売業の一般的な工程の中で食品に悪影響を及ぼす原因と管理ポイント(例) "
            "仕入れ運搬小分け(検品) 陳列販売納品盛付包装保管加工カット常温で流通する商品グループ④ 冷蔵のもの")
    sentence = "カット工程では、器具の刃こぼれによる異物混入が食品に悪影響を及ぼす原因となるため、始業前に点検する。"
    idf = {t: 1.0 for t in _ja_tokens("カット工程 食品 悪影響 原因 管理ポイント")}
    found = find_evidence("カット工程で食品に悪影響を及ぼす原因は何ですか？", [_hit(soup + "\n\n" + sentence)], idf,
                          _ja_tokens)
    assert [e.text for e in found.items] == [sentence]


def test_the_frame_of_a_question_is_not_searched_for():
    """「とは何ですか」 would match every FAQ question in the documents through its kana bigrams."""
    from assistant.kb.keywords import BIGRAM_PREFIX, get_tokenizer

    tok = get_tokenizer()
    terms = tok.query_terms("LTVとは何ですか？")
    frame = {BIGRAM_PREFIX + p for p in ("とは", "は何", "何で", "です", "すか")}
    assert "ltv" in terms and not frame & set(terms), terms
    assert BIGRAM_PREFIX + "留意" in tok.query_terms("留意すべきことは何ですか")
    assert BIGRAM_PREFIX + "です" in tok.index_terms("何ですか")  # the index keeps them: documents are not questions


def test_a_sentence_about_a_sibling_of_the_compound_asked_for_is_no_answer():
    """「特定小売販売業の…」 holds nearly every word of a question about 一般小売販売業 (Sudachi splits 一般 off as a
    word of low weight): it is not shown first when the asked one is there, and never labelled an answer."""
    special = "特定小売販売業の月間の取扱予定高は、施設の利用者数に平均購入本数を乗じて算出する。"
    general = "一般小売販売業の月間の取扱予定高は、世帯数に1世帯当たりの購入本数を乗じて算出する。"
    question = "一般小売販売業の月間の取扱予定高はどのように算出しますか？"
    found = _ja_evidence(question, special + "\n\n" + general, weights={"一般": 0.1})
    assert found.items[0].text == general and found.confident
    alone = _ja_evidence(question, special, weights={"一般": 0.1})
    assert alone.items and not alone.confident
    negated = find_evidence("非機能要件の適合性はどう確認しますか？",
                            [_hit("機能要件の適合性は、標準仕様書で確認する。")],
                            {t: 1.0 for t in _ja_tokens("非機能要件の適合性 確認")} | {"非": 0.1}, _ja_tokens)
    assert negated.items and not negated.confident


def test_a_table_of_contents_read_as_one_line_is_not_evidence():
    toc = ("目次○2割特例 ______ 3 問1.適用対象者を教えてください。 ______ 3 "
           "問2.適用できる期間について教えてください。 ____ 4")
    answer = "2割特例の適用対象者は、免税事業者から課税事業者になった者です。"
    idf = {t: 1.0 for t in _ja_tokens("2割特例 適用対象者")}
    question = "2割特例の適用対象者を教えてください。"
    found = find_evidence(question, [_hit(toc + "\n\n" + answer)], idf, _ja_tokens)
    assert [e.text for e in found.items] == [answer]
    # a contents page as the best-ranked hit: nothing of it is shown, the body page is
    contents = toc + "\n問3.手続きについて教えてください。 ______ 5\n問4.継続適用について ______ 5"
    found = find_evidence(question, [_hit(contents), _hit(answer)], idf, _ja_tokens)
    assert [(e.number, e.text) for e in found.items] == [(2, answer)]


def test_how_much_of_a_kind_asks_for_a_number_not_a_time():
    from assistant.answering.answer_types import COUNT, TIME, question_type

    assert question_type("運用支援を委託している企業はどのくらいの割合ですか？") == COUNT
    assert question_type("申請から承認までどのくらいかかりますか？") == TIME
    assert question_type("どのくらいの期間保存しますか？") == TIME


def test_a_table_row_is_read_with_its_header_and_a_letter_spaced_label_as_a_word():
    """「指 定 都 市 | 25 | …」: the row's label is a word once its letter spacing is read away, and the column names
    and the unit line above the table count for the row, as a section heading counts for its sentences."""
    passage = ("距離基準は次のとおりとする。\n(単位:メートル)\n環境区分 | 繁華街(A) | 住宅地(B)\n"
               "指 定 都 市 | 25 | 300\n町 村 | 150 | 300\n\n繁華街とは、商店が集まる地域をいう。")
    question = "指定都市の住宅地(B)の距離は何メートルですか？"
    found = _ja_evidence(question, passage)
    assert "指 定 都 市 | 25 | 300" in found.items[0].text, found.items


def test_an_faq_question_ending_in_a_full_stop_is_not_its_answer():
    passage = ("問7.簡易課税制度選択届出書を提出しているが、申告時に2割特例を選べるようにしたいのですが、"
               "どのような手続きをすればよいでしょうか。\n(答) 申告書に2割特例の適用を受ける旨を付記してください。")
    question = "2割特例を選べるようにするにはどのような手続きをすればよいですか？"
    found = _ja_evidence(question, passage)
    assert "付記してください" in found.items[0].text, found.items


def test_a_header_row_alone_is_not_an_answer():
    """A table whose cells the PDF gave as text below it: its header row names the question's words and says
    nothing; it is never labelled "from the manuals"."""
    from assistant.answering.labels import ANSWERED, labelled_evidence

    passage = ("校務支援システムを閉域網で運用することによる課題 | ネットワーク分離による課題\n"
               "⚫ 職員室からしか校務支援システムにアクセスできない。\n⚫ 端末を別に整備する必要がある。")
    question = "校務支援システムを閉域網で運用することにはどのような課題がありますか？"
    idf = {t: 1.0 for t in _ja_tokens(question)}
    found = labelled_evidence(question, [_hit(passage)], idf, _ja_tokens)
    assert found.items and found.label != ANSWERED, found.items
