"""The freshness check's words: how long ago a source was pulled, never an empty duration."""

from odc_pipeline.freshness import ago, freshness


def test_durations_read_as_people_say_them():
    assert ago(0.2) == "just now"
    assert ago(1) == "1 second"
    assert ago(59) == "59 seconds"
    assert ago(3 * 3600 + 120) == "3 hours, 2 minutes"
    assert ago(2 * 86_400 + 3600 + 61) == "2 days, 1 hour"


def test_the_verdict_says_when_and_what_was_expected():
    assert freshness(0.3, 36).text == (
        "pulled just now; expected at least every 36 hours (expected_refresh_hours)"
    )
    late = freshness(40 * 3600, 36)
    assert not late.passed
    assert late.text.startswith("last pulled 1 day, 16 hours ago; expected at least every 36")
    assert "nightly pull" in late.text
    assert not freshness(None, 36).passed
