"""Received: every file dropped in the inputs folder, hashed and archived before anything reads it."""
