"""Re-running ingestion: unchanged files skipped without loading the model, changed replaced, gone pruned."""

import shutil

import pdf_factory as pf
from conftest import SAMPLES

from assistant.kb import KnowledgeBase
from ingest.chunking import CHUNKER_VERSION
from ingest.failures import PARSER_VERSION


def _by_name(report):
    return {o.path.rsplit("/", 1)[-1]: o for o in report.outcomes}


def test_first_ingest_of_the_samples_then_unchanged_rerun(make_ingestor, settings, samples_copy):
    first = make_ingestor().run([samples_copy])
    assert first.ok and first.counts["ingested"] == 5
    kb = KnowledgeBase.open(settings.paths.kb_dir)
    assert kb.verify() == []
    counts = kb.counts()
    assert counts["documents"] == 5 and counts["chunks"] == first.chunks_embedded > 20
    docs = {d.name: d for d in kb.documents()}
    assert docs["expense-travel-policy.pdf"].groups == ["all"]
    assert docs["it-helpdesk-guide.pdf"].pages == 4

    again = make_ingestor()
    second = again.run([samples_copy])
    assert second.counts["skipped"] == 5 and second.chunks_embedded == 0
    assert again.factory.calls == 0  # unchanged files never load the embedding model
    assert second.generation == first.generation  # nothing changed, no new generation


def test_a_new_chunk_size_rechunks_every_file_once(make_ingestor, settings, samples_copy):
    """Documents chunked another way (an upgrade, or a changed [chunking]) are chunked again on the next run."""
    before = settings.model_copy(deep=True)
    before.chunking.chunk_tokens, before.chunking.overlap_tokens = 200, 30
    make_ingestor(before).run([samples_copy])
    big = KnowledgeBase.open(settings.paths.kb_dir).counts()["chunks"]
    rerun = make_ingestor().run([samples_copy])  # the shipped chunk size
    assert rerun.counts["replaced"] == 5, rerun.counts
    kb = KnowledgeBase.open(settings.paths.kb_dir)
    assert kb.counts()["chunks"] > big and kb.verify() == []
    made = f"{CHUNKER_VERSION}/{PARSER_VERSION}t/{settings.chunking.chunk_tokens}/8/20"
    assert {d.metadata["chunking"] for d in kb.documents()} == {made}
    assert make_ingestor().run([samples_copy]).counts["skipped"] == 5


def test_changed_file_replaced_reusing_vectors_of_unchanged_chunks(make_ingestor, settings, samples_copy):
    make_ingestor().run([samples_copy])
    faq = samples_copy / "remote-work-faq.md"
    faq.write_text(
        faq.read_text(encoding="utf-8")
        + "\n## 追加\n\n### 出張中も在宅勤務扱いですか？\n\nいいえ、出張として扱います。\n",
        encoding="utf-8",
    )
    report = make_ingestor().run([samples_copy])
    out = _by_name(report)
    assert out["remote-work-faq.md"].status == "replaced"
    assert report.chunks_embedded >= 1 and report.chunks_reused >= 3
    kb = KnowledgeBase.open(settings.paths.kb_dir)
    assert kb.verify() == []
    doc = kb.find_documents("remote-work-faq.md")[0]
    assert any("出張として扱います" in c["text"] for c in kb.chunks_of(doc.id))
    assert kb.counts()["documents"] == 5


def test_prune_removes_documents_whose_files_are_gone(make_ingestor, settings, samples_copy):
    make_ingestor().run([samples_copy])
    (samples_copy / "onboarding-handbook.docx").unlink()
    without_prune = make_ingestor().run([samples_copy])
    assert without_prune.counts["removed"] == 0
    dry = make_ingestor().run([samples_copy], prune=True, dry_run=True)
    assert _by_name(dry)["onboarding-handbook.docx"].status == "removed"
    assert KnowledgeBase.open(settings.paths.kb_dir).counts()["documents"] == 5  # dry run wrote nothing
    report = make_ingestor().run([samples_copy], prune=True)
    assert _by_name(report)["onboarding-handbook.docx"].status == "removed"
    kb = KnowledgeBase.open(settings.paths.kb_dir)
    assert kb.counts()["documents"] == 4 and kb.verify() == []
    assert not kb.find_documents("onboarding-handbook.docx")


def test_groups_given_later_update_without_reembedding(make_ingestor, settings, samples_copy):
    make_ingestor().run([samples_copy / "it-helpdesk-guide.pdf"], groups=["staff"])
    ing = make_ingestor()
    report = ing.run([samples_copy / "it-helpdesk-guide.pdf"], groups=["staff", "it"])
    assert report.outcomes[0].status == "updated" and ing.factory.calls == 0
    kb = KnowledgeBase.open(settings.paths.kb_dir)
    assert kb.documents()[0].groups == ["staff", "it"]
    # Re-ingesting without --groups keeps the groups the document has.
    shutil.copy(SAMPLES / "it-helpdesk-guide.pdf", samples_copy / "it-helpdesk-guide.pdf")
    assert make_ingestor().run([samples_copy / "it-helpdesk-guide.pdf"]).outcomes[0].status == "skipped"
    assert KnowledgeBase.open(settings.paths.kb_dir).documents()[0].groups == ["staff", "it"]


def test_a_changed_file_that_now_fails_keeps_its_previous_version(make_ingestor, settings, tmp_path):
    f = tmp_path / "policy.pdf"
    pf.text_pdf(f, ["Visitors sign in at the main reception."])
    make_ingestor().run([f])
    pf.image_pdf(f, pages=1)  # replaced by a scan without text
    report = make_ingestor().run([f])
    assert report.outcomes[0].status == "failed"
    assert "previously ingested version is kept" in report.outcomes[0].reason
    kb = KnowledgeBase.open(settings.paths.kb_dir)
    assert "main reception" in kb.chunks_of(kb.documents()[0].id)[0]["text"]


def test_docs_remove_and_history(make_ingestor, settings, samples_copy):
    make_ingestor().run([samples_copy])
    kb = KnowledgeBase.open(settings.paths.kb_dir)
    doc = kb.find_documents("expense-travel-policy.pdf")[0]
    make_ingestor().remove([doc])
    kb = KnowledgeBase.open(settings.paths.kb_dir)
    assert kb.counts()["documents"] == 4 and kb.verify() == []
    assert kb.last_run()["summary"]["command"] == "docs remove"


def test_a_file_that_failed_is_not_parsed_again_until_it_or_the_options_change(make_ingestor, settings, tmp_path):
    """An unchanged nightly re-run: the encrypted PDF's failure is remembered (no parse, no new generation), and
    it is parsed again once a password is given or the file changes; a time-out is never remembered."""
    from ingest.failures import UNCHANGED_FAILURE

    d = tmp_path / "inbox"
    d.mkdir()
    good = pf.text_pdf(d / "good.pdf", ["Forklifts must not exceed 10 km/h inside the warehouse."])
    pf.encrypted_pdf(good, d / "locked.pdf", "s3cret")
    first = _by_name(make_ingestor().run([d]))
    assert first["locked.pdf"].status == "failed" and first["locked.pdf"].warnings == []

    again = make_ingestor()
    second = again.run([d])
    assert _by_name(second)["locked.pdf"].reason == first["locked.pdf"].reason
    assert _by_name(second)["locked.pdf"].warnings == [UNCHANGED_FAILURE]
    assert again.factory.calls == 0 and _by_name(second)["good.pdf"].status == "skipped"

    third = _by_name(make_ingestor().run([d], passwords=["s3cret"]))  # other options: parsed again
    assert third["locked.pdf"].status == "ingested"

    pf.encrypted_pdf(good, d / "other.pdf", "x")
    assert _by_name(make_ingestor().run([d]))["other.pdf"].warnings == []
    pf.encrypted_pdf(pf.text_pdf(tmp_path / "v2.pdf", ["Version two."]), d / "other.pdf", "x")  # changed file
    assert _by_name(make_ingestor().run([d]))["other.pdf"].warnings == []

    stuck = pf.text_pdf(d / "stuck.pdf", ["A page."])
    settings.ingest.file_timeout_s = 1
    settings.faults.crash_at = "parse.hang"
    assert make_ingestor().run([stuck]).outcomes[0].reason.startswith("timed out")
    settings.faults.crash_at = ""
    settings.ingest.file_timeout_s = 300
    assert make_ingestor().run([stuck]).outcomes[0].status == "ingested"  # the time-out was not remembered
