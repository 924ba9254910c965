"""The usage page says when answers could not be logged, so a full disk never silently shrinks the figures."""

from types import SimpleNamespace

from ui.views.usage import unrecorded_warning


def test_the_usage_page_warns_about_answers_the_log_could_not_write_in_both_languages():
    usage = SimpleNamespace(unrecorded=0, last_failure="")
    service = SimpleNamespace(usage=usage)
    assert unrecorded_warning(service, "en") == ""
    usage.unrecorded, usage.last_failure = 3, "the disk holding /srv/data/usage.sqlite is full"
    en, ja = unrecorded_warning(service, "en"), unrecorded_warning(service, "ja")
    assert "3 answers could not be written" in en and "/srv/data/usage.sqlite is full" in en
    assert "3 件の回答を利用ログに記録できませんでした" in ja
    assert unrecorded_warning(SimpleNamespace(usage=None), "en") == ""
