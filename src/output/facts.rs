//! What the whole-document renderers (HTML, XLSX) share about the numbers they show: a
//! headline figure of `totals` ([`Figure`]) and its change against the previous period of the
//! same length ([`change`]), computed here once for every format that shows it.

use crate::reports::{Cell, Pct};

/// A number of the totals as a summary shows it: a count, or a rate (undefined without any
/// feedback to divide by).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Figure {
    /// A count.
    Count(i64),
    /// A percentage.
    Rate(Option<Pct>),
}

impl Figure {
    /// The figure a cell of a derived table holds ([`super::document::Table`]): a count or a
    /// percentage; `None` for any other kind of cell (or a missing count).
    pub(crate) fn of_cell(cell: &Cell) -> Option<Figure> {
        match cell {
            Cell::Int(Some(n)) => Some(Figure::Count(*n)),
            Cell::Pct(p) => Some(Figure::Rate(*p)),
            _ => None,
        }
    }

    /// The figure in words: the count, the rate with two decimals, or `n/a`.
    pub fn text(self) -> String {
        match self {
            Figure::Count(n) => n.to_string(),
            Figure::Rate(Some(p)) => p.format('.'),
            Figure::Rate(None) => "n/a".into(),
        }
    }
}

/// How a figure moved against the previous period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    /// A count's difference, the previous count, and the difference as a percentage of it
    /// (`None` when it was 0).
    Count {
        /// Now less before.
        delta: i64,
        /// The previous period's count.
        before: i64,
        /// `delta` as a percentage of `before`.
        relative: Option<Pct>,
    },
    /// A rate's difference in percentage points, and the previous rate.
    Points {
        /// Now less before.
        delta: Pct,
        /// The previous period's rate.
        before: Pct,
    },
}

impl Change {
    /// -1, 0 or 1: the direction of the change.
    pub(crate) fn direction(self) -> i64 {
        match self {
            Change::Count { delta, .. } => delta.signum(),
            Change::Points { delta, .. } => delta.0.signum(),
        }
    }
}

/// The change from `before` to `now`; `None` when there is none to compute (a rate
/// undefined in either period, or figures of different kinds).
pub(crate) fn change(now: Figure, before: Figure) -> Option<Change> {
    match (now, before) {
        (Figure::Count(a), Figure::Count(b)) => {
            Some(Change::Count { delta: a - b, before: b, relative: Pct::of(a - b, b) })
        }
        (Figure::Rate(Some(a)), Figure::Rate(Some(b))) => Some(Change::Points { delta: Pct(a.0 - b.0), before: b }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_of_counts_and_rates() {
        let c = change(Figure::Count(352), Figure::Count(340)).unwrap();
        assert_eq!(c, Change::Count { delta: 12, before: 340, relative: Some(Pct(353)) });
        assert_eq!(c.direction(), 1);
        assert_eq!(change(Figure::Count(3), Figure::Count(0)).unwrap().direction(), 1);
        let p = change(Figure::Rate(Some(Pct(5274))), Figure::Rate(Some(Pct(5010)))).unwrap();
        assert_eq!(p, Change::Points { delta: Pct(264), before: Pct(5010) });
        assert_eq!(change(Figure::Rate(None), Figure::Rate(Some(Pct(1)))), None);
        assert_eq!(change(Figure::Count(1), Figure::Rate(Some(Pct(1)))), None);
        assert_eq!(Figure::Rate(None).text(), "n/a");
        assert_eq!(Figure::of_cell(&Cell::Int(None)), None);
    }
}
