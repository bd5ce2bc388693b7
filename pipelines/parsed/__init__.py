"""Parsed: workbooks turned into cells with provenance. Every Excel quirk stays inside this package."""
