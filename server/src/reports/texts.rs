//! The words of the access report in German and English, the Art. 15(1) GDPR information
//! included. Legal wording lives here so that it is reviewed in one place.

use app::i18n::Lang;

use crate::domain::RetentionPolicy;

pub struct ReportTexts {
    pub title: &'static str,
    pub subtitle: &'static str,
    pub generated: &'static str,
    pub period: &'static str,
    pub customer: &'static str,
    pub systems: &'static str,
    pub covered_since: &'static str,
    pub hash_label: &'static str,
    pub hash_note: &'static str,
    pub log_label: &'static str,
    /// `{size}`, `{origin}`, `{root}` are filled in.
    pub log_value: &'static str,
    pub log_note: &'static str,
    /// `{names}`: the witnesses that cosigned the checkpoint.
    pub log_witnessed: &'static str,
    pub accesses_heading: &'static str,
    pub accesses_count: &'static str,
    pub no_accesses: &'static str,
    pub col_when: &'static str,
    pub col_role: &'static str,
    pub col_category: &'static str,
    pub col_action: &'static str,
    pub col_reason: &'static str,
    pub col_ticket: &'static str,
    pub col_system: &'static str,
    pub information_heading: &'static str,
    pub purposes: &'static str,
    pub categories: &'static str,
    pub recipients: &'static str,
    pub recipients_note: &'static str,
    pub retention: &'static str,
    pub retention_text: &'static str,
    pub source: &'static str,
    pub source_text: &'static str,
    pub rights_heading: &'static str,
    pub rights: [(&'static str, &'static str); 6],
    pub authority_heading: &'static str,
    pub authority_text: &'static str,
    pub disputes_heading: &'static str,
    pub no_disputes: &'static str,
    pub col_reference: &'static str,
    pub col_received: &'static str,
    pub col_status: &'static str,
    pub col_answered: &'static str,
    pub col_answer: &'static str,
    pub none: &'static str,
    pub page: &'static str,
}

const DE: ReportTexts = ReportTexts {
    title: "Auskunft über Zugriffe auf Ihre Daten",
    subtitle: "Auskunft nach Art. 15 DSGVO: wer bei uns wann und warum Ihre Daten angesehen hat",
    generated: "Erstellt am",
    period: "Zeitraum",
    customer: "Kundennummer",
    systems: "Erfasste Systeme",
    covered_since: "erfasst seit",
    hash_label: "SHA-256 des Inhalts",
    hash_note: "Die Prüfsumme gilt für den Inhalt dieser Auskunft in ihrer JSON-Form (kanonisches JSON nach RFC 8785, ohne das Feld content_sha256). Sie ändert sich mit jedem Abruf, weil der Zeitpunkt der Erstellung dazugehört; die Antwort nennt sie auch im Kopf X-Content-SHA256.",
    log_label: "Signiertes Zugriffsprotokoll",
    log_value: "Checkpoint mit {size} Einträgen des Protokolls {origin}, Wurzel-Hash {root}",
    log_witnessed: "bezeugt von {names}",
    log_note: "Jeder hier aufgeführte Zugriff ist ein Eintrag dieses signierten Checkpoints. In Ihrer Zugriffsübersicht können Sie zu jedem Eintrag einen Nachweis herunterladen, den jede und jeder mit dem öffentlichen Schlüssel des Protokolls prüfen kann (einblick verify).",
    accesses_heading: "Zugriffe im Zeitraum",
    accesses_count: "Anzahl der Zugriffe",
    no_accesses: "Im gewählten Zeitraum hat niemand auf Ihre Daten zugegriffen.",
    col_when: "Zeitpunkt",
    col_role: "Rolle",
    col_category: "Daten",
    col_action: "Zugriffsart",
    col_reason: "Zweck / Grund",
    col_ticket: "Vorgang-Nr.",
    col_system: "System",
    information_heading: "Informationen nach Art. 15 Abs. 1 DSGVO",
    purposes: "Zwecke der Verarbeitung (in diesem Zeitraum)",
    categories: "Kategorien der betroffenen Daten",
    recipients: "Empfänger und Kategorien von Empfängern",
    recipients_note: "Beschäftigte des Unternehmens in diesen Rollen. Personenbezogene Daten wurden im Rahmen dieser Zugriffe nicht an Dritte übermittelt.",
    retention: "Speicherdauer",
    retention_text: "Ihre Kundendaten werden gespeichert, solange Ihr Kundenkonto besteht, und darüber hinaus nur so lange, wie gesetzliche Aufbewahrungspflichten (bis zu zehn Jahre für steuerrelevante Unterlagen) es verlangen.",
    source: "Herkunft der Daten",
    source_text: "Die Daten stammen von Ihnen selbst (Bestellungen, Kundenkonto, Anfragen). Die Einträge dieses Protokolls stammen aus den internen Systemen, in denen die Zugriffe stattfanden.",
    rights_heading: "Ihre Rechte",
    rights: [
        ("Berichtigung (Art. 16 DSGVO)", "Sie können verlangen, dass unrichtige Daten über Sie berichtigt werden."),
        ("Löschung (Art. 17 DSGVO)", "Sie können verlangen, dass Ihre Daten gelöscht werden, soweit keine Pflicht zur Aufbewahrung besteht."),
        ("Einschränkung (Art. 18 DSGVO)", "Sie können verlangen, dass die Verarbeitung Ihrer Daten eingeschränkt wird."),
        ("Widerspruch (Art. 21 DSGVO)", "Sie können der Verarbeitung widersprechen, die auf berechtigten Interessen beruht."),
        ("Beanstandung eines Zugriffs", "Einen einzelnen Zugriff, den Sie für ungerechtfertigt halten, können Sie im Portal über „Diesen Zugriff beanstanden“ anfechten."),
        ("Beschwerde (Art. 77 DSGVO)", "Sie können sich bei einer Datenschutz-Aufsichtsbehörde beschweren, insbesondere in dem Land, in dem Sie leben oder arbeiten."),
    ],
    authority_heading: "Zuständige Aufsichtsbehörde",
    authority_text: "Berliner Beauftragte für Datenschutz und Informationsfreiheit, Alt-Moabit 59–61, 10555 Berlin, Telefon +49 30 13889-0, mailbox@datenschutz-berlin.de, www.datenschutz-berlin.de",
    disputes_heading: "Ihre Beanstandungen und ihr Ergebnis",
    no_disputes: "Sie haben keine Beanstandung eingereicht.",
    col_reference: "Aktenzeichen",
    col_received: "Eingegangen",
    col_status: "Stand",
    col_answered: "Beantwortet",
    col_answer: "Antwort",
    none: "–",
    page: "Seite",
};

const EN: ReportTexts = ReportTexts {
    title: "Report on access to your data",
    subtitle: "Access report under Art. 15 GDPR: who at our company looked at your data, when and why",
    generated: "Generated on",
    period: "Period",
    customer: "Customer number",
    systems: "Systems covered",
    covered_since: "covered since",
    hash_label: "SHA-256 of the content",
    hash_note: "The checksum is over the content of this report in its JSON form (canonical JSON per RFC 8785, without the content_sha256 field). It changes with every download, since the time of generation is part of the content; the response also names it in the X-Content-SHA256 header.",
    log_label: "Signed access log",
    log_value: "Checkpoint of {size} entries of the log {origin}, root hash {root}",
    log_witnessed: "witnessed by {names}",
    log_note: "Every access listed here is an entry of this signed checkpoint. In your access timeline you can download a proof for each entry, which anyone can check against the log's public key (einblick verify).",
    accesses_heading: "Accesses in the period",
    accesses_count: "Number of accesses",
    no_accesses: "Nobody accessed your data in the chosen period.",
    col_when: "When",
    col_role: "Role",
    col_category: "Data",
    col_action: "Action",
    col_reason: "Purpose / reason",
    col_ticket: "Ticket",
    col_system: "System",
    information_heading: "Information under Art. 15(1) GDPR",
    purposes: "Purposes of the processing (in this period)",
    categories: "Categories of data concerned",
    recipients: "Recipients and categories of recipients",
    recipients_note: "Employees of the company in these roles. No personal data was disclosed to third parties in the course of these accesses.",
    retention: "Retention period",
    retention_text: "Your customer data is kept as long as your customer account exists, and after that only as long as statutory retention duties (up to ten years for tax records) require.",
    source: "Source of the data",
    source_text: "The data comes from you (orders, customer account, enquiries). The entries of this log come from the internal systems in which the accesses took place.",
    rights_heading: "Your rights",
    rights: [
        ("Rectification (Art. 16 GDPR)", "You may have inaccurate data about you corrected."),
        ("Erasure (Art. 17 GDPR)", "You may have your data erased where no duty to keep it applies."),
        ("Restriction (Art. 18 GDPR)", "You may have the processing of your data restricted."),
        ("Objection (Art. 21 GDPR)", "You may object to processing based on legitimate interests."),
        ("Disputing an access", "You can dispute a single access you consider unjustified in the portal with \u{201c}Dispute this access\u{201d}."),
        ("Complaint (Art. 77 GDPR)", "You may lodge a complaint with a data protection supervisory authority, in particular in the country where you live or work."),
    ],
    authority_heading: "Competent supervisory authority",
    authority_text: "Berlin Commissioner for Data Protection and Freedom of Information, Alt-Moabit 59–61, 10555 Berlin, Germany, phone +49 30 13889-0, mailbox@datenschutz-berlin.de, www.datenschutz-berlin.de",
    disputes_heading: "Your disputes and their outcome",
    no_disputes: "You have not disputed any access.",
    col_reference: "Reference",
    col_received: "Received",
    col_status: "Status",
    col_answered: "Answered",
    col_answer: "Answer",
    none: "–",
    page: "Page",
};

pub fn report_texts(lang: Lang) -> &'static ReportTexts {
    match lang {
        Lang::De => &DE,
        Lang::En => &EN,
    }
}

impl ReportTexts {
    /// The checkpoint line, or `None` while the log is empty.
    pub fn log_line(&self, checkpoint: Option<&super::content::LogCheckpoint>) -> Option<String> {
        checkpoint.map(|c| {
            let line = self
                .log_value
                .replace("{size}", &c.tree_size.to_string())
                .replace("{origin}", &c.origin)
                .replace("{root}", &c.root_hash);
            match c.witnessed_by.is_empty() {
                true => line,
                false => format!(
                    "{line}; {}",
                    self.log_witnessed
                        .replace("{names}", &c.witnessed_by.join(", "))
                ),
            }
        })
    }
}

/// What the report says about how long this log's entries are kept (`EINBLICK_RETENTION_MONTHS`).
pub fn log_retention(lang: Lang, retention: Option<RetentionPolicy>) -> String {
    match (lang, retention) {
        (Lang::De, Some(policy)) => format!(
            "Einträge dieses Zugriffsprotokolls werden für die {} vollen Monate vor dem laufenden \
             Monat aufbewahrt und danach gelöscht; ihr Hashwert bleibt im überprüfbaren Protokoll.",
            policy.months()
        ),
        (Lang::De, None) => {
            "Einträge dieses Zugriffsprotokolls werden nicht automatisch gelöscht.".to_owned()
        }
        (Lang::En, Some(policy)) => format!(
            "Entries of this access log are kept for the {} full months before the current one \
             and removed after that; their hash stays in the verifiable log.",
            policy.months()
        ),
        (Lang::En, None) => "Entries of this access log are not removed automatically.".to_owned(),
    }
}
