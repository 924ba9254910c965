"""The mojibake check: text from the wrong scripts switching inside words, or an alphabet without vowels, is
garbled; real Japanese, English, tables, and Greek or Russian prose are not."""

import pytest

from ingest.script_check import check_text, garbled_reason

REAL = {
    "ja": "出張旅費規程：日帰り出張の日当は二千円とする。宿泊を伴う場合は五千円。Wi-Fiのパスワードは管理者に聞く。",
    "en": "Visitors park in lot A, next to the main gate. The badge office is open from nine to five on weekdays.",
    "units": "温度は 25 °C、μm 単位で測定する。α 線 β 線 Ω 抵抗 の値を記録する。",
    "greek": "Η γρήγορη καφέ αλεπού πηδά πάνω από τον τεμπέλη σκύλο και τρέχει στο δάσος κάθε μέρα.",
    "russian": "Быстрая коричневая лиса прыгает через ленивую собаку в лесу каждый день.",
    "table": "Country Population (millions) Area (km2) Capital\nGermany 83 357022 Berlin\nFrance 67 643801 Paris\n"
    "Netherlands 17 41543 Amsterdam\nBelgium 11 30528 Brussels\nAustria 9 83879 Vienna",
    "page number": "- 3 -",
}
GARBLED = {
    # pypdf's reading of a CID font (Identity-V, no ToUnicode), as in the issue and in tests/pdf_factory.py
    "cid as code points": "΄͚Μ͠ΐ͏ͷ͍͞\u0378ͬ͜͏\u0378ɺͦ͏Ή͔ʹ\u038b͏͠Ͱ͍ͯͩ͘͞ɻͯ͢͏Γΐ͏\u0378\x16\x11\x11͑ΜͰ͢ɻ",
    "shifted alphabet": "Wkh edgjh riilfh uhsodfhv d orvw ylvlwru fdug iru d ihh ri 500 bhq, sdlg dw uhfhswlrq. "
    "Wkh edgjh riilfh lv rshq iurp qlqh wr ilyh rq zhhngdbv dqg forvhg rq kronedbv.",
    "glyph codes": "\x03\x11DW\x01\x1dH\x05\x0eQ\x03\x11DW\x01\x1dH\x05\x0eQ",
    "cid placeholders": "(cid:12)(cid:44)(cid:7)(cid:12)(cid:44)(cid:7)(cid:12)(cid:44) ab",
}


@pytest.mark.parametrize("name", REAL)
def test_real_text_is_not_garbled(name):
    assert garbled_reason(REAL[name]) is None, check_text(REAL[name])


@pytest.mark.parametrize("name", GARBLED)
def test_mojibake_is_caught_with_a_reason(name):
    reason = garbled_reason(GARBLED[name])
    assert reason and ("mojibake" in reason or "unreadable characters" in reason)


def test_scripts_come_from_unicode_properties_not_a_hand_table():
    from ingest.script_check import script_of

    assert script_of("\uA7B5") == "native"  # Latin Extended-D: a Latin letter (the old table said "other")
    assert [script_of(c) for c in "aé漢カ、"] == ["native"] * 5
    assert [script_of(c) for c in "ʃαж가\uE000ไ"] == ["ipa", "greek", "cyrillic", "hangul", "pua", "other"]
