//! The words of customer emails, German and English.

use app::i18n::Lang;

use super::Notice;

pub struct NoticeTexts {
    pub subject: &'static str,
    pub paragraphs: &'static [&'static str],
    pub quote_label: &'static str,
}

pub struct EmailTexts {
    pub greeting: &'static str,
    pub reference_label: &'static str,
    pub due_label: &'static str,
    pub link_label: &'static str,
    pub signature: &'static str,
    received: NoticeTexts,
    review_started: NoticeTexts,
    info_requested: NoticeTexts,
    message: NoticeTexts,
    extended: NoticeTexts,
    upheld: NoticeTexts,
    rejected: NoticeTexts,
    withdrawn: NoticeTexts,
}

impl EmailTexts {
    pub fn notice(&self, notice: Notice) -> &NoticeTexts {
        match notice {
            Notice::Received => &self.received,
            Notice::ReviewStarted => &self.review_started,
            Notice::InfoRequested => &self.info_requested,
            Notice::Message => &self.message,
            Notice::Extended => &self.extended,
            Notice::Upheld => &self.upheld,
            Notice::Rejected => &self.rejected,
            Notice::Withdrawn => &self.withdrawn,
        }
    }
}

pub fn for_lang(lang: Lang) -> &'static EmailTexts {
    match lang {
        Lang::De => &DE,
        Lang::En => &EN,
    }
}

static DE: EmailTexts = EmailTexts {
    greeting: "Guten Tag {name},",
    reference_label: "Aktenzeichen",
    due_label: "Antwort spätestens am",
    link_label: "Ihre Beschwerde ansehen",
    signature: "Ihr Datenschutzteam",
    received: NoticeTexts {
        subject: "Ihre Beschwerde {reference} ist eingegangen",
        paragraphs: &[
            "wir haben Ihre Beschwerde über einen Zugriff auf Ihre Daten erhalten.",
            "Unser Datenschutzteam prüft sie und antwortet Ihnen spätestens am {due}.",
        ],
        quote_label: "Ihre Schilderung",
    },
    review_started: NoticeTexts {
        subject: "Wir prüfen Ihre Beschwerde {reference}",
        paragraphs: &["unser Datenschutzteam hat mit der Prüfung Ihrer Beschwerde begonnen."],
        quote_label: "Nachricht",
    },
    info_requested: NoticeTexts {
        subject: "Rückfrage zu Ihrer Beschwerde {reference}",
        paragraphs: &[
            "für die Prüfung Ihrer Beschwerde brauchen wir noch Angaben von Ihnen.",
            "Bitte antworten Sie über das Portal.",
        ],
        quote_label: "Unsere Frage",
    },
    message: NoticeTexts {
        subject: "Neue Nachricht zu Ihrer Beschwerde {reference}",
        paragraphs: &["unser Datenschutzteam hat Ihnen zu Ihrer Beschwerde geschrieben."],
        quote_label: "Nachricht",
    },
    extended: NoticeTexts {
        subject: "Ihre Beschwerde {reference}: Frist verlängert",
        paragraphs: &[
            "die Prüfung Ihrer Beschwerde braucht mehr Zeit. Wir haben die Frist nach Art. 12 Abs. 3 DSGVO verlängert und antworten Ihnen spätestens am {due}.",
        ],
        quote_label: "Begründung",
    },
    upheld: NoticeTexts {
        subject: "Antwort auf Ihre Beschwerde {reference}: Sie haben recht",
        paragraphs: &[
            "wir haben Ihre Beschwerde geprüft. Ergebnis: Der Zugriff war nicht gerechtfertigt.",
        ],
        quote_label: "Unsere Antwort",
    },
    rejected: NoticeTexts {
        subject: "Antwort auf Ihre Beschwerde {reference}",
        paragraphs: &[
            "wir haben Ihre Beschwerde geprüft. Ergebnis: Der Zugriff war gerechtfertigt.",
            "Sind Sie mit dieser Antwort nicht einverstanden, können Sie sich bei einer Datenschutz-Aufsichtsbehörde beschweren.",
        ],
        quote_label: "Unsere Begründung",
    },
    withdrawn: NoticeTexts {
        subject: "Ihre Beschwerde {reference} ist zurückgezogen",
        paragraphs: &["Sie haben Ihre Beschwerde zurückgezogen. Wir bearbeiten sie nicht weiter."],
        quote_label: "Nachricht",
    },
};

static EN: EmailTexts = EmailTexts {
    greeting: "Hello {name},",
    reference_label: "Reference",
    due_label: "Answer due by",
    link_label: "View your dispute",
    signature: "Your privacy team",
    received: NoticeTexts {
        subject: "We received your dispute {reference}",
        paragraphs: &[
            "we have received your dispute about an access to your data.",
            "Our privacy team will review it and answer you by {due} at the latest.",
        ],
        quote_label: "Your statement",
    },
    review_started: NoticeTexts {
        subject: "We are reviewing your dispute {reference}",
        paragraphs: &["our privacy team has started reviewing your dispute."],
        quote_label: "Message",
    },
    info_requested: NoticeTexts {
        subject: "A question about your dispute {reference}",
        paragraphs: &[
            "to review your dispute we need more information from you.",
            "Please reply in the portal.",
        ],
        quote_label: "Our question",
    },
    message: NoticeTexts {
        subject: "New message about your dispute {reference}",
        paragraphs: &["our privacy team has written to you about your dispute."],
        quote_label: "Message",
    },
    extended: NoticeTexts {
        subject: "Your dispute {reference}: deadline extended",
        paragraphs: &[
            "reviewing your dispute needs more time. We have extended the deadline under Art. 12(3) GDPR and will answer you by {due} at the latest.",
        ],
        quote_label: "Why",
    },
    upheld: NoticeTexts {
        subject: "Answer to your dispute {reference}: you are right",
        paragraphs: &["we have reviewed your dispute. Outcome: the access was not justified."],
        quote_label: "Our answer",
    },
    rejected: NoticeTexts {
        subject: "Answer to your dispute {reference}",
        paragraphs: &[
            "we have reviewed your dispute. Outcome: the access was justified.",
            "If you disagree with this answer, you can complain to a data protection supervisory authority.",
        ],
        quote_label: "Our reasons",
    },
    withdrawn: NoticeTexts {
        subject: "Your dispute {reference} is withdrawn",
        paragraphs: &["you have withdrawn your dispute. We will not review it further."],
        quote_label: "Message",
    },
};
