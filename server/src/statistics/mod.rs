//! Aggregate transparency statistics for the privacy lead and regulators: accesses by role,
//! data category and reason, the share without a reason or ticket, and how disputes went.
//! Counts only; no single customer can be told from them.

pub mod export;
pub mod view;

use std::collections::BTreeMap;

use chrono::{NaiveDateTime, TimeZone, Utc};

use app::dto::statistics::{
    AccessFigures, Combination, Count, DisputeFigures, RoleExplanation, StatisticsFigures,
};
use app::i18n::Lang;

use crate::db::{access_counts, access_event, dispute, lookup, AnyConnection};
use crate::display::Labeller;
use crate::domain::time::{local_date, FALLBACK_TIME_ZONE};
use crate::domain::{DisputeStatus, ReportPeriod};
use crate::error::AppError;
use crate::web::routes::{Access, Routes};

pub fn routes(routes: &mut Routes) {
    routes.get("/staff/statistics/export", Access::Staff, export::export);
}

pub const STATISTICS_FORMAT: &str = "einblick.statistics.v1";

/// The reason code of accesses that give none.
const NO_REASON: &str = "none";

pub fn build(
    conn: &mut AnyConnection,
    period: ReportPeriod,
    lang: Lang,
    now: NaiveDateTime,
) -> Result<StatisticsFigures, AppError> {
    let (start, end) = period.utc_bounds(FALLBACK_TIME_ZONE);
    let whole_hours = access_counts::is_whole_hour(start) && access_counts::is_whole_hour(end);
    let groups = if whole_hours {
        access_counts::counts_between(conn, start, end)?
    } else {
        access_event::counts_for_statistics(conn, start, end)?
    };
    let lookups = lookup::load_all(conn)?;
    let labels = Labeller::new(&lookups, lang);
    let count = |code: &str, label: String, n: u64| Count {
        code: code.to_owned(),
        label,
        count: n,
    };

    let (mut by_role, mut by_category, mut by_reason) =
        (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
    let (mut total, mut without_reason, mut without_ticket) = (0u64, 0u64, 0u64);
    let mut combinations = Vec::with_capacity(groups.len());
    for (role, category, reason, accesses, with_ticket) in groups {
        let accesses = u64::try_from(accesses).unwrap_or(0);
        let no_ticket = accesses.saturating_sub(u64::try_from(with_ticket).unwrap_or(0));
        total += accesses;
        without_ticket += no_ticket;
        if reason == NO_REASON {
            without_reason += accesses;
        }
        *by_role.entry(role.clone()).or_insert(0) += accesses;
        *by_category.entry(category.clone()).or_insert(0) += accesses;
        *by_reason.entry(reason.clone()).or_insert(0) += accesses;
        combinations.push(Combination {
            role: labels.role(&role).0,
            category: labels.category(&category),
            reason: labels.reason(&reason),
            count: accesses,
            without_ticket: no_ticket,
        });
    }
    combinations.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.role.label.cmp(&b.role.label))
    });
    let ranked = |map: BTreeMap<String, u64>, label: &dyn Fn(&str) -> String| {
        let mut counts: Vec<Count> = map
            .into_iter()
            .map(|(code, n)| count(&code, label(&code), n))
            .collect();
        counts.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.label.cmp(&b.label)));
        counts
    };
    let permille = |part: u64| (part * 1000).checked_div(total).unwrap_or(0);
    // Judged accesses only: one not judged yet is neither explained nor flagged.
    let mut judged: BTreeMap<String, (u64, u64, u64)> = BTreeMap::new();
    let judged_counts = if whole_hours {
        crate::db::explanation_counts::counts_between(conn, start, end)?
    } else {
        crate::db::explanation::counts_by_role(conn, start, end)?
    };
    for (role, state, n) in judged_counts {
        let n = u64::try_from(n).unwrap_or(0);
        let entry = judged.entry(role).or_default();
        entry.0 += n;
        match state.as_str() {
            "explained" | "appropriate" => entry.1 += n,
            "flagged" | "violation" => entry.2 += n,
            _ => {}
        }
    }
    let (judged_total, explained_total) = judged
        .values()
        .fold((0, 0), |(t, e), (n, explained, _)| (t + n, e + explained));
    let mut explanation_by_role: Vec<RoleExplanation> = judged
        .into_iter()
        .map(|(role, (n, explained, flagged))| RoleExplanation {
            role: labels.role(&role).0,
            accesses: n,
            explained_permille: (explained * 1000).checked_div(n).unwrap_or(0),
            flags_per_thousand: (flagged * 1000).checked_div(n).unwrap_or(0),
        })
        .collect();
    explanation_by_role.sort_by(|a, b| {
        b.flags_per_thousand
            .cmp(&a.flags_per_thousand)
            .then_with(|| a.role.label.cmp(&b.role.label))
    });
    let accesses = AccessFigures {
        explained_permille: (explained_total * 1000)
            .checked_div(judged_total)
            .unwrap_or(0),
        explanation_by_role,
        total,
        without_reason,
        without_reason_permille: permille(without_reason),
        without_ticket,
        without_ticket_permille: permille(without_ticket),
        by_role: ranked(by_role, &|c| labels.role(c).0.label),
        by_category: ranked(by_category, &|c| labels.category(c).label),
        by_reason: ranked(by_reason, &|c| labels.reason(c).label),
        combinations,
    };

    Ok(StatisticsFigures {
        format: STATISTICS_FORMAT.to_owned(),
        language: lang.code().to_owned(),
        generated_at: Utc
            .from_utc_datetime(&now)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        period_from: period.from.to_string(),
        period_to: period.to.to_string(),
        accesses,
        disputes: dispute_figures(conn, start, end, now)?,
    })
}

fn dispute_figures(
    conn: &mut AnyConnection,
    start: NaiveDateTime,
    end: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<DisputeFigures, AppError> {
    let within = |at: NaiveDateTime| at >= start && at < end;
    let today = local_date(now, FALLBACK_TIME_ZONE);
    let mut figures = DisputeFigures {
        opened: 0,
        upheld: 0,
        rejected: 0,
        withdrawn: 0,
        median_tenths_of_days_to_answer: None,
        p90_tenths_of_days_to_answer: None,
        overdue_open: 0,
        answered_late: 0,
    };
    let mut answer_times = Vec::new();
    for row in dispute::for_statistics(conn, start, end)? {
        if within(row.received_at) {
            figures.opened += 1;
        }
        let status = row.status();
        let due_on = row.deadline().due_on();
        match (status, row.decided_at) {
            (DisputeStatus::Upheld | DisputeStatus::Rejected, Some(decided_at))
                if within(decided_at) =>
            {
                if status == DisputeStatus::Upheld {
                    figures.upheld += 1;
                } else {
                    figures.rejected += 1;
                }
                let seconds = (decided_at - row.received_at).num_seconds().max(0);
                answer_times.push(u64::try_from(seconds).unwrap_or(0) * 10 / 86_400);
                if local_date(decided_at, FALLBACK_TIME_ZONE) > due_on {
                    figures.answered_late += 1;
                }
            }
            (DisputeStatus::Withdrawn, _) if within(row.updated_at) => figures.withdrawn += 1,
            _ if !status.is_closed() && due_on < today => figures.overdue_open += 1,
            _ => {}
        }
    }
    answer_times.sort_unstable();
    figures.median_tenths_of_days_to_answer = nearest_rank(&answer_times, 50);
    figures.p90_tenths_of_days_to_answer = nearest_rank(&answer_times, 90);
    Ok(figures)
}

/// The nearest-rank percentile of sorted values: the smallest value with at least
/// `percent` % of all values at or below it.
pub fn nearest_rank(sorted: &[u64], percent: usize) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (percent * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

#[cfg(test)]
mod tests {
    use super::nearest_rank;

    #[test]
    fn nearest_rank_percentiles() {
        assert_eq!(nearest_rank(&[], 50), None);
        assert_eq!(nearest_rank(&[7], 90), Some(7));
        let values: Vec<u64> = (1..=10).collect();
        assert_eq!(nearest_rank(&values, 50), Some(5));
        assert_eq!(nearest_rank(&values, 90), Some(9));
        assert_eq!(nearest_rank(&[1, 2, 3, 4, 100], 90), Some(100));
    }
}
