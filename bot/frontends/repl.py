"""`newsdesk repl`: ask questions at a prompt and inspect what retrieval found.

Interactive on a terminal (prompt_toolkit, with history in the store folder); with
piped input it answers one question per line. Commands start with ":".
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field
from typing import Callable, Iterable, TextIO

from ..answer import Answer
from ..chain import AnswerChain, AskOptions
from ..errors import log_failure
from ..language.dates import parse_user_date
from ..language.followups import resolved_question, topic_of
from ..retrieval.filters import KIND_CHOICES, SearchFilters
from ..settings import Settings
from .terminal import format_answer, format_passages, source_line

log = logging.getLogger("newsdesk.repl")

HELP = """Type a question, or a command:
  :passages        show the retrieved passages of the last question (dense, lexical, fused ranks)
  :passages on|off show them after every answer
  :k N             passages per answer (now {k})
  :since DATE      only coverage published on or after DATE (YYYY-MM-DD); ':since' alone clears
  :until DATE      only coverage published on or before DATE
  :kind article|comment|all   articles only, comments only, or both
  :source NAME     one outlet only; ':source' alone clears
  :settings        show the current filters
  :new             a new topic: the next question is not taken as a follow-up
  :help            this text
  :quit            leave (Ctrl-D works too)"""


@dataclass
class ReplState:
    """The REPL's current options and last answer."""

    k: int
    since: str | None = None
    until: str | None = None
    kinds: tuple[str, ...] | None = None
    sources: tuple[str, ...] | None = None
    show_passages: bool = False
    last: Answer | None = None
    notes: list[str] = field(default_factory=list)
    previous: str = ""  # the last question: a follow-up that refers back is asked of its subject

    def options(self) -> AskOptions:
        """The filters as the chain takes them, and the previous question as a follow-up's context."""
        filters = SearchFilters(since=self.since, until=self.until, kinds=self.kinds, sources=self.sources)
        return AskOptions(k=self.k, filters=filters, context=f"Q: {self.previous}" if self.previous else "")

    def describe(self) -> str:
        """The current settings, one line."""
        kind = "all" if not self.kinds else ",".join(self.kinds)
        return (f"k={self.k} since={self.since or '-'} until={self.until or '-'} kind={kind} "
                f"source={','.join(self.sources) if self.sources else 'all'} passages={'on' if self.show_passages else 'off'}")


def handle_command(line: str, state: ReplState) -> str | None:
    """Apply a ":command"; returns the text to print, or None to quit."""
    name, _, arg = line[1:].strip().partition(" ")
    arg = arg.strip()
    if name in ("q", "quit", "exit"):
        return None
    if name in ("h", "help", "?"):
        return HELP.format(k=state.k)
    if name == "passages":
        if arg in ("on", "off"):
            state.show_passages = arg == "on"
            return f"passages {arg}"
        if state.last is None:
            return "no question asked yet"
        return format_passages(state.last.passages)
    if name == "k":
        if not arg.isdigit() or not 1 <= int(arg) <= 50:
            return "usage: :k N (1 to 50)"
        state.k = int(arg)
        return f"k = {state.k}"
    if name in ("since", "until"):
        if not arg:
            setattr(state, name, None)
            return f"{name} cleared"
        try:
            setattr(state, name, parse_user_date(arg))
        except ValueError as exc:
            return str(exc)
        return f"{name} = {getattr(state, name)}"
    if name == "kind":
        if arg not in KIND_CHOICES:
            return "usage: :kind article|comment|all"
        state.kinds = KIND_CHOICES[arg]
        return f"kind = {arg}"
    if name == "source":
        state.sources = (arg,) if arg else None
        return f"source = {arg or 'all'}"
    if name == "settings":
        return state.describe()
    if name == "new":
        state.previous = ""
        return "new topic: the next question is not a follow-up"
    return f"unknown command :{name} (try :help)"


def answer_line(chain: AnswerChain, question: str, state: ReplState, write: Callable[[str], None]) -> None:
    """Answer one question, streaming an LLM's text as it comes."""
    final: Answer | None = None
    streamed = False
    options = state.options()
    asked = resolved_question(question, options.context)
    if asked != question:
        write(f"(a follow-up: asked as “{asked}”; :new starts a new topic)\n")
    for item in chain.stream(question, options):
        if isinstance(item, Answer):
            final = item
        else:
            write(item)
            streamed = True
    if final is None:
        return
    state.last = final
    state.previous = topic_of(question, options.context)  # (a follow-up keeps the question it followed up)
    if streamed and final.note:  # the model failed half-way: the fallback answer replaces its text
        write("\n\n" + format_answer(final) + "\n")
    elif streamed:
        write("\n\n")
        write("(checked) " + final.answer + "\n")
        if final.citations:
            write("Sources:\n" + "\n".join(source_line(c) for c in final.citations) + "\n")
    else:
        write(format_answer(final) + "\n")
    write(f"({final.timings.get('total_ms', 0):.0f} ms)\n")
    if state.show_passages:
        write(format_passages(final.passages) + "\n")


def run_lines(chain: AnswerChain, lines: Iterable[str], state: ReplState, out: TextIO,
              *, echo: bool = False) -> None:
    """The loop shared by the interactive and piped modes (piped input is echoed)."""
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if line.startswith(":"):
            reply = handle_command(line, state)
            if reply is None:
                return
            out.write(reply + "\n")
            continue
        if echo:
            out.write(f"\n> {line}\n")
        try:
            answer_line(chain, line, state, out.write)
        except Exception:  # one failed question (store, LLM endpoint) must not end the session
            error_id = log_failure(log, "answering failed")
            out.write(f"\nSorry, answering failed (error id {error_id}); the details are in the log.\n")
        out.flush()


def _interactive_lines(settings: Settings) -> Iterable[str]:
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory

    settings.store_dir.mkdir(parents=True, exist_ok=True)
    session: PromptSession = PromptSession(history=FileHistory(str(settings.store_dir / "repl_history")))
    while True:
        try:
            yield session.prompt("newsdesk> ")
        except KeyboardInterrupt:
            continue
        except EOFError:
            return


def run_repl(settings: Settings, chain: AnswerChain | None = None, *, stdin: TextIO | None = None,
             out: TextIO | None = None) -> None:
    """Start the REPL (interactive on a terminal, line by line when piped)."""
    from ..chain import build_chain

    stdin = stdin or sys.stdin
    out = out or sys.stdout
    chain = chain or build_chain(settings)
    state = ReplState(k=settings.top_k)
    interactive = stdin.isatty() and out.isatty()
    chain.warm_up()
    if interactive:
        out.write("Newsdesk — ask about the coverage. :help for commands, Ctrl-D to leave.\n")
        run_lines(chain, _interactive_lines(settings), state, out)
    else:
        run_lines(chain, stdin, state, out, echo=True)
