//! GDPR access reports: one content model, rendered as print-ready HTML, PDF, JSON and CSV.
//! Every format carries the SHA-256 of the content's canonical JSON, so any copy can be
//! checked against the JSON one.

pub mod content;
pub mod csv;
pub mod download;
pub mod form;
pub mod html;
pub mod pdf;
mod pdf_font;
pub mod texts;

#[cfg(test)]
mod tests;

pub use content::{AccessReport, ReportContent};

use crate::web::routes::{Access, Routes};

pub fn routes(routes: &mut Routes) {
    routes.get("/reports/access", Access::Customer, download::download);
}

/// The formats a report is offered in, as named in the `format` query parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportFormat {
    Html,
    Pdf,
    Json,
    Csv,
}

impl ReportFormat {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "html" => Some(Self::Html),
            "pdf" => Some(Self::Pdf),
            "json" => Some(Self::Json),
            "csv" => Some(Self::Csv),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Html => "html",
            Self::Pdf => "pdf",
            Self::Json => "json",
            Self::Csv => "csv",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Html => "text/html; charset=utf-8",
            Self::Pdf => "application/pdf",
            Self::Json => "application/json",
            Self::Csv => "text/csv; charset=utf-8",
        }
    }

    /// The report rendered in this format.
    pub fn render(self, report: &AccessReport) -> Result<Vec<u8>, crate::error::AppError> {
        Ok(match self {
            Self::Html => html::render(report)?.into_bytes(),
            Self::Pdf => pdf::render(report)?,
            Self::Json => report.json_document().into_bytes(),
            Self::Csv => csv::render(report).into_bytes(),
        })
    }
}
