//! The period a report covers: the window on `feedback_timestamp`, ISO weeks in a zone
//! (Monday 00:00 local, daylight-saving weeks and week 53 included), the previous period of
//! the same length, and the range of instants both backends represent. Domain types only:
//! `config` turns command-line values into them.

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

use crate::error::{Error, Result};

/// The earliest instant a window bound or a seeded timestamp may be: 0001-01-01T00:00:00Z.
/// PostgreSQL has no year 0, and SQLite compares timestamps as RFC 3339 text, which orders
/// correctly only with four-digit years.
pub(crate) fn earliest_instant() -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(1, 1, 1).expect("a valid date").and_time(NaiveTime::MIN).and_utc()
}

/// The latest instant a window bound or a seeded timestamp may be: 9999-12-31T23:59:59.999999Z
/// (see [`earliest_instant`]).
pub(crate) fn latest_instant() -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(10_000, 1, 1).expect("a valid date").and_time(NaiveTime::MIN).and_utc()
        - Duration::microseconds(1)
}

/// The time window of a report on `expert_feedback.feedback_timestamp`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// Inclusive lower bound.
    pub since: Option<DateTime<Utc>>,
    /// Exclusive upper bound.
    pub until: Option<DateTime<Utc>>,
    /// Zone for dates and week boundaries.
    pub tz: Tz,
}

impl Window {
    /// No bounds: every row counts, including rows with a NULL timestamp.
    pub fn all(tz: Tz) -> Self {
        Window { since: None, until: None, tz }
    }

    /// True when a bound is set (rows with a NULL timestamp are then out).
    pub(crate) fn is_bounded(&self) -> bool {
        self.since.is_some() || self.until.is_some()
    }

    /// The Monday of the ISO week this window is exactly (Monday 00:00 to the next Monday
    /// 00:00 in its zone), if it is one.
    pub(crate) fn iso_week(&self) -> Option<NaiveDate> {
        let (since, until) = (self.since?, self.until?);
        let monday = since.with_timezone(&self.tz).date_naive();
        let is_week = monday.weekday() == Weekday::Mon
            && local_midnight(monday, self.tz) == since
            && local_midnight(monday + Duration::days(7), self.tz) == until;
        is_week.then_some(monday)
    }

    /// The `weeks` ISO weeks (in this zone) that end with the week holding this window's last
    /// instant, up to the window's end: the span `--trend-weeks` gives the weekly section.
    /// A usage error naming the reason for a window without an end, or when the first of those
    /// weeks would start before the earliest instant (with the most weeks that fit).
    pub fn trend(&self, weeks: u32) -> Result<Window> {
        let until = self.until.ok_or_else(|| {
            Error::Usage("--trend-weeks needs a window with an end: add --last-week, --week or --until".into())
        })?;
        let last_monday = week_start(until - Duration::microseconds(1), self.tz).with_timezone(&self.tz).date_naive();
        let starts = |n: u32| {
            last_monday
                .checked_sub_signed(Duration::weeks(i64::from(n) - 1))
                .map(|m| local_midnight(m, self.tz))
                .filter(|since| *since >= earliest_instant())
        };
        match starts(weeks) {
            Some(since) => Ok(Window { since: Some(since), until: Some(until), tz: self.tz }),
            None => {
                let fit = (1..weeks).rev().find(|&n| starts(n).is_some()).unwrap_or(0);
                Err(Error::Usage(format!(
                    "--trend-weeks {weeks} would start before 0001-01-01T00:00:00Z, the earliest instant faqlink \
                     reads: at most {fit} week(s) end with this window's last week"
                )))
            }
        }
    }

    /// The previous period of the same length, for a window bounded on both sides: the
    /// previous ISO week (local midnights) for a one-week window, else `since - (until -
    /// since)` to `since`.
    pub fn previous(&self) -> Option<Window> {
        let (since, until) = (self.since?, self.until?);
        let (since, until) = match self.iso_week() {
            Some(monday) => (local_midnight(monday - Duration::days(7), self.tz), since),
            None => (since - (until - since), since),
        };
        Some(Window { since: Some(since), until: Some(until), tz: self.tz })
    }
}

/// The start (Monday 00:00 local, as a UTC instant) of the ISO week containing `t` in `tz`.
pub(crate) fn week_start(t: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
    let local = t.with_timezone(&tz).date_naive();
    let monday = local - Duration::days(local.weekday().num_days_from_monday() as i64);
    local_midnight(monday, tz)
}

/// Midnight of `date` in `tz` as a UTC instant. Where midnight does not exist (a DST gap at
/// 00:00), the first existing instant of that day; where it is ambiguous, the earlier one.
pub fn local_midnight(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let mut t = date.and_time(NaiveTime::MIN);
    for _ in 0..=96 {
        match tz.from_local_datetime(&t) {
            LocalResult::Single(x) => return x.with_timezone(&Utc),
            LocalResult::Ambiguous(a, _) => return a.with_timezone(&Utc),
            LocalResult::None => t += Duration::minutes(15),
        }
    }
    // No zone has a gap of a whole day; fall back to reading the date as UTC.
    date.and_time(NaiveTime::MIN).and_utc()
}

/// The `YYYY-Www` label of the ISO week containing `date`.
pub fn iso_week_label(date: NaiveDate) -> String {
    let w = date.iso_week();
    // Four digits at least, as ISO 8601 and the `YYYY-Www` contract have it (0999-W01).
    format!("{:04}-W{:02}", w.year(), w.week())
}

/// Environment variable that fixes "now" (RFC 3339), for reproducible `--last-week` runs and tests.
pub(crate) const NOW_ENV: &str = "FAQLINK_NOW";

/// "Now": `$FAQLINK_NOW` when set (RFC 3339), else the clock.
pub(crate) fn now() -> Result<DateTime<Utc>> {
    match std::env::var(NOW_ENV) {
        Ok(v) => DateTime::parse_from_rfc3339(&v)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| Error::Usage(format!("${NOW_ENV}: {} is not an RFC 3339 time", crate::error::typed(&v)))),
        Err(_) => Ok(Utc::now()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previous_period_of_the_same_length() {
        let rome: Tz = "Europe/Rome".parse().unwrap();
        let monday = NaiveDate::from_ymd_opt(2026, 10, 26).unwrap();
        // The week after the DST change: the week before it lasts 169 hours, not 168.
        let week = Window {
            since: Some(local_midnight(monday, rome)),
            until: Some(local_midnight(monday + Duration::days(7), rome)),
            tz: rome,
        };
        assert_eq!(week.iso_week(), Some(monday));
        let prev = week.previous().unwrap();
        assert_eq!(week.since.unwrap().to_rfc3339(), "2026-10-25T23:00:00+00:00");
        assert_eq!(prev.since.unwrap().to_rfc3339(), "2026-10-18T22:00:00+00:00");
        assert_eq!(prev.until, week.since);
        assert_eq!(prev.iso_week(), NaiveDate::from_ymd_opt(2026, 10, 19));
        let days = Window { since: week.since, until: Some(week.since.unwrap() + Duration::days(3)), tz: rome };
        assert_eq!(days.iso_week(), None);
        let prev = days.previous().unwrap();
        assert_eq!(prev.until, days.since);
        assert_eq!(prev.since.unwrap(), days.since.unwrap() - Duration::days(3));
        assert_eq!(Window { until: None, ..week }.previous(), None);
    }

    #[test]
    fn iso_labels_have_four_digit_years() {
        for (y, label) in [(1, "0001-W01"), (999, "0999-W01"), (2026, "2026-W01")] {
            // The Thursday of ISO week 1 is in the year itself.
            let d = NaiveDate::from_isoywd_opt(y, 1, Weekday::Thu).unwrap();
            assert_eq!(iso_week_label(d), label);
        }
    }

    #[test]
    fn a_trend_ends_with_the_window_s_last_week() {
        let rome: Tz = "Europe/Rome".parse().unwrap();
        let monday = NaiveDate::from_ymd_opt(2026, 11, 16).unwrap();
        let w47 = Window {
            since: Some(local_midnight(monday, rome)),
            until: Some(local_midnight(monday + Duration::days(7), rome)),
            tz: rome,
        };
        let trend = w47.trend(12).unwrap();
        // Twelve Mondays back across the end of summer time: 2026-08-31 00:00 CEST.
        assert_eq!(trend.since.unwrap().to_rfc3339(), "2026-08-30T22:00:00+00:00");
        assert_eq!(trend.until, w47.until);
        assert_eq!(w47.trend(1).unwrap(), w47);
        // Early weeks: the reason is the range, with the most weeks that fit.
        let early = Window {
            since: Some(local_midnight(NaiveDate::from_ymd_opt(1, 1, 8).unwrap(), chrono_tz::UTC)),
            until: Some(local_midnight(NaiveDate::from_ymd_opt(1, 1, 15).unwrap(), chrono_tz::UTC)),
            tz: chrono_tz::UTC,
        };
        assert_eq!(early.trend(2).unwrap().since, Some(earliest_instant()));
        let refused = early.trend(3).unwrap_err().to_string();
        assert!(refused.contains("before 0001-01-01") && refused.contains("at most 2 week"), "{refused}");
        // A window ending mid-week: its week counts as the last one.
        let mid = Window { until: Some(w47.until.unwrap() - Duration::days(3)), ..w47.clone() };
        assert_eq!(mid.trend(2).unwrap().since, Some(local_midnight(monday - Duration::days(7), rome)));
        let open = Window { until: None, ..w47 }.trend(4).unwrap_err().to_string();
        assert!(open.contains("needs a window with an end"), "{open}");
    }
}
