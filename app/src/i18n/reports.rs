//! The access report pages, German and English.

pub struct ReportTexts {
    pub nav_report: &'static str,
    pub title: &'static str,
    pub intro: &'static str,
    pub period_legend: &'static str,
    pub from_label: &'static str,
    pub to_label: &'static str,
    pub period_hint: &'static str,
    pub format_legend: &'static str,
    pub format_pdf: &'static str,
    pub format_html: &'static str,
    pub format_json: &'static str,
    pub format_csv: &'static str,
    pub download: &'static str,
    pub contents_heading: &'static str,
    pub contents: [&'static str; 5],
    pub error_from: &'static str,
    pub error_to: &'static str,
    pub error_format: &'static str,
}

impl ReportTexts {
    /// The message for `?error=` on the form; unknown codes get none.
    pub fn error_message(&self, code: &str) -> Option<&'static str> {
        match code {
            "from" => Some(self.error_from),
            "to" => Some(self.error_to),
            "format" => Some(self.error_format),
            _ => None,
        }
    }
}

pub const DE: ReportTexts = ReportTexts {
    nav_report: "Auskunft",
    title: "Zugriffsauskunft herunterladen",
    intro: "Ihre Auskunft nach Art. 15 DSGVO: jeder Zugriff auf Ihre Daten im gewählten Zeitraum, mit Zweck und Rolle, dazu Ihre Rechte und Ihre Beanstandungen.",
    period_legend: "Zeitraum",
    from_label: "Von",
    to_label: "Bis",
    period_hint: "Ganze Tage in Ihrer Zeitzone, höchstens zehn Jahre. Ohne Angabe: die letzten zwölf Monate.",
    format_legend: "Format",
    format_pdf: "PDF – zum Speichern und Drucken",
    format_html: "HTML – druckfertige Seite im Browser",
    format_json: "JSON – maschinenlesbar",
    format_csv: "CSV – für Tabellenprogramme",
    download: "Auskunft herunterladen",
    contents_heading: "Was die Auskunft enthält",
    contents: [
        "jeden Zugriff mit Datum, Uhrzeit, Rolle, Daten, Vorgang, Zweck und Vorgangsnummer",
        "die Zwecke, Datenkategorien und Empfänger, die Speicherdauer und die Herkunft der Daten",
        "Ihre Rechte und die zuständige Aufsichtsbehörde",
        "Ihre Beanstandungen und deren Ergebnis",
        "eine SHA-256-Prüfsumme, mit der sich jede Kopie prüfen lässt",
    ],
    error_from: "Bitte geben Sie ein gültiges Anfangsdatum an, das nicht nach dem Enddatum liegt und höchstens zehn Jahre zurückreicht.",
    error_to: "Bitte geben Sie ein gültiges Enddatum an (JJJJ-MM-TT).",
    error_format: "Bitte wählen Sie eines der angebotenen Formate.",
};

pub const EN: ReportTexts = ReportTexts {
    nav_report: "Report",
    title: "Download your access report",
    intro: "Your report under Art. 15 GDPR: every access to your data in the chosen period, with its purpose and role, plus your rights and your disputes.",
    period_legend: "Period",
    from_label: "From",
    to_label: "To",
    period_hint: "Whole days in your time zone, at most ten years. Left empty: the last twelve months.",
    format_legend: "Format",
    format_pdf: "PDF – to save and print",
    format_html: "HTML – print-ready page in the browser",
    format_json: "JSON – machine-readable",
    format_csv: "CSV – for spreadsheets",
    download: "Download report",
    contents_heading: "What the report contains",
    contents: [
        "every access with date, time, role, data, action, purpose and ticket",
        "the purposes, data categories and recipients, the retention period and the source of the data",
        "your rights and the competent supervisory authority",
        "your disputes and their outcome",
        "a SHA-256 checksum to check any copy against",
    ],
    error_from: "Please enter a valid start date that is not after the end date and at most ten years back.",
    error_to: "Please enter a valid end date (YYYY-MM-DD).",
    error_format: "Please choose one of the formats offered.",
};
