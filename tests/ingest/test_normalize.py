"""Text clean-up: what a reader of a chunk would notice if it were wrong."""

from ingest.normalize import normalize_text, remove_repeated_lines
from ingest.script_check import check_text


def test_nfkc_folds_full_width_and_half_width_kana():
    assert normalize_text("ＡＢＣ１２３　ｶﾀｶﾅ") == "ABC123 カタカナ"


def test_hyphenation_and_whitespace_repaired():
    assert normalize_text("the config-\nuration  file\t is   here") == "the configuration file is here"
    assert normalize_text("Line one\n\n\n\nLine two") == "Line one\n\nLine two"


def test_wrapped_japanese_lines_are_joined_but_headings_and_short_lines_are_not():
    text = "経費は支出した日から三十日以内に経費精算システムで申請し\nなければならない。\n第2条 期限\n短い行"
    out = normalize_text(text)
    assert "申請しなければならない。" in out
    assert "\n第2条 期限\n" in out


def test_running_headers_footers_and_page_numbers_removed():
    bodies = [
        "Wear safety shoes.\nCheck the oil level.\nTest the emergency stop.",
        "Start the pump.\nWait for 21 MPa.\nChoose the mode.",
        "Place the part.\nPress both buttons.\nRelease at the top.",
        "Stop the slide.\nSwitch off the pump.\nTurn off the power.",
    ]
    pages = [f"ACME Manual Rev 3\n{body}\nPage {i} of 4" for i, body in enumerate(bodies, start=1)]
    cleaned, removed = remove_repeated_lines(pages)
    assert all("ACME Manual" not in p and "Page" not in p for p in cleaned)
    assert [p.strip() for p in cleaned] == bodies
    assert "ACME Manual Rev 3" in removed


def test_one_line_pages_are_content_not_headers():
    cleaned, _ = remove_repeated_lines(["habibi"] * 4)
    assert cleaned == ["habibi"] * 4


def test_garbled_share_flags_raw_glyph_codes_not_real_text():
    assert check_text("\x03\x11DW\x01\x1dH\x05\x0eQ").junk_share > 0.5
    assert check_text("(cid:12)(cid:44)(cid:7) ab").junk_share > 0.5
    assert check_text("経費精算は30日以内。The VPN client is SecureLink.").junk_share == 0.0
