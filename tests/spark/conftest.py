"""One local Spark (``local[2]``) for every Spark test: starting one costs seconds of JVM start-up."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from typing import Any

import pytest

HAVE_PYSPARK = importlib.util.find_spec("pyspark") is not None


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    if not HAVE_PYSPARK:
        pytest.skip("pyspark is not installed (pip install -e '.[spark]'; CI installs it)")
    from fhir_eligibility.spark.session import start_session

    session = start_session("local[2]", {"spark.default.parallelism": "4"})
    yield session
    session.stop()


@pytest.fixture
def small_splits(spark: Any) -> Iterator[Any]:
    """The session with input files cut into 1 KB splits: a file's lines spread over partitions."""
    spark.conf.set("spark.sql.files.maxPartitionBytes", "1024")
    yield spark
    spark.conf.unset("spark.sql.files.maxPartitionBytes")
