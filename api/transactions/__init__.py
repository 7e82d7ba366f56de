"""Unsigned transactions for wallets: ABIs, revert words, simulation, and each action's plan."""
