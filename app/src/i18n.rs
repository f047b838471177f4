//! Every user-facing string, in German and English. A missing translation is a compile error:
//! both languages are one `Texts` value each, with the same fields.

use serde::{Deserialize, Serialize};

pub mod account;
pub mod admin;
pub mod backoffice;
pub mod disputes;
pub mod explanations;
pub mod notifications;
pub mod regulator;
pub mod reports;
pub mod statistics;

pub const LANG_COOKIE: &str = "einblick_lang";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum Lang {
    /// The first market is German-speaking, so German is the fallback.
    #[default]
    De,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::De, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::De => "de",
            Lang::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        match code.trim().to_ascii_lowercase().as_str() {
            "de" => Some(Lang::De),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// Picks the first supported language of an `Accept-Language` header, honouring q-values.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(Lang, f32)> = None;
        for part in header.split(',') {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next().unwrap_or("").trim();
            let quality = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or("");
            if let Some(lang) = Lang::parse(primary) {
                if quality > 0.0 && best.is_none_or(|(_, q)| quality > q) {
                    best = Some((lang, quality));
                }
            }
        }
        best.map(|(lang, _)| lang)
    }

    /// The language's own name, for the switch.
    pub fn endonym(self) -> &'static str {
        match self {
            Lang::De => "Deutsch",
            Lang::En => "English",
        }
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::De => &DE,
            Lang::En => &EN,
        }
    }

    pub fn disputes(self) -> &'static disputes::DisputeTexts {
        match self {
            Lang::De => &disputes::DE,
            Lang::En => &disputes::EN,
        }
    }

    pub fn regulator(self) -> &'static regulator::RegulatorTexts {
        match self {
            Lang::De => &regulator::DE,
            Lang::En => &regulator::EN,
        }
    }

    pub fn statistics(self) -> &'static statistics::StatisticsTexts {
        match self {
            Lang::De => &statistics::DE,
            Lang::En => &statistics::EN,
        }
    }

    pub fn notifications(self) -> &'static notifications::NotificationTexts {
        match self {
            Lang::De => &notifications::DE,
            Lang::En => &notifications::EN,
        }
    }

    pub fn reports(self) -> &'static reports::ReportTexts {
        match self {
            Lang::De => &reports::DE,
            Lang::En => &reports::EN,
        }
    }

    pub fn account(self) -> &'static account::AccountTexts {
        match self {
            Lang::De => &account::DE,
            Lang::En => &account::EN,
        }
    }

    pub fn explanations(self) -> &'static explanations::ExplanationTexts {
        match self {
            Lang::De => &explanations::DE,
            Lang::En => &explanations::EN,
        }
    }

    pub fn admin(self) -> &'static admin::AdminTexts {
        match self {
            Lang::De => &admin::DE,
            Lang::En => &admin::EN,
        }
    }

    pub fn backoffice(self) -> &'static backoffice::BackofficeTexts {
        match self {
            Lang::De => &backoffice::DE,
            Lang::En => &backoffice::EN,
        }
    }
}

pub struct Texts {
    pub app_name: &'static str,
    pub tagline: &'static str,
    pub skip_to_content: &'static str,
    pub language_label: &'static str,
    pub switch_language: &'static str,
    pub sign_out: &'static str,
    pub signed_in_as: &'static str,

    pub login_title: &'static str,
    pub login_intro: &'static str,
    pub email_label: &'static str,
    pub password_label: &'static str,
    pub login_button: &'static str,
    pub login_invalid: &'static str,
    pub login_rate_limited: &'static str,
    pub login_missing_fields: &'static str,
    pub session_expired: &'static str,
    pub signed_out: &'static str,
    pub too_many_attempts_title: &'static str,
    pub back_to_login: &'static str,
    pub cross_origin_refused: &'static str,

    pub timeline_title: &'static str,
    pub timeline_intro: &'static str,
    pub coverage_since: &'static str,
    pub coverage_systems: &'static str,
    pub coverage_empty: &'static str,
    pub times_in_zone: &'static str,
    /// `{names}`: the witnesses that cosigned the log's newest witnessed checkpoint.
    pub witnessed_by: &'static str,
    pub roles_not_names: &'static str,
    pub filters_legend: &'static str,
    pub filter_from: &'static str,
    pub filter_to: &'static str,
    pub filter_category: &'static str,
    pub filter_role: &'static str,
    pub filter_reason: &'static str,
    pub filter_any: &'static str,
    pub apply_filters: &'static str,
    pub clear_filters: &'static str,
    pub show_older: &'static str,
    pub back_to_newest: &'static str,
    pub loading: &'static str,
    pub empty_title: &'static str,
    pub empty_body: &'static str,
    pub empty_filtered_title: &'static str,
    pub empty_filtered_body: &'static str,
    pub error_title: &'static str,
    pub error_unavailable: &'static str,
    pub error_invalid_filter: &'static str,
    pub error_invalid_cursor: &'static str,
    pub retry: &'static str,
    pub entries_on_day_one: &'static str,
    pub entries_on_day_many: &'static str,
    pub entry_data: &'static str,
    pub entry_reason: &'static str,
    pub entry_ticket: &'static str,
    pub entry_system: &'static str,
    pub entry_team_hidden: &'static str,
    pub role_more: &'static str,
    /// The link to an entry's proof bundle, and what it proves.
    pub verify_entry: &'static str,
    /// Said once above the timeline's entries, for every entry's proof link.
    pub verify_entries_hint: &'static str,
    /// The link to the whole timeline's proof bundle, and what it proves.
    pub verify_timeline: &'static str,
    pub verify_timeline_hint: &'static str,
    pub no_reason_given: &'static str,
    pub unknown_role: &'static str,
    pub unknown_category: &'static str,
    pub unknown_reason: &'static str,

    pub action_view: &'static str,
    pub action_search: &'static str,
    pub action_export: &'static str,
    pub action_modify: &'static str,
    pub action_delete: &'static str,

    pub not_found_title: &'static str,
    pub not_found_body: &'static str,
    pub to_start: &'static str,
    pub footer_note: &'static str,

    pub weekdays: [&'static str; 7],
    pub months: [&'static str; 12],
}

impl Texts {
    pub fn action_label(&self, action: &str) -> String {
        match action {
            "view" => self.action_view.to_owned(),
            "search" => self.action_search.to_owned(),
            "export" => self.action_export.to_owned(),
            "modify" => self.action_modify.to_owned(),
            "delete" => self.action_delete.to_owned(),
            other => other.to_owned(),
        }
    }

    /// "Freitag, 27. November 2026" / "Friday, 27 November 2026".
    pub fn long_date(&self, date: chrono::NaiveDate) -> String {
        use chrono::Datelike;
        let weekday = self.weekdays[date.weekday().num_days_from_monday() as usize];
        let month = self.months[date.month0() as usize];
        if std::ptr::eq(self, &DE) {
            format!("{weekday}, {}. {month} {}", date.day(), date.year())
        } else {
            format!("{weekday}, {} {month} {}", date.day(), date.year())
        }
    }

    /// "27. November 2026" / "27 November 2026".
    pub fn short_date(&self, date: chrono::NaiveDate) -> String {
        use chrono::Datelike;
        let month = self.months[date.month0() as usize];
        if std::ptr::eq(self, &DE) {
            format!("{}. {month} {}", date.day(), date.year())
        } else {
            format!("{} {month} {}", date.day(), date.year())
        }
    }

    pub fn entries_on_day(&self, count: usize) -> String {
        let template = if count == 1 {
            self.entries_on_day_one
        } else {
            self.entries_on_day_many
        };
        template.replace("{n}", &count.to_string())
    }
}

pub static DE: Texts = Texts {
    app_name: "Einblick",
    tagline: "Wer hat meine Daten angesehen – und warum?",
    skip_to_content: "Zum Inhalt springen",
    language_label: "Sprache",
    switch_language: "Sprache wechseln",
    sign_out: "Abmelden",
    signed_in_as: "Angemeldet als",

    login_title: "Anmelden",
    login_intro: "Melden Sie sich mit Ihrem Kundenkonto an, um zu sehen, welche Mitarbeitenden-Rollen wann und warum auf Ihre Daten zugegriffen haben.",
    email_label: "E-Mail-Adresse",
    password_label: "Passwort",
    login_button: "Anmelden",
    login_invalid: "E-Mail-Adresse oder Passwort ist nicht korrekt. Bitte prüfen Sie Ihre Eingabe.",
    login_rate_limited: "Zu viele fehlgeschlagene Anmeldeversuche. Bitte warten Sie {minutes} Minuten und versuchen Sie es dann erneut.",
    login_missing_fields: "Bitte geben Sie E-Mail-Adresse und Passwort ein.",
    session_expired: "Bitte melden Sie sich an. Ihre Sitzung ist abgelaufen oder Sie waren nicht angemeldet.",
    signed_out: "Sie wurden abgemeldet.",
    too_many_attempts_title: "Zu viele Anmeldeversuche",
    back_to_login: "Zurück zur Anmeldung",
    cross_origin_refused: "Diese Anfrage kam von einer anderen Website und wurde aus Sicherheitsgründen abgelehnt. Bitte öffnen Sie Einblick direkt und versuchen Sie es erneut.",

    timeline_title: "Zugriffe auf Ihre Daten",
    timeline_intro: "Jeder Eintrag zeigt, welche Rolle bei uns auf welche Ihrer Daten zugegriffen hat, wann und mit welchem angegebenen Grund.",
    coverage_since: "Dieses Protokoll umfasst Zugriffe seit dem {date}.",
    coverage_systems: "Erfasste Systeme:",
    coverage_empty: "Es wurden noch keine Zugriffe erfasst.",
    times_in_zone: "Alle Zeiten in der Zeitzone {zone}.",
    witnessed_by: "Bezeugt von {names}: Diese unabhängigen Stellen bestätigen mit ihrer Signatur, dass das Protokoll nur fortgeschrieben wird und allen Kundinnen und Kunden gleich gezeigt wird.",
    roles_not_names: "Wir zeigen die Rolle der Mitarbeitenden, nicht ihre Namen.",
    filters_legend: "Einträge filtern",
    filter_from: "Von",
    filter_to: "Bis",
    filter_category: "Datenart",
    filter_role: "Rolle",
    filter_reason: "Grund",
    filter_any: "Alle",
    apply_filters: "Filter anwenden",
    clear_filters: "Filter zurücksetzen",
    show_older: "Ältere Einträge anzeigen",
    back_to_newest: "Zu den neuesten Einträgen",
    loading: "Einträge werden geladen …",
    empty_title: "Noch keine Zugriffe",
    empty_body: "Bisher hat niemand bei uns auf Ihre Daten zugegriffen. Sobald das geschieht, sehen Sie es hier.",
    empty_filtered_title: "Keine passenden Einträge",
    empty_filtered_body: "Für diese Filter gibt es keine Zugriffe. Ändern Sie den Zeitraum oder setzen Sie die Filter zurück.",
    error_title: "Das Protokoll konnte nicht geladen werden",
    error_unavailable: "Der Dienst ist gerade nicht erreichbar. Bitte versuchen Sie es in einigen Minuten erneut.",
    error_invalid_filter: "Der Filter „{field}“ hat einen ungültigen Wert. Bitte korrigieren Sie ihn oder setzen Sie die Filter zurück.",
    error_invalid_cursor: "Der Link zum Blättern ist ungültig oder veraltet. Bitte beginnen Sie bei den neuesten Einträgen.",
    retry: "Erneut versuchen",
    entries_on_day_one: "1 Zugriff",
    entries_on_day_many: "{n} Zugriffe",
    entry_data: "Daten",
    entry_reason: "Grund",
    entry_ticket: "Vorgang",
    entry_system: "System",
    entry_team_hidden: "Name der Person wird nicht angezeigt",
    role_more: "Was macht diese Rolle?",
    verify_entry: "Nachweis herunterladen",
    verify_entries_hint: "„Nachweis herunterladen“ gibt Ihnen zu jedem Eintrag eine Datei, die jede und jeder prüfen kann: Sie belegt, dass der Eintrag unverändert im signierten, nur fortschreibbaren Zugriffsprotokoll steht.",
    verify_timeline: "Nachweis der ganzen Historie herunterladen",
    verify_timeline_hint: "Ein Nachweis, dass Ihre Zugriffshistorie vollständig ist: Jeder Eintrag nennt den vorherigen, so fällt ein fehlender auf.",
    no_reason_given: "Kein Grund angegeben",
    unknown_role: "Rolle ohne Beschreibung ({code})",
    unknown_category: "Sonstige Daten ({code})",
    unknown_reason: "Sonstiger Grund ({code})",

    action_view: "Angesehen",
    action_search: "Gesucht",
    action_export: "Exportiert",
    action_modify: "Geändert",
    action_delete: "Gelöscht",

    not_found_title: "Seite nicht gefunden",
    not_found_body: "Diese Seite gibt es nicht. Vielleicht hilft der Weg zurück zum Anfang.",
    to_start: "Zur Startseite",
    footer_note: "Einblick macht jeden Zugriff unserer Mitarbeitenden auf Ihre Daten sichtbar.",

    weekdays: ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"],
    months: [
        "Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
        "November", "Dezember",
    ],
};

pub static EN: Texts = Texts {
    app_name: "Einblick",
    tagline: "Who looked at my data — and why?",
    skip_to_content: "Skip to content",
    language_label: "Language",
    switch_language: "Switch language",
    sign_out: "Sign out",
    signed_in_as: "Signed in as",

    login_title: "Sign in",
    login_intro: "Sign in with your customer account to see which employee roles accessed your data, when, and why.",
    email_label: "Email address",
    password_label: "Password",
    login_button: "Sign in",
    login_invalid: "The email address or password is not correct. Please check what you entered.",
    login_rate_limited: "Too many failed sign-in attempts. Please wait {minutes} minutes and try again.",
    login_missing_fields: "Please enter your email address and password.",
    session_expired: "Please sign in. Your session has expired or you were not signed in.",
    signed_out: "You have been signed out.",
    too_many_attempts_title: "Too many sign-in attempts",
    back_to_login: "Back to sign-in",
    cross_origin_refused: "This request came from another website and was refused for your security. Please open Einblick directly and try again.",

    timeline_title: "Accesses to your data",
    timeline_intro: "Each entry shows which role at our company accessed which of your data, when, and the reason they gave.",
    coverage_since: "This log covers accesses since {date}.",
    coverage_systems: "Systems covered:",
    coverage_empty: "No accesses have been recorded yet.",
    times_in_zone: "All times in the {zone} time zone.",
    witnessed_by: "Witnessed by {names}: these independent parties confirm with their signatures that the log is only ever appended to and shown alike to every customer.",
    roles_not_names: "We show employees' roles, not their names.",
    filters_legend: "Filter entries",
    filter_from: "From",
    filter_to: "To",
    filter_category: "Kind of data",
    filter_role: "Role",
    filter_reason: "Reason",
    filter_any: "All",
    apply_filters: "Apply filters",
    clear_filters: "Clear filters",
    show_older: "Show older entries",
    back_to_newest: "Back to the newest entries",
    loading: "Loading entries …",
    empty_title: "No accesses yet",
    empty_body: "Nobody at our company has accessed your data so far. When someone does, you will see it here.",
    empty_filtered_title: "No matching entries",
    empty_filtered_body: "There are no accesses for these filters. Change the period or clear the filters.",
    error_title: "The log could not be loaded",
    error_unavailable: "The service is unavailable right now. Please try again in a few minutes.",
    error_invalid_filter: "The filter “{field}” has an invalid value. Please correct it or clear the filters.",
    error_invalid_cursor: "The paging link is invalid or out of date. Please start again from the newest entries.",
    retry: "Try again",
    entries_on_day_one: "1 access",
    entries_on_day_many: "{n} accesses",
    entry_data: "Data",
    entry_reason: "Reason",
    entry_ticket: "Case",
    entry_system: "System",
    entry_team_hidden: "The person's name is not shown",
    role_more: "What does this role do?",
    verify_entry: "Download proof",
    verify_entries_hint: "“Download proof” gives you, for each entry, a file anyone can check: it shows that the entry is in the signed, append-only access log, unchanged.",
    verify_timeline: "Download proof of the whole history",
    verify_timeline_hint: "A proof that your access history is complete: each entry names the one before it, so a missing one shows.",
    no_reason_given: "No reason given",
    unknown_role: "Role without description ({code})",
    unknown_category: "Other data ({code})",
    unknown_reason: "Other reason ({code})",

    action_view: "Viewed",
    action_search: "Searched",
    action_export: "Exported",
    action_modify: "Changed",
    action_delete: "Deleted",

    not_found_title: "Page not found",
    not_found_body: "This page does not exist. The way back to the start may help.",
    to_start: "Go to the start page",
    footer_note: "Einblick makes every access by our employees to your data visible to you.",

    weekdays: ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    months: [
        "January", "February", "March", "April", "May", "June", "July", "August", "September",
        "October", "November", "December",
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_prefers_the_highest_quality_supported_language() {
        assert_eq!(
            Lang::from_accept_language("fr-CH, en;q=0.8, de;q=0.9"),
            Some(Lang::De)
        );
        assert_eq!(Lang::from_accept_language("en-GB,en;q=0.9"), Some(Lang::En));
        assert_eq!(Lang::from_accept_language("fr, it"), None);
        assert_eq!(
            Lang::from_accept_language("de;q=0, en;q=0.1"),
            Some(Lang::En)
        );
    }

    #[test]
    fn dates_read_naturally_in_each_language() {
        let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        assert_eq!(DE.long_date(date), "Freitag, 27. November 2026");
        assert_eq!(EN.long_date(date), "Friday, 27 November 2026");
    }
}
