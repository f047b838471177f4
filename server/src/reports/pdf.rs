//! The PDF form, written with `pdf-writer`: A4 pages in DejaVu Sans, embedded as a subset
//! (`pdf_font`), so every name and reason prints in its own letters; text wrapped by the font's
//! widths. Each page carries the period, the content hash and "page n of N" in its footer.

use std::io::Write;

use flate2::write::ZlibEncoder;
use flate2::Compression;
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use super::html::{human_time, period_text};
use super::pdf_font::EmbeddedFont;
use super::AccessReport;
use crate::error::AppError;

const PAGE_WIDTH: f32 = 595.0;
const PAGE_HEIGHT: f32 = 842.0;
const MARGIN: f32 = 50.0;
const TOP: f32 = PAGE_HEIGHT - MARGIN;
const BOTTOM: f32 = MARGIN + 30.0;
pub const REGULAR: Name<'static> = Name(b"F1");
pub const BOLD: Name<'static> = Name(b"F2");

pub fn render(report: &AccessReport) -> Result<Vec<u8>, AppError> {
    let texts = report.texts();
    let content = &report.content;
    let mut doc = Layout::new();
    let period = period_text(report);

    doc.text(texts.title, BOLD, 18.0, 0.0);
    doc.gap(2.0);
    doc.text(texts.subtitle, REGULAR, 10.0, 0.0);
    doc.gap(8.0);
    let systems = content
        .systems
        .iter()
        .map(|s| format!("{} ({} {})", s.label, texts.covered_since, s.covered_since))
        .collect::<Vec<_>>()
        .join("; ");
    for (label, value) in [
        (
            texts.customer,
            format!(
                "{} · {}",
                content.subject.customer_ref, content.subject.name
            ),
        ),
        (texts.period, period.clone()),
        (texts.generated, human_time(&content.generated_at)),
        (texts.systems, systems),
        (texts.accesses_count, content.accesses.len().to_string()),
        (texts.hash_label, report.sha256.clone()),
    ]
    .into_iter()
    .chain(
        texts
            .log_line(content.log_checkpoint.as_ref())
            .map(|line| (texts.log_label, line)),
    ) {
        doc.text(label, BOLD, 9.5, 0.0);
        doc.text(&value, REGULAR, 9.5, 12.0);
    }
    doc.gap(4.0);
    doc.text(texts.hash_note, REGULAR, 8.5, 0.0);
    if content.log_checkpoint.is_some() {
        doc.text(texts.log_note, REGULAR, 8.5, 0.0);
    }

    doc.heading(texts.accesses_heading);
    if content.accesses.is_empty() {
        doc.text(texts.no_accesses, REGULAR, 10.0, 0.0);
    }
    for access in &content.accesses {
        doc.keep_together(42.0);
        doc.text(
            &format!("{} · {}", access.local_time, access.role.label),
            BOLD,
            10.0,
            0.0,
        );
        let mut details = vec![
            format!("{}: {}", texts.col_category, access.data_category.label),
            format!("{}: {}", texts.col_action, access.action.label),
            format!("{}: {}", texts.col_reason, access.reason.label),
        ];
        if let Some(text) = &access.reason_text {
            details.push(format!("„{text}“"));
        }
        if let Some(ticket) = &access.ticket {
            details.push(format!("{}: {ticket}", texts.col_ticket));
        }
        if let Some(system) = &access.system {
            details.push(format!("{}: {system}", texts.col_system));
        }
        details.push(access.explanation.text.clone());
        doc.text(&details.join(" · "), REGULAR, 9.0, 12.0);
        doc.gap(4.0);
    }

    doc.heading(texts.information_heading);
    let list = |items: &[String]| {
        if items.is_empty() {
            texts.none.to_owned()
        } else {
            items.join(", ")
        }
    };
    let info = &content.information;
    let recipients = info
        .recipients
        .iter()
        .map(|r| r.role.clone())
        .collect::<Vec<_>>();
    for (label, value) in [
        (texts.purposes, list(&info.purposes)),
        (texts.categories, list(&info.data_categories)),
        (
            texts.recipients,
            format!("{}. {}", list(&recipients), info.recipients_note),
        ),
        (texts.retention, info.retention.clone()),
        (texts.source, info.source.clone()),
    ] {
        doc.keep_together(30.0);
        doc.text(label, BOLD, 10.0, 0.0);
        doc.text(&value, REGULAR, 9.5, 0.0);
        doc.gap(4.0);
    }
    doc.keep_together(30.0);
    doc.text(texts.rights_heading, BOLD, 10.0, 0.0);
    for right in &info.rights {
        doc.text(
            &format!("• {}: {}", right.title, right.text),
            REGULAR,
            9.5,
            8.0,
        );
    }
    doc.gap(4.0);
    doc.keep_together(30.0);
    doc.text(texts.authority_heading, BOLD, 10.0, 0.0);
    doc.text(&info.supervisory_authority, REGULAR, 9.5, 0.0);

    doc.heading(texts.disputes_heading);
    if content.disputes.is_empty() {
        doc.text(texts.no_disputes, REGULAR, 10.0, 0.0);
    }
    for dispute in &content.disputes {
        doc.keep_together(30.0);
        doc.text(
            &format!(
                "{} · {} {} · {}",
                dispute.reference, texts.col_received, dispute.received_on, dispute.status.label
            ),
            BOLD,
            10.0,
            0.0,
        );
        if let Some(answer) = &dispute.answer {
            let on = dispute.answered_on.as_deref().unwrap_or(texts.none);
            doc.text(
                &format!("{} {on}: {answer}", texts.col_answered),
                REGULAR,
                9.5,
                12.0,
            );
        }
        doc.gap(4.0);
    }

    let footer = format!("{} · SHA-256 {}", period, report.sha256);
    doc.finish(texts.title, &footer, texts.page)
}

/// A top-to-bottom flow of wrapped lines over as many pages as it needs.
pub struct Layout {
    /// Pages already filled.
    done: Vec<Content>,
    /// The page being written.
    current: Content,
    y: f32,
    regular: EmbeddedFont,
    bold: EmbeddedFont,
}

impl Default for Layout {
    fn default() -> Self {
        Self::new()
    }
}

impl Layout {
    #[expect(
        clippy::expect_used,
        reason = "the fonts are compiled in; `the_fonts_load_and_subset` checks them"
    )]
    pub fn new() -> Self {
        Self {
            done: Vec::new(),
            current: Content::new(),
            y: TOP,
            regular: EmbeddedFont::regular().expect("the regular PDF font"),
            bold: EmbeddedFont::bold().expect("the bold PDF font"),
        }
    }

    fn font(&mut self, font: Name<'static>) -> &mut EmbeddedFont {
        if font == BOLD {
            &mut self.bold
        } else {
            &mut self.regular
        }
    }

    fn new_page(&mut self) {
        let full = std::mem::replace(&mut self.current, Content::new());
        self.done.push(full);
        self.y = TOP;
    }

    pub fn gap(&mut self, points: f32) {
        self.y -= points;
    }

    /// Starts a new page unless `height` points still fit on this one.
    pub fn keep_together(&mut self, height: f32) {
        if self.y - height < BOTTOM {
            self.new_page();
        }
    }

    pub fn heading(&mut self, text: &str) {
        self.gap(10.0);
        self.keep_together(60.0);
        self.text(text, BOLD, 13.0, 0.0);
        let page = &mut self.current;
        page.set_stroke_rgb(0.75, 0.75, 0.8)
            .set_line_width(0.6)
            .move_to(MARGIN, self.y - 4.0)
            .line_to(PAGE_WIDTH - MARGIN, self.y - 4.0)
            .stroke();
        self.gap(10.0);
    }

    pub fn text(&mut self, text: &str, font: Name<'static>, size: f32, indent: f32) {
        let width = PAGE_WIDTH - 2.0 * MARGIN - indent;
        for line in wrap(self.font(font), text, width / size * 1000.0) {
            let leading = size * 1.35;
            if self.y - leading < BOTTOM {
                self.new_page();
            }
            self.y -= leading;
            let shown = self.font(font).encode(&line);
            let page = &mut self.current;
            page.set_fill_gray(0.1);
            page.begin_text()
                .set_font(font, size)
                .next_line(MARGIN + indent, self.y)
                .show(Str(&shown))
                .end_text();
        }
    }

    /// A labelled horizontal bar, `percent` of the full width, with its value.
    pub fn bar(&mut self, label: &str, value: u64, percent: u64) {
        let size = 9.0;
        let label_width = 190.0;
        let full = PAGE_WIDTH - 2.0 * MARGIN - label_width - 50.0;
        let leading = 14.0;
        if self.y - leading < BOTTOM {
            self.new_page();
        }
        self.y -= leading;
        let mut shown = label.to_owned();
        while self.regular.text_width(&shown) * size / 1000.0 > label_width - 6.0
            && shown.chars().count() > 1
        {
            shown.pop();
        }
        if shown.len() < label.len() {
            shown.push('…');
        }
        let length = full * (percent.min(100) as f32) / 100.0;
        let shown = self.regular.encode(&shown);
        let value = self.regular.encode(&value.to_string());
        let page = &mut self.current;
        page.set_fill_gray(0.1);
        page.begin_text()
            .set_font(REGULAR, size)
            .next_line(MARGIN, self.y)
            .show(Str(&shown))
            .end_text();
        page.set_fill_rgb(0.16, 0.38, 0.62)
            .rect(MARGIN + label_width, self.y - 1.0, length.max(0.5), 9.0)
            .fill_nonzero();
        page.set_fill_gray(0.1);
        page.begin_text()
            .set_font(REGULAR, size)
            .next_line(MARGIN + label_width + length + 4.0, self.y)
            .show(Str(&value))
            .end_text();
    }

    pub fn finish(
        mut self,
        title: &str,
        footer: &str,
        page_word: &str,
    ) -> Result<Vec<u8>, AppError> {
        let mut pdf = Pdf::new();
        let catalog_id = Ref::new(1);
        let tree_id = Ref::new(2);
        let info_id = Ref::new(3);
        let regular_ids = [4, 5, 6, 7, 8].map(Ref::new);
        let bold_ids = [9, 10, 11, 12, 13].map(Ref::new);
        let mut pages = std::mem::take(&mut self.done);
        pages.push(std::mem::replace(&mut self.current, Content::new()));
        let total = pages.len();
        let page_ids: Vec<Ref> = (0..total).map(|i| Ref::new(20 + 2 * i as i32)).collect();

        pdf.catalog(catalog_id).pages(tree_id);
        pdf.pages(tree_id)
            .kids(page_ids.iter().copied())
            .count(total as i32);
        pdf.document_info(info_id)
            .title(TextStr(title))
            .producer(TextStr("Einblick"));

        let footer_size = 7.5;
        // Room for the widest page number, so that it never runs into the footer.
        let widest_number = format!("{page_word} {total} / {total}");
        let number_room = self.regular.text_width(&widest_number) * footer_size / 1000.0 + 12.0;
        let footer_lines: Vec<String> = wrap(
            &self.regular,
            footer,
            (PAGE_WIDTH - 2.0 * MARGIN - number_room) / footer_size * 1000.0,
        )
        .into_iter()
        .take(2)
        .collect();
        for (index, mut content) in pages.into_iter().enumerate() {
            let page_id = page_ids[index];
            let content_id = Ref::new(page_id.get() + 1);
            for (line_number, line) in footer_lines.iter().enumerate() {
                let shown = self.regular.encode(line);
                content.set_fill_gray(0.35);
                content
                    .begin_text()
                    .set_font(REGULAR, footer_size)
                    .next_line(MARGIN, MARGIN - line_number as f32 * 10.0)
                    .show(Str(&shown))
                    .end_text();
            }
            let number = format!("{page_word} {} / {total}", index + 1);
            let number_width = self.regular.text_width(&number) * footer_size / 1000.0;
            let shown = self.regular.encode(&number);
            content
                .begin_text()
                .set_font(REGULAR, footer_size)
                .next_line(PAGE_WIDTH - MARGIN - number_width, MARGIN)
                .show(Str(&shown))
                .end_text();

            let mut page = pdf.page(page_id);
            page.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT));
            page.parent(tree_id);
            page.contents(content_id);
            page.resources()
                .fonts()
                .pair(REGULAR, regular_ids[0])
                .pair(BOLD, bold_ids[0]);
            page.finish();

            let raw = content.finish();
            pdf.stream(content_id, &deflate(&raw))
                .filter(Filter::FlateDecode);
        }
        // Last, once every page has named the glyphs it shows.
        self.regular.write(&mut pdf, regular_ids)?;
        self.bold.write(&mut pdf, bold_ids)?;
        Ok(pdf.finish())
    }
}

#[expect(clippy::expect_used, reason = "compressing into memory cannot fail")]
pub(super) fn deflate(data: &[u8]) -> Vec<u8> {
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(data).expect("writing to memory");
    encoder.finish().expect("writing to memory")
}

/// Greedy word wrap to `max_width` in 1/1000 text units of `font`; a word wider than a line is
/// split.
fn wrap(font: &EmbeddedFont, text: &str, max_width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        let mut line_width = 0.0;
        for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
            let word_width = font.text_width(word);
            let space = if line.is_empty() {
                0.0
            } else {
                font.char_width(' ')
            };
            if line_width + space + word_width <= max_width {
                if !line.is_empty() {
                    line.push(' ');
                }
                line.push_str(word);
                line_width += space + word_width;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                line_width = 0.0;
            }
            for c in word.chars() {
                let w = font.char_width(c);
                if line_width + w > max_width && !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                    line_width = 0.0;
                }
                line.push(c);
                line_width += w;
            }
        }
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_wraps_within_the_width() {
        let font = EmbeddedFont::regular().unwrap();
        let text = "Datenschutz ".repeat(40);
        let lines = wrap(&font, &text, 20_000.0);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| font.text_width(l) <= 20_000.0));
        assert_eq!(lines.join(" ").split(' ').count(), 40);
    }

    #[test]
    fn the_fonts_load_and_subset() {
        let mut doc = Layout::new();
        doc.text("Łukasz Żółć · Ærø · Ğül", REGULAR, 10.0, 0.0);
        doc.text("Ο πελάτης ζήτησε · Клиент", BOLD, 10.0, 0.0);
        let pdf = doc.finish("t", "f", "p").unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        // A subset, not the whole 700 KB font twice.
        assert!(pdf.len() < 60_000, "{} bytes", pdf.len());
    }

    #[test]
    fn hostile_text_renders() {
        let mut doc = Layout::new();
        let long_word = "ä".repeat(500);
        for text in [
            "tab\there\u{0}nul\u{7}bell\r\nline",
            "emoji 🙈🔍 and 漢字 and \u{202e}reversed",
            long_word.as_str(),
            &"Łukasz Żółć-Wiśniewska ".repeat(30),
            "",
        ] {
            doc.text(text, REGULAR, 10.0, 0.0);
            doc.text(text, BOLD, 13.0, 12.0);
        }
        let pdf = doc.finish("t", &"f".repeat(400), "Seite").unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
    }

    #[test]
    fn a_character_the_font_lacks_prints_as_a_question_mark() {
        let mut font = EmbeddedFont::regular().unwrap();
        let question = font.encode("?");
        assert_eq!(font.encode("漢"), question);
        assert_eq!(font.encode("\t"), font.encode(" "));
    }
}
