"""The readers' timestamp text is DRF's, for any instant and in any active time zone."""

import datetime as dt
import zoneinfo

from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st
from rest_framework import serializers

from api.readers import datetime_text

DRF = serializers.DateTimeField()
instants = st.datetimes(min_value=dt.datetime(1970, 1, 2), max_value=dt.datetime(2099, 12, 31),
                        timezones=st.sampled_from([dt.UTC, zoneinfo.ZoneInfo("Asia/Shanghai"),
                                                   zoneinfo.ZoneInfo("America/New_York")]))


@given(instants)
def test_an_aware_timestamp_reads_as_drf_writes_it(value):
    assert datetime_text(value) == DRF.to_representation(value)


@given(instants, st.sampled_from(["UTC", "Asia/Shanghai", "Europe/London"]))
def test_the_active_time_zone_is_drfs_too(value, zone):
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        assert datetime_text(value) == DRF.to_representation(value)


def test_utc_reads_with_a_z_and_microseconds_only_when_there_are_some():
    with timezone.override(dt.UTC):
        assert datetime_text(dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.UTC)) == "2026-12-02T08:00:00Z"
        assert datetime_text(dt.datetime(2026, 12, 2, 8, 0, 0, 5, tzinfo=dt.UTC)) == "2026-12-02T08:00:00.000005Z"


def test_none_stays_none():
    assert datetime_text(None) is None
