"""Newsdesk's answer chain and its front ends: the Discord bot, the REPL, `ask`."""
