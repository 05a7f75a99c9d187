"""Click option callbacks shared by the commands (cli.py and the screening command register on one group)."""

from __future__ import annotations

import datetime as dt

import click

EARLIEST_YEAR = 1900  # an as-of date earlier than this is a typo; later ones before a birth date warn per patient


def as_of_date(_ctx: click.Context, _p: click.Parameter, value: str | None) -> dt.date:
    """``--as-of YYYY-MM-DD``; today when absent (the clock is read here, at the edge, never in the core)."""
    if value is None:
        return dt.date.today()
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("expected YYYY-MM-DD") from None
    if day.year < EARLIEST_YEAR:
        raise click.BadParameter(f"{value} is before {EARLIEST_YEAR}: no patient record is that old")
    return day
