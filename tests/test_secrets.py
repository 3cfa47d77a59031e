"""Secrets: one run-wide scan of every log line and every reply for the configured Discord
token, LLM API key and Chroma token.

The settings come from the environment, as in production; logging is set up by
`bot.logs.setup_logging` at DEBUG, exactly as the commands do, with its handler writing to a
file that the scan reads back (formatted lines and tracebacks, as an operator would see them).
Then the CLI (ingest, stats, ask, ask --json, ask against an LLM endpoint that rejects the key
and echoes it back, the REPL and its :settings), the Discord bot through dpytest (answers, a
question that pastes the token, an answer function that raises with the token and key in its
message, the LLM fallback path) and the slash commands (fake Interactions: /ask error, /sources,
/help, /reingest failure, a command-tree error) all run, and nothing they said or logged may
hold a secret."""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
from http.server import BaseHTTPRequestHandler

import discord
import discord.ext.test as dpytest
import pytest
from typer.testing import CliRunner

import vectorstore.store
from bot.chain import build_chain
from bot.frontends.cli import app
from bot.frontends.discord.client import create_bot
from bot.logs import RedactSecrets, setup_logging
from bot.settings import load_settings
from tests.conftest import SAMPLE, loopback_http
from tests.frontends.test_discord_bot import interaction, sent_messages, slash, wire

TOKEN = "MTQwNTUxODc2OTEyMzQ1Njc4OQ.GsEcRt.newsdesk-discord-token-7f3a9c2e1b"
API_KEY = "sk-newsdesk-llm-key-4c1d9e8b7a6f5e4d"
CHROMA_TOKEN = "chroma-auth-newsdesk-0d5e2f9a"
SECRETS = (TOKEN, API_KEY, CHROMA_TOKEN)
ERROR_ID = re.compile(r"error id `?([0-9a-f]{8})`?")


class _RejectingOpenAI(BaseHTTPRequestHandler):
    """An OpenAI-compatible endpoint that refuses every key, echoing it in the error body."""

    seen: list[str] = []

    def log_message(self, *args):  # noqa: ANN002 - silence
        pass

    def do_POST(self):  # noqa: N802 - http.server API
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        key = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
        type(self).seen.append(key)
        body = json.dumps({"error": {"message": f"Incorrect API key provided: {key}", "type": "invalid_request_error",
                                     "code": "invalid_api_key"}}).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def llm_endpoint():
    _RejectingOpenAI.seen = []
    with loopback_http(_RejectingOpenAI) as url:
        yield url


@pytest.fixture
def env(tmp_path, monkeypatch, embedder):
    """The secrets and settings in the environment; no .env; the CLI shares the loaded model."""
    monkeypatch.chdir(tmp_path)
    for key, value in {"DISCORD_TOKEN": TOKEN, "NEWSDESK_LLM_API_KEY": API_KEY, "CHROMA_AUTH_TOKEN": CHROMA_TOKEN,
                       "NEWSDESK_LOG_LEVEL": "DEBUG", "NEWSDESK_STORE_DIR": str(tmp_path / "store"),
                       "NEWSDESK_RATE_LIMIT_COUNT": "50"}.items():
        monkeypatch.setenv(key, value)
    for key in ("NEWSDESK_LLM_MODEL", "NEWSDESK_LLM_BASE_URL", "OPENAI_API_KEY", "OPENAI_BASE_URL", "CHROMA_HOST"):
        monkeypatch.delenv(key, raising=False)
    # every command opens its own store; loading the model once per command only costs time
    monkeypatch.setattr(vectorstore.store, "Embedder", lambda *args, **kwargs: embedder)
    return monkeypatch


@pytest.fixture
def log_file(tmp_path, monkeypatch):
    """Logging set up as the commands do, its stderr handler writing into a file; restored afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in logging.root.manager.loggerDict}
    for h in handlers:  # an earlier test's newsdesk handler would keep writing to its own stream
        if getattr(h, "_newsdesk", False):
            root.removeHandler(h)
    path = tmp_path / "newsdesk.log"
    stream = path.open("w", encoding="utf-8")
    with monkeypatch.context() as m:
        m.setattr(sys, "stderr", stream)  # the handler setup_logging creates binds to sys.stderr
        setup_logging(load_settings())
    (ours,) = [h for h in root.handlers if getattr(h, "_newsdesk", False)]
    assert ours.stream is stream and root.level == logging.DEBUG
    yield path, stream
    root.removeHandler(ours)
    for h in root.handlers:
        for f in [f for f in h.filters if isinstance(f, RedactSecrets)]:
            h.removeFilter(f)
    for h in handlers:
        if h not in root.handlers:
            root.addHandler(h)
    root.setLevel(level)
    for name, lvl in levels.items():
        logging.getLogger(name).setLevel(lvl)
    stream.close()


def cli(replies: list[str], args: list[str], **kwargs):
    """Run a `newsdesk` command; everything it prints (and any uncaught traceback) is a reply."""
    result = CliRunner().invoke(app, args, **kwargs)
    replies += [result.stdout, result.stderr]
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        replies.append("".join(traceback.format_exception(result.exception)))  # what Python would print
    return result


def message_texts(messages: list[discord.Message]) -> list[str]:
    out = []
    for m in messages:
        out.append(m.content or "")
        for e in m.embeds:
            d = e.to_dict()
            out += [d.get("title", ""), d.get("description", ""), d.get("footer", {}).get("text", "")]
            out += [part for f in d.get("fields", []) for part in (f["name"], f["value"])]
    return [t for t in out if t]


def interaction_texts(inter) -> list[str]:
    sent = [kwargs for _, kwargs in inter.response.calls] + inter.followup.sent + inter.channel.channel_sent
    out = []
    for kwargs in sent:
        out.append(kwargs.get("content") or "")
        for e in kwargs.get("embeds") or []:
            out.append(json.dumps(e.to_dict(), ensure_ascii=False))
    return [t for t in out if t]


@pytest.mark.slow
async def test_no_secret_in_any_log_line_or_reply(env, log_file, llm_endpoint, tmp_path, record_figure):
    path, stream = log_file
    replies: list[str] = []
    error_ids: list[str] = []
    coverage = [str(SAMPLE / "notes"), str(SAMPLE / "export.jsonl")]

    # --- the command line ------------------------------------------------------------------
    assert cli(replies, ["ingest", *coverage, "--json"]).exit_code == 0
    assert cli(replies, ["ingest", *coverage]).exit_code == 0  # the human summary
    assert cli(replies, ["stats"]).exit_code == 0  # shows the settings too
    assert cli(replies, ["stats", "--json"]).exit_code == 0
    found = cli(replies, ["ask", "How much is the winter access fund?", "--passages"])
    assert found.exit_code == 0 and "£58m" in found.stdout
    # (a question the operator types is echoed as typed: not a leak, so no secret in it here)
    assert cli(replies, ["ask", "What is the capital of Peru?", "--json"]).exit_code == 0
    env.setenv("NEWSDESK_LLM_MODEL", "local-model")
    env.setenv("NEWSDESK_LLM_BASE_URL", llm_endpoint)
    # the endpoint rejects the key: the extractive answer with the note and the log entry's error id
    fallback = cli(replies, ["ask", "How much is the winter access fund?"])
    assert fallback.exit_code == 0 and "Traceback" not in fallback.output, fallback.output
    assert "language model is unavailable" in fallback.output and "£58m" in fallback.output
    error_ids += ERROR_ID.findall(fallback.output)
    repl = cli(replies, ["repl"], input=":settings\nHow much is the winter access fund?\n:quit\n")
    assert repl.exit_code == 0 and "k=8" in repl.stdout
    error_ids += ERROR_ID.findall(repl.stdout)
    assert len(error_ids) == 2 and _RejectingOpenAI.seen.count(API_KEY) >= 2  # the key did go out, twice

    # --- the Discord bot, through dpytest ---------------------------------------------------------
    settings = load_settings()  # the LLM one, from the environment
    assert settings.discord_token.get_secret_value() == TOKEN
    extractive = build_chain(settings.model_copy(update={"llm_model": ""}))
    generative = build_chain(settings)

    def ask(question, options):
        if "explode" in question:
            raise RuntimeError(f"store exploded; token {TOKEN}, key {API_KEY}, chroma {CHROMA_TOKEN}")
        if TOKEN in question:  # a pasted token: the answer's title echoes the question as asked
            answer = extractive.ask(question.replace(TOKEN, ""), options)
            answer.question = question
            return answer
        if question.endswith(" [llm]"):  # answered by the LLM chain, whose endpoint rejects the key
            return generative.ask(question.removesuffix(" [llm]"), options)
        return extractive.ask(question, options)

    def broken_reingest():
        raise OSError(f"cannot read the folder with {CHROMA_TOKEN}")

    store = extractive.retriever.store
    bot = await wire(create_bot(settings, ask, stats_fn=store.stats, reingest_fn=broken_reingest))
    try:
        for question in ("How much is the winter access fund?", f"How much is the winter access fund? {TOKEN}",
                         f"explode please {API_KEY}", "How much is the winter access fund? [llm]"):
            await dpytest.message(f"{bot.user.mention} {question}")
        messages = sent_messages()
    finally:
        await dpytest.empty_queue()
    texts = message_texts(messages)
    replies += texts
    assert len(messages) == 4 and any("£58m" in t for t in texts)
    assert any("language model is unavailable" in t for t in texts)  # the LLM question fell back
    assert any("****" in t for t in texts)  # the pasted token came back masked
    error_ids += [i for t in texts for i in ERROR_ID.findall(t)]

    # --- slash commands (fake Interactions) ----------------------------------------------------------
    failing = create_bot(settings, ask, stats_fn=store.stats, reingest_fn=broken_reingest)
    inters = [interaction(), interaction(), interaction(), interaction(manage_guild=True), interaction()]
    await slash(failing, "ask")(inters[0], question=f"explode {TOKEN}")
    await slash(failing, "sources")(inters[1])
    await slash(failing, "help")(inters[2])
    await slash(failing, "reingest")(inters[3])
    await failing.reingest_task
    await failing.tree.on_error(inters[4], discord.app_commands.AppCommandError(f"kaput {TOKEN} {API_KEY}"))
    slash_texts = [t for inter in inters for t in interaction_texts(inter)]
    replies += slash_texts
    assert all(interaction_texts(inter) for inter in inters)
    error_ids += [i for t in slash_texts for i in ERROR_ID.findall(t)]

    # --- the scan ----------------------------------------------------------------------------------
    stream.flush()
    log_text = path.read_text(encoding="utf-8")
    lines = log_text.splitlines()
    for secret in SECRETS:
        leaks = [line for line in lines if secret in line]
        assert not leaks, leaks[:3]
        leaks = [r for r in replies if secret in r]
        assert not leaks, leaks[:3]
    # not vacuous: every path logged, the failures with redacted details and tracebacks
    # ask and repl (the fallback notes), a mention, /ask, /reingest, the command tree: each id is in the log
    assert len(error_ids) == 6 and all(i in log_text for i in error_ids), error_ids
    assert " DEBUG " in log_text and " ERROR " in log_text and "Traceback (most recent call last)" in log_text
    assert "Incorrect API key provided: ****" in log_text  # the endpoint's echo, scrubbed
    assert "store exploded; token ****, key ****, chroma ****" in log_text
    assert "kaput **** ****" in log_text and "cannot read the folder with ****" in log_text
    record_figure("secret_scan_log_lines", len(lines))
    record_figure("secret_scan_replies", len(replies))
    record_figure("secret_scan_error_paths", len(error_ids))
