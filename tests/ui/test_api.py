"""The HTTP side of the server, through real HTTP: login and sessions, the admin API's refusals, uploads, and the
OpenAI-compatible API with the standard `openai` client."""

from __future__ import annotations

import httpx
import openai
import pytest

from tests.ui.conftest import LOGINS, STAFF_KEY

pytestmark = pytest.mark.slow


def login(web, user: str, password: str | None = None) -> httpx.Client:
    client = httpx.Client(base_url=web.url, follow_redirects=False, timeout=120)
    r = client.post("/login", data={"user": user, "password": password or LOGINS[user], "lang": "en"})
    assert r.status_code == 303, r.text
    return client


def api(web, key: str = STAFF_KEY) -> openai.OpenAI:
    return openai.OpenAI(base_url=web.url + "/v1", api_key=key, max_retries=0, timeout=300)


# --- login and the admin API ------------------------------------------------------------------------------
def test_the_app_sends_a_browser_without_a_session_to_the_login_page(web):
    r = httpx.get(web.url + "/app/ja/", headers={"Accept": "text/html"})
    assert r.status_code == 303 and r.headers["location"].endswith("/login?lang=ja")
    assert httpx.get(web.url + "/app/ja/config").status_code in (401, 403)  # Gradio itself refuses too


def test_a_wrong_password_is_refused_and_a_right_one_opens_the_app(web):
    r = httpx.post(web.url + "/login", data={"user": "writer", "password": "nope-nope", "lang": "en"})
    assert r.status_code == 401 and "Wrong user name or password" in r.text
    client = login(web, "writer")
    assert "da_session" in client.cookies
    assert client.get("/app/en/", headers={"Accept": "text/html"}).status_code == 200


def test_a_forged_or_logged_out_session_opens_nothing(web):
    forged = httpx.Client(base_url=web.url, follow_redirects=False, timeout=60, cookies={"da_session": "f" * 43})
    assert forged.get("/app/en/", headers={"Accept": "text/html"}).status_code == 303  # back to the login page
    assert forged.get("/api/admin/documents").status_code == 401
    client = login(web, "admin")
    token = client.cookies["da_session"]
    assert client.get("/api/admin/status").status_code == 200
    client.get("/logout")
    replay = httpx.Client(base_url=web.url, follow_redirects=False, timeout=60, cookies={"da_session": token})
    assert replay.get("/api/admin/status").status_code == 401  # the token died with the logout
    # a session cookie is no API key, and an API key is no session
    assert httpx.post(web.url + "/v1/chat/completions", headers={"Authorization": f"Bearer {token}"},
                      json={"messages": [{"role": "user", "content": "x"}]}).status_code == 401
    assert httpx.get(web.url + "/api/admin/status", cookies={"da_session": STAFF_KEY}).status_code == 401


def test_staff_cannot_call_the_admin_api_and_an_admin_can(web):
    staff = login(web, "staff")
    for method, path in [("GET", "/api/admin/documents"), ("GET", "/api/admin/status"),
                         ("DELETE", "/api/admin/documents/1")]:
        assert staff.request(method, path).status_code == 403, path
        bearer = {"Authorization": f"Bearer {STAFF_KEY}"}
        assert httpx.request(method, web.url + path, headers=bearer).status_code == 403
        assert httpx.request(method, web.url + path).status_code == 401
    r = staff.post("/api/admin/documents", files={"files": ("x.md", b"# X\n\nText.\n")})
    assert r.status_code == 403
    admin = login(web, "admin")
    names = {d["name"] for d in admin.get("/api/admin/documents").json()}
    assert {"expense-travel-policy.pdf", "salary-bands.md"} <= names
    assert admin.get("/api/admin/status", params={"check": True}).json()["problems"] == []


def test_an_upload_with_a_hostile_name_lands_inside_the_uploads_folder_and_a_wrong_type_is_refused(web):
    admin = login(web, "admin")
    body = b"# Canteen\n\nThe canteen opens at 11:30 and closes at 14:00 on weekdays.\n"
    r = admin.post(
        "/api/admin/documents",
        files=[("files", ("../../../etc/canteen.md", body)), ("files", ("run.exe", b"MZ"))],
        data={"groups": "all", "tags": "facilities"},
    )
    assert r.status_code == 200, r.text
    rows = {row[0]: row for row in r.json()["files"]}
    assert rows["canteen.md"][1] == "ingested"
    assert rows["run.exe"][1] == "failed" and ".exe files are not accepted" in rows["run.exe"][4]
    uploads = web.settings.paths.uploads_dir
    assert (uploads / "canteen.md").read_bytes() == body
    assert not any(p.name == "canteen.md" for p in uploads.parent.parent.rglob("etc/*"))
    # staff see it at once: the live knowledge base followed the admin's ingestion without restart
    question = [{"role": "user", "content": "When does the canteen open?"}]
    answer = api(web).chat.completions.create(model="x", messages=question)
    assert any(s["file"] == "canteen.md" for s in answer.model_extra["sources"])


def test_hostile_names_oversized_files_and_too_many_files_over_http_each_get_a_clear_answer(web):
    """A NUL, an absolute path and a 5,000-character name land as safe names inside uploads/ (or are refused with a
    short, printable reason); a file over the limit is refused without being read; too many files are refused
    whole, before anything is stored."""
    admin = login(web, "admin")
    body = b"# Lockers\n\nLocker keys are returned to reception on the last working day.\n"
    names = [b"/etc/passwd.md", b"evil\x00.md", b"a" * 1000 + b".md", b".."]  # sent raw: the NUL stays a NUL
    form = b"".join(
        b'--XX\r\nContent-Disposition: form-data; name="files"; filename="' + n + b'"\r\n\r\n' + body + b"\r\n"
        for n in names
    ) + b'--XX\r\nContent-Disposition: form-data; name="groups"\r\n\r\nall\r\n--XX--\r\n'
    r = admin.post("/api/admin/documents", content=form,
                   headers={"Content-Type": "multipart/form-data; boundary=XX"})
    assert r.status_code == 200, r.text
    rows = r.json()["files"]
    by_name = {row[0]: (row[1], row[4]) for row in rows}
    assert by_name["passwd.md"][0] == "ingested" and by_name["evil.md"][0] == "ingested"
    assert by_name["a" * 120 + ".md"][0] == "ingested"  # cut to 120 characters
    refused = [row for row in rows if row[1] == "failed"]
    assert len(refused) == 1 and "a file name with an extension is needed" in refused[0][4]
    uploads = web.settings.paths.uploads_dir
    assert {"a" * 120 + ".md", "evil.md", "passwd.md"} <= {p.name for p in uploads.iterdir()}

    huge_name = admin.post("/api/admin/documents", files=[("files", ("b" * 5000 + ".md", body))])
    assert huge_name.status_code == 400 and "could not be read" in huge_name.json()["error"]["message"]
    assert not any(p.name.startswith("bbbb") for p in uploads.iterdir())

    limit = web.settings.server.upload_max_mb
    big = admin.post("/api/admin/documents", files=[("files", ("big.md", b"x" * (limit * 1048576 + 1)))])
    assert big.status_code == 200
    assert big.json()["files"][0][1] == "failed" and f"the limit is {limit} MB" in big.json()["files"][0][4]
    assert not (uploads / "big.md").exists()

    many = web.settings.server.upload_max_files + 1
    crowd = admin.post("/api/admin/documents", files=[("files", (f"f{i}.md", body)) for i in range(many)])
    assert crowd.status_code == 400 and f"{many} files in one upload" in crowd.json()["error"]["message"]
    assert not (uploads / "f0.md").exists()


def test_too_many_wrong_passwords_lock_the_login_for_a_while(web):
    for _ in range(web.settings.server.login_attempts):
        assert httpx.post(web.url + "/login", data={"user": "hr", "password": "wrong-one"}).status_code == 401
    r = httpx.post(web.url + "/login", data={"user": "hr", "password": LOGINS["hr"], "lang": "en"})
    assert r.status_code == 429 and "try again in" in r.text  # even the right password waits


# --- the OpenAI-compatible API -----------------------------------------------------------------------------
def test_the_api_needs_a_key(web):
    with pytest.raises(openai.AuthenticationError):
        api(web, "sk-da-wrong").models.list()
    assert httpx.post(web.url + "/v1/chat/completions", json={"messages": [{"role": "user", "content": "x"}]}
                      ).status_code == 401
    assert [m.id for m in api(web).models.list()] == [web.settings.server.api_model_name]


def test_a_japanese_question_gets_the_evidence_with_its_source(web):
    r = api(web).chat.completions.create(
        model="document-assistant", messages=[{"role": "user", "content": "日帰り出張の日当はいくらですか？"}]
    )
    text = r.choices[0].message.content
    assert "2,000円" in text and "[1]" in text
    extra = r.model_extra
    assert extra["outcome"] == "answered"
    assert extra["sources"][0]["file"] == "expense-travel-policy.pdf" and extra["sources"][0]["page"] == 2
    assert "2,000円" in extra["evidence"][0]["text"]


def test_streaming_sends_the_evidence_first_and_the_sources_at_the_end(web):
    stream = api(web).chat.completions.create(
        model="document-assistant", stream=True,
        messages=[{"role": "user", "content": "How many wrong password attempts lock my account?"}],
    )
    chunks = list(stream)
    first = chunks[0].choices[0].delta.content
    assert first.startswith("From the manuals") and "5 wrong password attempts" in first
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].model_extra["sources"][0]["file"] == "it-helpdesk-guide.pdf"


def test_a_follow_up_through_the_api_uses_the_conversation(web):
    messages = [
        {"role": "user", "content": "日帰り出張の日当はいくらですか？"},
        {"role": "assistant", "content": "「日帰り出張は1日2,000円」[1]"},
        {"role": "user", "content": "海外出張の場合は？"},
    ]
    r = api(web).chat.completions.create(model="x", messages=messages)
    assert "50米ドル" in r.choices[0].message.content


def test_a_staff_key_never_gets_another_groups_document(web):
    question = [{"role": "user", "content": "What is the salary band for grade G7 engineers?"}]
    r = api(web).chat.completions.create(model="x", messages=question)
    assert all(s["file"] != "salary-bands.md" for s in r.model_extra["sources"])
    assert "6.2" not in r.choices[0].message.content
    hr_key = web.service.users.add_api_key("hr", "test")
    r = api(web, hr_key).chat.completions.create(model="x", messages=question)
    assert r.model_extra["sources"][0]["file"] == "salary-bands.md"


def test_an_english_follow_up_that_opens_with_and_stays_on_the_topic(web):
    messages = [
        {"role": "user", "content": "How long is the account locked after too many wrong passwords?"},
        {"role": "assistant", "content": '"After 5 wrong password attempts within 15 minutes, the account is locked '
                                         'for 30 minutes." [1]'},
        {"role": "user", "content": "And how many attempts are allowed?"},
    ]
    r = api(web).chat.completions.create(model="x", messages=messages)
    assert "5 wrong password attempts" in r.choices[0].message.content
    assert r.model_extra["sources"][0]["file"] == "it-helpdesk-guide.pdf"


def test_a_conversation_kept_on_the_server_goes_on_by_its_id_and_only_for_its_user(web):
    first = api(web).chat.completions.create(
        model="x", messages=[{"role": "user", "content": "日帰り出張の日当はいくらですか？"}],
        extra_body={"conversation_id": "new"})
    cid = first.model_extra["conversation_id"]
    assert cid and len(cid) == 32 and "2,000円" in first.choices[0].message.content
    follow = api(web).chat.completions.create(
        model="x", messages=[{"role": "user", "content": "海外出張の場合は？"}], extra_body={"conversation_id": cid})
    assert "50米ドル" in follow.choices[0].message.content and follow.model_extra["conversation_id"] == cid
    kept = web.service.conversations.get("staff", cid)
    assert [e.question for e in kept.exchanges] == ["日帰り出張の日当はいくらですか？", "海外出張の場合は？"]
    # Another user's key, and a guessed id, get the same "not found": an id cannot be probed.
    hr_key = web.service.users.add_api_key("hr", "conversation-test")
    for key, conversation in ((hr_key, cid), (STAFF_KEY, "0" * 32), (STAFF_KEY, "../../etc/passwd")):
        r = httpx.post(web.url + "/v1/chat/completions", headers={"Authorization": f"Bearer {key}"}, timeout=300,
                       json={"messages": [{"role": "user", "content": "海外出張の場合は？"}],
                             "conversation_id": conversation})
        assert r.status_code == 404, r.text
    assert len(web.service.conversations.get("staff", cid).exchanges) == 2  # nothing was added by them


def test_earlier_model_text_and_not_found_turns_do_not_steer_an_api_follow_up(web):
    """One conversation rule for the chat and the API: the evidence is what a follow-up leans on."""
    messages = [
        {"role": "user", "content": "日帰り出張の日当はいくらですか？"},
        {"role": "assistant",
         "content": "マニュアルの記載：\n「日帰り出張は1日2,000円」[1]\n\n要約：\nパスワードは180日で失効します。"},
        {"role": "user", "content": "社員食堂の営業時間は？"},
        {"role": "assistant", "content": "マニュアルには記載がありません。"},
        {"role": "user", "content": "海外出張の場合は？"},
    ]
    r = api(web).chat.completions.create(model="x", messages=messages)
    assert "50米ドル" in r.choices[0].message.content
