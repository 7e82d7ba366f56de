"""Runs the whole platform locally with one command (`make run`): see `launcher.__main__`."""
