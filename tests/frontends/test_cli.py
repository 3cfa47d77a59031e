"""The `newsdesk` command: ingest --json, stats, exit codes, settings."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from bot.frontends.cli import app
from tests.conftest import SAMPLE


def test_ingest_json_summary_then_noop_and_stats(tmp_path, monkeypatch):
    runner = CliRunner()
    store = tmp_path / "store"
    result = runner.invoke(app, ["ingest", str(SAMPLE / "export.jsonl"), "--json", "--store", str(store)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert {"added", "updated", "unchanged", "removed", "failed", "chunks"} <= set(summary)
    assert summary["added"] == 2 and summary["failed"] == [] and summary["chunks"] > 2
    again = json.loads(runner.invoke(app, ["ingest", str(SAMPLE / "export.jsonl"), "--json", "--store", str(store)])
                       .stdout.strip().splitlines()[-1])
    assert again["unchanged"] == 2 and again["added"] == 0 and again["chunks"] == summary["chunks"]
    stats = runner.invoke(app, ["stats", "--json", "--store", str(store)])
    data = json.loads(stats.stdout.strip().splitlines()[-1])
    assert data["documents"] == 2 and data["chunks"] == summary["chunks"]
    assert data["newest_article"] == "2025-05-07"
    assert data["by_source_kind"] == [{"source": "GP Frontline", "kind": "article", "documents": 2,
                                       "chunks": summary["chunks"]}]
    assert data["settings"]["chunk_tokens"] == 256


def test_ingest_exit_status_is_nonzero_when_a_file_failed(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps({"title": "T", "body": "Body text here.", "url": "https://x.example/t"}) + "\n")
    result = CliRunner().invoke(app, ["ingest", str(tmp_path), "--json", "--store", str(tmp_path / "s")])
    assert result.exit_code == 1
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["added"] == 1 and summary["failed"][0]["reason"].startswith("malformed JSON")


def test_stats_on_a_missing_store_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(app, ["stats", "--store", str(tmp_path / "none")])
    assert result.exit_code == 2
    assert "does not exist yet" in result.output and "Traceback" not in result.output


def test_settings_from_env_file_and_secrets_hidden(tmp_path, monkeypatch):
    from bot.settings import load_settings

    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("NEWSDESK_CHUNK_TOKENS=128\nDISCORD_TOKEN=abc.def.secret-token\n"
                                   "NEWSDESK_DISCORD_CHANNELS=1, 2,3\n")
    settings = load_settings()
    assert settings.chunk_tokens == 128 and settings.discord_channels == [1, 2, 3]
    assert settings.discord_token.get_secret_value() == "abc.def.secret-token"
    assert "secret-token" not in repr(settings) and "secret-token" not in str(settings.model_dump())
    assert load_settings(store_dir=tmp_path / "x").store.path == tmp_path / "x"


def test_ask_batch_reads_stdin_and_prints_json_lines_in_order(sample_store, monkeypatch):
    """`ask -`: one process, a JSON line per question in input order; a failed question gets
    an `error` and the batch goes on; --passages and --k apply."""
    from bot.chain import AnswerChain

    real_ask = AnswerChain.ask

    def ask(self, question, options=None):  # noqa: ANN001, ANN202
        if "explode" in question:
            raise RuntimeError("the model endpoint went away")
        return real_ask(self, question, options)

    monkeypatch.setattr(AnswerChain, "ask", ask)
    stdin = "How much is the winter access fund?\n\nplease explode\nWho won the 2023 Rugby World Cup?\n"
    result = CliRunner().invoke(app, ["ask", "-", "--json", "--passages", "--k", "3", "--store",
                                      str(sample_store.config.path)], input=stdin)
    assert result.exit_code == 1  # one question failed
    rows = [json.loads(line) for line in result.stdout.strip().splitlines()]
    assert [r["question"] for r in rows] == ["How much is the winter access fund?", "please explode",
                                             "Who won the 2023 Rugby World Cup?"]
    first, failed, refused = rows
    assert first["found"] and "£58m" in first["answer"] and len(first["passages"]) <= 3
    assert {"text", "title", "source", "published", "kind", "doc_id", "score", "ranks"} <= set(first["passages"][0])
    assert set(failed) == {"question", "error"} and "error id" in failed["error"]
    assert refused["found"] is False and "Traceback" not in result.stdout
