"""Section-aware ranking on generated manuals: sections (not chunks) are ranked, the section around the best chunk
is the context, and a near-copy of a section from a sibling model's manual does not push out a distinct answer."""

import pytest

from assistant.core.config import Settings
from assistant.core.identity import Principal
from assistant.kb import KnowledgeBase
from assistant.retrieval import Searcher
from ingest.pipeline import Ingestor

EVERYONE = Principal.everything()

MAINTENANCE = [
    "Check the hydraulic oil level every morning before the first stroke.",
    "Replace the hydraulic oil every 2,000 operating hours.",
    "Clean the suction strainer when the oil is replaced.",
    "Inspect the accumulator pre-charge pressure every 500 hours; it must be 9 MPa.",
    "Lubricate the slide gibs weekly with the grease named on the lubrication plate.",
    "Record every maintenance task in the machine log with date and signature.",
    "Check the clutch and brake air pressure at the start of each shift; it must read between 0.45 and 0.55 MPa.",
    "Drain the condensate from the air filter bowl every Friday before the weekend shutdown.",
    "Inspect the flywheel belt tension monthly and replace belts that show cracks or glazing.",
    "Tighten the die clamping bolts to the torque given on the die card after every die change.",
    "Test the two-hand control each morning: the slide must not move when only one button is pressed.",
    "Send the pressure gauges for calibration once a year and attach the certificate to the machine log.",
]

RESET = (
    "To restore the factory settings, open Settings, choose General management, then Reset, and confirm with your "
    "PIN. All downloaded apps and accounts are removed and the device restarts."
)


def _manual(title: str, sections: dict[str, str]) -> str:
    return f"# {title}\n\n" + "\n\n".join(f"## {h}\n\n{body}" for h, body in sections.items()) + "\n"


@pytest.fixture(scope="module")
def kb_searcher(tmp_path_factory, embedder):
    root = tmp_path_factory.mktemp("sections")
    docs = root / "docs"
    docs.mkdir()
    (docs / "press-x200.md").write_text(
        _manual(
            "Press X200 manual",
            {
                "Safety": "Never reach into the die area while the slide can move. Use both-hand control.",
                "Maintenance": "\n\n".join(MAINTENANCE),
                "Troubleshooting": "If the slide stops at the top, check the light curtain and the air pressure.",
            },
        ),
        encoding="utf-8",
    )
    # Two sibling phone manuals share the reset page word for word; a TV manual words it differently.
    for model in ("Phone S9", "Phone S10"):
        (docs / f"{model.lower().replace(' ', '-')}.md").write_text(
            _manual(f"{model} user manual", {"Reset": RESET, "Camera": "Tap the shutter button to take a photo."}),
            encoding="utf-8",
        )
    (docs / "tv.md").write_text(
        _manual(
            "Smart TV e-Manual",
            {
                "Restoring the TV to the factory settings": "You can restore all TV settings to the factory "
                "defaults. Select Settings, General, Reset, enter your PIN, and then select Reset.",
                "Picture mode": "Choose a picture mode that suits the room: Dynamic, Standard, Natural or Movie.",
            },
        ),
        encoding="utf-8",
    )
    s = Settings()
    s.paths.data_dir = root / "data"
    Ingestor(s, lambda: embedder).run([docs])
    kb = KnowledgeBase.open(s.paths.kb_dir)
    return kb, Searcher(kb, embedder, s.retrieval)


def test_a_section_is_one_result_with_its_neighbouring_chunks_as_context(kb_searcher):
    kb, searcher = kb_searcher
    assert kb.conn.execute("SELECT count(*) FROM chunks WHERE heading_path LIKE '%Maintenance%'").fetchone()[0] >= 4
    hits = searcher.search("How often must the hydraulic oil be replaced?", 5, principal=EVERYONE)
    top = hits[0]
    assert top.heading_path[-1] == "Maintenance" and "2,000 operating hours" in top.context
    # The chunks around the best one, in document order, from this section only.
    assert "every morning" in top.context and "suction strainer" in top.context
    assert top.context.index("every morning") < top.context.index("2,000") < top.context.index("strainer")
    assert "light curtain" not in top.context and "die area" not in top.context
    # Its other matching chunks are not separate results: one result per section.
    keys = [(h.doc_id, tuple(h.heading_path)) for h in hits]
    assert len(keys) == len(set(keys))


def test_the_context_stays_within_the_parent_budget(kb_searcher, embedder):
    kb, searcher = kb_searcher
    for budget in (30, 60, 400):
        searcher.settings = searcher.settings.model_copy(update={"parent_tokens": budget})
        top = searcher.search("accumulator pre-charge pressure", 1, principal=EVERYONE)[0]
        assert "9 MPa" in top.context
        n = sum(r[0] for r in kb.conn.execute(
            f"SELECT n_tokens FROM chunks WHERE id IN ({','.join('?' * len(top.covered_ids))})", top.covered_ids
        ))  # fmt: skip
        assert n <= max(budget, top_tokens(kb, top.id))
    searcher.settings = searcher.settings.model_copy(update={"parent_tokens": 450})


def top_tokens(kb, chunk_id):
    return kb.conn.execute("SELECT n_tokens FROM chunks WHERE id = ?", (chunk_id,)).fetchone()[0]


def test_a_near_copy_from_a_sibling_manual_is_listed_with_it_not_in_place_of_a_distinct_answer(kb_searcher):
    _, searcher = kb_searcher
    query = "How do I reset to factory settings?"
    hits = searcher.search(query, 2, principal=EVERYONE)
    names = [h.name for h in hits]
    assert "tv.md" in names, names  # not pushed out by the second copy of the phone page
    phone = next(h for h in hits if h.name.startswith("phone"))
    # The other phone manual's copy is named with it ("also in"), with its own file and section.
    assert [(c.name, c.heading_path[-1]) for c in phone.copies] == [
        ({"phone-s9.md": "phone-s10.md", "phone-s10.md": "phone-s9.md"}[phone.name], "Reset")
    ]
    assert phone.metadata()["also_in"][0]["file"] == phone.copies[0].name
    # Among the first three results the copy takes no place of its own; turned off, it does.
    folded = [(h.name, h.heading_path[-1]) for h in searcher.search(query, 3, principal=EVERYONE)]
    assert len([n for n, head in folded if n.startswith("phone") and head == "Reset"]) == 1, folded
    searcher.settings = searcher.settings.model_copy(update={"duplicate_similarity": 1.0})
    try:
        plain = searcher.search(query, 3, principal=EVERYONE)
    finally:
        searcher.settings = searcher.settings.model_copy(update={"duplicate_similarity": 0.8})
    resets = {h.name for h in plain if h.heading_path[-1] == "Reset"}
    assert resets == {"phone-s10.md", "phone-s9.md"}, [(h.name, h.heading_path) for h in plain]
    assert not any(h.copies for h in plain)
    # A section is never folded into another section of its own document.
    every = searcher.search(query, 20, principal=EVERYONE)
    assert all(c.doc_id != h.doc_id for h in every for c in h.copies)


def test_a_short_line_the_splitter_repeated_is_joined_once():
    """The splitter's overlap may be one short line (「①顧客本位の業務運営」, 10 characters): the context shows it once,
    not as a heading and again at the start of its paragraph."""
    from assistant.retrieval.searcher import _join_overlapping

    a = "(2)利用者目線に立った金融サービスの普及\n①顧客本位の業務運営"
    b = "①顧客本位の業務運営\n金融機関による顧客本位の業務運営の確保に向け、モニタリングを行う。"
    assert _join_overlapping(a, b) == (
        "(2)利用者目線に立った金融サービスの普及\n①顧客本位の業務運営\n金融機関による顧客本位の業務運営の確保に向け、モニタリングを行う。"
    )
    assert _join_overlapping("本文の一行目。", "次の段落。\n続き。") == "本文の一行目。\n次の段落。\n続き。"
